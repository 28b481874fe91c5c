/**
 * The floor of the edge benchmark's `/predict` run: a bare `Deno.serve`
 * that does only what any implementation must (read and parse the JSON
 * body, build the row, score it through the same coalesced `OnnxSession`,
 * answer a response of the same shape, size and framing) with no validation,
 * routing, metrics, cache or logging. The gap between it and the edge is
 * what the edge's own code costs.
 * Usage: `deno run -A tests/bench/edge/floor.ts PORT REGISTRY_DIR`.
 *
 * @module
 */
import { OnnxSession } from "../../../edge/mod.ts";

const port = Number(Deno.args[0] ?? 8091);
const dir = `${Deno.args[1]}/fraud_detector/1/`;
const manifest = JSON.parse(await Deno.readTextFile(`${dir}manifest.json`));
const session = await OnnxSession.create(await Deno.readFile(`${dir}model.onnx`), manifest);
const names: string[] = manifest.inputs.map((i: { name: string }) => i.name);

Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
  const started = performance.now();
  const body = JSON.parse(await req.text());
  const row = new Float32Array(names.length);
  const used: Record<string, number> = {};
  for (let i = 0; i < names.length; i++) {
    row[i] = body.features[names[i]];
    used[names[i]] = row[i];
  }
  const p = await session.scoreRow(row);
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
