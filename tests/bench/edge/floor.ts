/**
 * The floor of the edge benchmark's `/predict` run: a bare `Deno.serve`
 * that does only what any implementation must (read and parse the JSON
 * body, build the row, score it through the same coalesced `OnnxSession`,
 * answer a response of the same shape, size and framing) with no validation,
 * routing, metrics, cache or logging. The gap between it and the edge is
 * what the edge's own code costs.
 *
 * With `no-model`, rows still wait for the same kind of flush (one
 * `MessageChannel` message per batch, as `OnnxSession` coalesces them) but
 * get the scores of the model's golden row back without running ONNX: the
 * gap between the two floors is what inference costs the event loop.
 * Usage: `deno run -A tests/bench/edge/floor.ts PORT REGISTRY_DIR [no-model]`.
 *
 * @module
 */
import { OnnxSession } from "../../../edge/mod.ts";

const port = Number(Deno.args[0] ?? 8091);
const dir = `${Deno.args[1]}/fraud_detector/1/`;
const manifest = JSON.parse(await Deno.readTextFile(`${dir}manifest.json`));
const session = await OnnxSession.create(await Deno.readFile(`${dir}model.onnx`), manifest);
const names: string[] = manifest.inputs.map((i: { name: string }) => i.name);

/** Releases queued rows together on one message, with fixed scores. */
function unscored(scores: Float32Array): (row: Float32Array) => Promise<Float32Array> {
  const waiting: ((p: Float32Array) => void)[] = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    for (const resolve of waiting.splice(0)) resolve(scores);
  };
  return () =>
    new Promise((resolve) => {
      if (waiting.push(resolve) === 1) channel.port2.postMessage(null);
    });
}
const score = Deno.args[2] === "no-model"
  ? unscored(
    await session.scoreRow(Float32Array.from(manifest.golden?.rows[0] ?? names.map(() => 0))),
  )
  : (row: Float32Array) => session.scoreRow(row);

Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
  const started = performance.now();
  const body = JSON.parse(await req.text());
  const row = new Float32Array(names.length);
  const used: Record<string, number> = {};
  for (let i = 0; i < names.length; i++) {
    row[i] = body.features[names[i]];
    used[names[i]] = row[i];
  }
  const p = await score(row);
  const id = crypto.randomUUID();
  const res = {
    prediction: p[1] >= manifest.threshold ? 1 : 0,
    probabilities: [p[0], p[1]],
    model_name: manifest.name,
    model_version: manifest.version,
    timestamp: new Date().toISOString(),
    latency_ms: performance.now() - started,
    features_used: used,
    request_id: id,
    variant: "champion",
    cached: false,
    features_as_of: null,
  };
  return new Response(JSON.stringify(res), {
    headers: {
      "X-Request-ID": id,
      "Content-Type": "application/json",
      "Transfer-Encoding": "chunked",
    },
  });
});
