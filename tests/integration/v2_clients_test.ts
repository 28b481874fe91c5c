/**
 * The official Open Inference Protocol v2 clients against a running edge:
 * `tritonclient[http]` (sync, `async_infer`, aio) and KServe's
 * `InferenceRESTClient`, pinned in `v2_clients/requirements.txt` and
 * installed into a cached virtualenv on first use. `v2_clients/run_clients.py`
 * runs every client operation in JSON and binary modes and reports what each
 * returned or raised; this test checks the report against the edge's own
 * `/predict/batch` and error bodies.
 */
import assert from "node:assert/strict";
import { DEMO_INPUTS } from "../support/edge.ts";
import { pythonVenv } from "../_python_venv.ts";
import { startEdgeServer } from "../e2e/edge_server.ts";

const HERE = new URL("./v2_clients/", import.meta.url).pathname;
const MODEL = "fraud_detector";
const FEATURES = DEMO_INPUTS.map((i) => i.name);
/**
 * Twenty distinct rows in the model's input order: even ones scored below the
 * threshold by the demo-shaped test model, odd ones above.
 */
const ROWS = Array.from(
  { length: 20 },
  (_, r) =>
    r % 2 === 0
      ? [0, r % 7, 0, 8 + (r % 3), 5 + r, 1 + r * 1.5, 0, r % 6]
      : [r % 24, r % 7, r % 7 >= 5 ? 1 : 0, 1, 20 + 37 * r, 900 - r * 41.5, (r * 13) % 100, r % 6],
);

interface Tensor {
  dtype: string;
  shape: number[];
  values: number[];
}
interface InferResult {
  model_name: string;
  model_version?: string;
  id: string | null;
  parameters: Record<string, unknown> | null;
  outputs: string[];
  binary_outputs?: string[];
  label?: Tensor;
  probabilities?: Tensor;
}
interface ClientError {
  type: string;
  message: string;
  status: string | null;
  trace: string | null;
}
type Outcome<T = unknown> = { result: T; error?: undefined } | { error: ClientError };
type Report = Record<
  "triton" | "triton_aio" | "kserve",
  Record<string, Outcome> & {
    infer: Record<string, Outcome<InferResult>>;
    errors: Record<string, Outcome>;
  }
>;

function ok<T>(o: Outcome<T>, what: string): T {
  if (o.error) assert.fail(`${what} raised ${o.error.type}: ${o.error.message}\n${o.error.trace}`);
  return o.result;
}

async function post(base: string, path: string, body: unknown) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  return { status: res.status, body: await res.json() };
}

/** What the edge answers the bad requests the clients send, by case. */
async function serverErrors(base: string): Promise<Record<string, [number, string]>> {
  const input = (name: string, width: number, datatype = "FP32") => ({
    inputs: [{
      name,
      shape: [ROWS.length, width],
      datatype,
      data: ROWS.map((r) => r.slice(0, width)).flat(),
    }],
  });
  const cases: Record<string, [string, unknown]> = {
    unknown_model: ["/v2/models/no_such_model/infer", input("input", 8)],
    wrong_input_name: [`/v2/models/${MODEL}/infer`, input("wrong_input", 8)],
    wrong_shape: [`/v2/models/${MODEL}/infer`, input("input", 7)],
    wrong_datatype: [`/v2/models/${MODEL}/infer`, input("input", 8, "FP64")],
  };
  const out: Record<string, [number, string]> = {};
  for (const [k, [path, body]] of Object.entries(cases)) {
    const res = await post(base, path, body);
    assert.deepEqual(Object.keys(res.body), ["error"], k);
    out[k] = [res.status, res.body.error];
  }
  return out;
}

Deno.test("tritonclient and kserve run every v2 operation against the edge, JSON and binary", async () => {
  const python = await pythonVenv("v2-clients", `${HERE}requirements.txt`);
  await using edge = await startEdgeServer();
  const instances = ROWS.map((r) => Object.fromEntries(FEATURES.map((f, i) => [f, r[i]])));
  const batch = await post(edge.base, "/predict/batch", { instances, return_probabilities: true });
  assert.equal(batch.status, 200);
  const expected: number[] = batch.body.probabilities.flat();
  const labels: number[] = batch.body.predictions;
  assert.ok(new Set(labels).size === 2, "rows of both classes");
  const bad = await serverErrors(edge.base);

  const child = new Deno.Command(python, {
    args: [`${HERE}run_clients.py`],
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify({
    url: edge.base,
    model: MODEL,
    version: "1",
    input: "input",
    features: FEATURES,
    rows: ROWS,
  })));
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const report: Report = JSON.parse(new TextDecoder().decode(out.stdout));

  // Health, metadata and configuration.
  const t = report.triton;
  for (
    const k of ["is_server_live", "is_server_ready", "is_model_ready", "is_model_ready_version"]
  ) {
    assert.equal(ok(t[k], `triton ${k}`), true, k);
  }
  assert.equal(ok(t.is_model_ready_unknown, "triton is_model_ready(unknown)"), false);
  assert.deepEqual(
    (ok(t.get_server_metadata, "metadata") as { extensions: string[] }).extensions,
    ["binary_tensor_data", "model_configuration"],
  );
  for (const k of ["get_model_metadata", "get_model_metadata_version"]) {
    const meta = ok(t[k], k) as { inputs: unknown[]; versions: string[] };
    assert.deepEqual(meta.inputs, [{ name: "input", datatype: "FP32", shape: [-1, 8] }]);
    assert.deepEqual(meta.versions, ["1"]);
  }
  for (const k of ["get_model_config", "get_model_config_version"]) {
    const config = ok(t[k], k) as { max_batch_size: number; input: { dims: number[] }[] };
    assert.equal(config.max_batch_size, 1000);
    assert.deepEqual(config.input[0].dims, [8]);
  }
  const aio = report.triton_aio;
  assert.equal(ok(aio.is_server_live, "aio live"), true);
  assert.equal(ok(aio.is_model_ready, "aio ready"), true);
  assert.equal((ok(aio.get_model_config, "aio config") as { name: string }).name, MODEL);
  const k = report.kserve;
  for (const key of ["is_server_live", "is_server_ready", "is_model_ready"]) {
    assert.equal(ok(k[key], `kserve ${key}`), true, key);
  }
  assert.equal(ok(k.is_model_ready_unknown, "kserve is_model_ready(unknown)"), false);

  // Every inference: the probabilities and labels of /predict/batch, in the mode asked.
  const infers = Object.entries(report).flatMap(([client, r]) =>
    Object.entries(r.infer).map(([mode, o]) => ({ client, mode, o }))
  );
  assert.equal(infers.length, 24 + 6 + 7, infers.map((i) => `${i.client} ${i.mode}`).join(", "));
  for (const { client, mode, o } of infers) {
    const what = `${client} ${mode}`;
    const res = ok(o, what);
    assert.equal(res.model_name, MODEL, what);
    assert.ok(res.probabilities, what);
    assert.equal(res.probabilities.dtype, "float32", what);
    assert.deepEqual(res.probabilities.shape, [ROWS.length, 2], what);
    assert.deepEqual(res.probabilities.values, expected, what);
    const subset = mode.includes("subset");
    assert.deepEqual(res.outputs, subset ? ["probabilities"] : ["label", "probabilities"], what);
    if (!subset) {
      assert.equal(res.label?.dtype, "int64", what);
      assert.deepEqual(res.label?.values, labels, what);
    }
    if (client !== "kserve") {
      const binary = mode.includes("default_out") || mode.includes("binary_out") ||
        mode.endsWith("/version") || mode.endsWith("per_feature") || mode.endsWith("async_infer");
      assert.deepEqual(res.binary_outputs, binary ? res.outputs : [], what);
    }
    if (
      client === "triton" && /(default|json|binary)_out$/.test(mode) && !/gzip|deflate/.test(mode)
    ) {
      assert.equal(res.id, `triton-${mode}`, what);
      assert.deepEqual(res.parameters, { custom: mode }, what);
    }
    if (client === "kserve" && !mode.startsWith("dict")) {
      assert.deepEqual(res.parameters, { custom: "kserve" }, what);
    }
  }

  // Errors arrive as client exceptions carrying the edge's message and status.
  const errors = [
    ...Object.entries(t.errors).map(([key, o]) => ({ client: "triton", key, o })),
    ...Object.entries(aio.errors).map(([key, o]) => ({ client: "triton_aio", key, o })),
    ...Object.entries(k.errors).map(([key, o]) => ({ client: "kserve", key, o })),
  ];
  assert.equal(errors.length, 10 + 1 + 8);
  for (const { client, key, o } of errors) {
    const what = `${client} ${key}`;
    assert.ok(o.error, `${what} did not raise`);
    const name = key.split("/").at(-1)!;
    if (!(name in bad)) {
      assert.match(o.error.message, /^(Model|Version) not found/, what);
      assert.equal(o.error.status, "404", what);
      continue;
    }
    const [status, message] = bad[name];
    assert.equal(o.error.status, String(status), what);
    if (client === "kserve") {
      assert.equal(o.error.type, "HTTPStatusError", what);
      assert.ok(
        o.error.message.startsWith(`${message}, '${status} `),
        `${what}: ${o.error.message}`,
      );
    } else {
      assert.equal(o.error.type, "InferenceServerException", what);
      assert.equal(o.error.message, message, what);
    }
  }
});
