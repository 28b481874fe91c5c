/**
 * Open Inference Protocol v2 benchmark (`deno task bench:v2`, `--quick` for
 * a short smoke run): rows/s of `POST /v2/models/{name}/infer` with 1000 rows
 * of the demo model in binary tensors against `POST /predict/batch` with 1000
 * JSON instances, in the same run, on the same edge process.
 *
 * The edge is `edge/deploy.ts` under `deno serve` with the Deploy
 * permissions (as `deno task edge` runs it) over the demo model trained by
 * the platform, no online store. Four bodies, each a fixed file sent by wrk
 * at 32 connections:
 * - `batch (raw fields)`: the 1000-instance body of `deno task bench:edge`
 *   (raw fields the edge transforms: the README's `/predict/batch` figure);
 * - `batch (model inputs)`: 1000 instances holding the model's inputs by name;
 * - `v2 binary`: the same 1000 rows as one FP32 `[1000, F]` tensor in the
 *   binary tensor data extension, outputs asked in binary (what
 *   `tritonclient` sends when it names no output);
 * - `v2 JSON`: the same rows as JSON `data` (for reference).
 * Each body gets an unmeasured warm-up, then the measured runs go round-robin
 * (two rounds) so drift on the shared machine spreads over all of them. Before
 * the load, one request of each checks that the binary answer's probabilities
 * equal `/predict/batch`'s for the same rows. Figures: rows/s (wrk) and the
 * edge process's CPU time per 1000 rows; target: v2 binary ≥ 1.0 × each batch.
 *
 * @module
 */
import { batchBody, demoRegistry } from "./edge/_fixture.ts";
import { LocalRegistry } from "../../registry/mod.ts";
import type { ModelInput } from "../../schemas/manifest.ts";
import { cpuSeconds, freePort, waitFor } from "./edge/_process.ts";
import { runWrk } from "./edge/_wrk.ts";
import { edgeServeArgs } from "../support/edge.ts";
import { benchFlags } from "../_help.ts";

const flags = benchFlags(import.meta.url, { quick: { type: "boolean", default: false } });

const quick = flags.quick;
const LOAD_S = quick ? 2 : 10;
const WARM_S = quick ? 1 : 5;
const ROUNDS = quick ? 1 : 2;
const ROWS = 1000;
const CONNECTIONS = 32;
const THREADS = 2;
const HERE = new URL("./edge/", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const MODEL = "fraud_detector";

/**
 * `ROWS` deterministic rows in model-input order, each value valid for its
 * input (a flag 0/1, within a declared domain such as hours 0–23), as
 * `/predict/batch` checks them.
 */
function makeRows(inputs: readonly ModelInput[]): number[][] {
  return Array.from({ length: ROWS }, (_, i) =>
    inputs.map((input, c) => {
      const k = (i * 31 + c * 17) % (c * 7 + 11);
      if (input.dtype === "bool") return (i + c) % 2;
      const { min, max } = input.domain ?? {};
      if (min !== undefined && max !== undefined) return min + (k % (Math.floor(max - min) + 1));
      return (min ?? 0) + k + i * 0.01;
    }));
}

async function tempFile(suffix: string, data: Uint8Array | string): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "edge-bench-v2-", suffix });
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
  return path;
}

/** The binary infer body of `rows`: JSON header then FP32 little-endian values. */
function binaryBody(rows: number[][], input: string): { body: Uint8Array; headerLength: number } {
  const header = new TextEncoder().encode(JSON.stringify({
    inputs: [{
      name: input,
      shape: [rows.length, rows[0].length],
      datatype: "FP32",
      parameters: { binary_data_size: rows.length * rows[0].length * 4 },
    }],
    parameters: { binary_data_output: true },
  }));
  const values = Float32Array.from(rows.flat());
  const body = new Uint8Array(header.length + values.byteLength);
  body.set(header);
  body.set(new Uint8Array(values.buffer), header.length);
  return { body, headerLength: header.length };
}

/** Probabilities of a binary infer response (FP32 output after the label's INT64 bytes). */
async function binaryProbabilities(res: Response): Promise<number[]> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const n = Number(res.headers.get("inference-header-content-length"));
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(0, n)));
  let o = n;
  for (const out of head.outputs) {
    const size = out.parameters.binary_data_size;
    if (out.name === "probabilities") {
      return Array.from(new Float32Array(bytes.slice(o, o + size).buffer));
    }
    o += size;
  }
  throw new Error("No probabilities output");
}

console.error("Training the demo model…");
const { root: registryDir } = await demoRegistry();
const port = freePort();
const base = `http://127.0.0.1:${port}`;
const edge = new Deno.Command(Deno.execPath(), {
  args: edgeServeArgs(port),
  cwd: ROOT,
  env: { EDGE_REGISTRY_DIR: registryDir, EDGE_LOG_LEVEL: "warn", EDGE_ONLINE_STORE: "none" },
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const files: string[] = [];
type Kind = "batchRaw" | "batchInputs" | "v2Binary" | "v2Json";
const runs: Record<
  Kind,
  { rowsPerSec: number; cpuMsPer1000: number; p99Ms: number; non2xx: number; command: string }[]
> = {
  batchRaw: [],
  batchInputs: [],
  v2Binary: [],
  v2Json: [],
};
try {
  await waitFor(`${base}/ready`, 30_000);
  const config = await (await fetch(`${base}/v2/models/${MODEL}/config`)).json();
  const features: string[] = config.parameters.features.string_value.split(",");
  const input: string = config.input[0].name;
  const { manifest } = await new LocalRegistry({ root: registryDir }).getPackage(MODEL, "champion");
  const rows = makeRows(manifest.inputs);
  if (manifest.inputs.map((x) => x.name).join() !== features.join()) {
    throw new Error(
      `The v2 config lists ${features}, the manifest ${manifest.inputs.map((x) => x.name)}`,
    );
  }

  const batchInputs = JSON.stringify({
    instances: rows.map((r) => Object.fromEntries(features.map((f, c) => [f, r[c]]))),
  });
  const binary = binaryBody(rows, input);
  const v2Json = JSON.stringify({
    inputs: [{ name: input, shape: [ROWS, features.length], datatype: "FP32", data: rows.flat() }],
  });

  // The same rows give the same probabilities through both paths.
  const batchRes = await fetch(`${base}/predict/batch`, {
    method: "POST",
    body: JSON.stringify({ ...JSON.parse(batchInputs), return_probabilities: true }),
    headers: { "content-type": "application/json" },
  });
  const expected: number[] = (await batchRes.json()).probabilities.flat();
  const binRes = await fetch(`${base}/v2/models/${MODEL}/infer`, {
    method: "POST",
    body: binary.body as Uint8Array<ArrayBuffer>,
    headers: {
      "content-type": "application/octet-stream",
      "inference-header-content-length": String(binary.headerLength),
    },
  });
  if (binRes.status !== 200) {
    throw new Error(`v2 binary answered ${binRes.status}: ${await binRes.text()}`);
  }
  const got = await binaryProbabilities(binRes);
  if (got.length !== expected.length || got.some((p, i) => p !== expected[i])) {
    throw new Error("v2 binary probabilities differ from /predict/batch for the same rows");
  }
  console.error(`v2 binary and /predict/batch agree on ${ROWS} rows; loading…`);

  const batchRawPath = await batchBody(ROWS);
  files.push(batchRawPath);
  const batchInputsPath = await tempFile(".json", batchInputs);
  const binaryPath = await tempFile(".bin", binary.body);
  const v2JsonPath = await tempFile(".json", v2Json);
  files.push(batchInputsPath, binaryPath, v2JsonPath);
  const infer = `${base}/v2/models/${MODEL}/infer`;
  const loads: Record<Kind, { url: string; script: string; env: Record<string, string> }> = {
    batchRaw: {
      url: `${base}/predict/batch`,
      script: `${HERE}batch.lua`,
      env: { BENCH_BATCH_BODY: batchRawPath },
    },
    batchInputs: {
      url: `${base}/predict/batch`,
      script: `${HERE}batch.lua`,
      env: { BENCH_BATCH_BODY: batchInputsPath },
    },
    v2Binary: {
      url: infer,
      script: `${HERE}v2_binary.lua`,
      env: { BENCH_V2_BODY: binaryPath, BENCH_V2_HEADER_LENGTH: String(binary.headerLength) },
    },
    v2Json: { url: infer, script: `${HERE}batch.lua`, env: { BENCH_BATCH_BODY: v2JsonPath } },
  };
  const kinds = Object.keys(loads) as Kind[];
  for (const kind of kinds) {
    await runWrk({ ...loads[kind], connections: CONNECTIONS, threads: THREADS, seconds: WARM_S });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of kinds) {
      console.error(`Round ${round + 1}: ${kind}…`);
      const c0 = cpuSeconds(edge.pid);
      const wrk = await runWrk({
        ...loads[kind],
        connections: CONNECTIONS,
        threads: THREADS,
        seconds: LOAD_S,
      });
      const cpu = cpuSeconds(edge.pid) - c0;
      runs[kind].push({
        rowsPerSec: wrk.requestsPerSec * ROWS,
        cpuMsPer1000: cpu * 1000 / wrk.requests,
        p99Ms: wrk.p99Ms,
        non2xx: wrk.non2xx,
        command: wrk.command,
      });
    }
  }
} finally {
  edge.kill("SIGTERM");
  await edge.status;
  await Deno.remove(registryDir, { recursive: true });
  for (const f of files) await Deno.remove(f).catch(() => {});
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const stat = (kind: Kind) => ({
  rowsPerSec: mean(runs[kind].map((r) => r.rowsPerSec)),
  cpuMsPer1000: mean(runs[kind].map((r) => r.cpuMsPer1000)),
  rounds: runs[kind].map((r) => Math.round(r.rowsPerSec)),
  p99Ms: Math.max(...runs[kind].map((r) => r.p99Ms)),
  non2xx: runs[kind].reduce((s, r) => s + r.non2xx, 0),
  command: runs[kind][0].command,
});
const s = {
  batchRaw: stat("batchRaw"),
  batchInputs: stat("batchInputs"),
  v2Binary: stat("v2Binary"),
  v2Json: stat("v2Json"),
};
const names: Record<Kind, string> = {
  batchRaw: "/predict/batch, 1000 JSON instances of raw fields (the bench:edge body)",
  batchInputs: "/predict/batch, 1000 JSON instances of the model's inputs",
  v2Binary: "v2 infer, 1000 rows as binary FP32, binary outputs",
  v2Json: "v2 infer, the same 1000 rows as JSON data, JSON outputs",
};
const ratioRaw = s.v2Binary.rowsPerSec / s.batchRaw.rowsPerSec;
const ratioInputs = s.v2Binary.rowsPerSec / s.batchInputs.rowsPerSec;
const met = ratioRaw >= 1 && ratioInputs >= 1 && s.v2Binary.non2xx === 0;
console.log(quick ? "v2 benchmark (QUICK smoke run, not a measurement)" : "v2 benchmark");
for (const kind of Object.keys(names) as Kind[]) {
  const x = s[kind];
  console.log(
    `- ${names[kind]}: ${x.rowsPerSec.toFixed(0)} rows/s (rounds ${x.rounds.join(", ")}), CPU ${
      x.cpuMsPer1000.toFixed(2)
    } ms per 1000 rows, p99 ${x.p99Ms} ms, non-2xx ${x.non2xx}\n    ${x.command}`,
  );
}
console.log(
  `- v2 binary / batch: ${ratioRaw.toFixed(2)}× (raw fields), ${
    ratioInputs.toFixed(2)
  }× (model inputs); CPU per row ${
    (s.batchRaw.cpuMsPer1000 / s.v2Binary.cpuMsPer1000).toFixed(2)
  }× / ${
    (s.batchInputs.cpuMsPer1000 / s.v2Binary.cpuMsPer1000).toFixed(2)
  }× less | target ≥ 1.0× | met: ${met ? "yes" : "NO"}`,
);
console.log(
  JSON.stringify({ quick, rows: ROWS, connections: CONNECTIONS, ratioRaw, ratioInputs, met, ...s }),
);
