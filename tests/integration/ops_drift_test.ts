/**
 * Drift end to end: the real edge app scores a stream (shifted or not)
 * with a model whose package carries a training baseline, its `/metrics`
 * is scraped, and the scraped `ml_feature_drift_psi` is fed to the real
 * alert rules with `promtool test rules`: the drift alert fires for the
 * shifted stream and stays silent for the unshifted one.
 */
import assert from "node:assert/strict";
import { createApp, defaultEdgeConfig, RegistryModelSource } from "../../edge/mod.ts";
import { logisticPackage } from "../support/edge.ts";
import { LocalRegistry } from "../../registry/local.ts";

const MONITORING = new URL("../../deploy/monitoring/", import.meta.url).pathname;
const EDGES = [-1.5, -1, -0.5, 0, 0.5, 1, 1.5];
/** N(0, 1) mass of the bins (-inf,-1.5], (-1.5,-1], ..., (1.5, +inf). */
const NORMAL_FREQUENCIES = [0.0668, 0.0919, 0.1498, 0.1915, 0.1915, 0.1498, 0.0919, 0.0668];

/** Deterministic standard normal values (Box-Muller over mulberry32). */
function normals(seed: number, n: number, shift: number): number[] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => {
    const u = 1 - next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next()) + shift;
  });
}

/** Serves `values` through /predict/batch and returns the scraped PSI of feature `x`. */
async function scrapedPsi(values: number[]): Promise<number> {
  const root = await Deno.makeTempDir({ prefix: "ops_drift_" });
  const registry = new LocalRegistry({ root });
  const pkg = await logisticPackage({
    name: "drift_model",
    inputs: [{ name: "x" }, { name: "y" }],
    weights: [0.5, -0.25],
  });
  pkg.manifest.baseline = {
    x: { edges: EDGES, frequencies: NORMAL_FREQUENCIES },
    y: { edges: EDGES, frequencies: NORMAL_FREQUENCIES },
  };
  const m = await registry.register(pkg);
  await registry.setAlias("drift_model", "champion", m.version);
  const app = createApp({
    config: defaultEdgeConfig({
      defaultModel: "drift_model",
      predictionCacheTtlMs: 0,
      logLevel: "silent",
    }),
    models: new RegistryModelSource(registry),
  });
  try {
    await app.warmup();
    const ys = normals(99, values.length, 0);
    for (let i = 0; i < values.length; i += 500) {
      const instances = values.slice(i, i + 500).map((x, j) => ({ x, y: ys[i + j] }));
      const res = await app.request("/predict/batch", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances, model_name: "drift_model" }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
    }
    const text = await (await app.request("/metrics")).text();
    const line = (feature: string) =>
      text.split("\n").find((l) =>
        l.startsWith("ml_feature_drift_psi{") && l.includes(`feature="${feature}"`)
      );
    const x = line("x");
    const y = line("y");
    assert.ok(x && y, `no drift gauge in /metrics:\n${text}`);
    assert.match(x, /model_name="drift_model",model_version="1"/);
    assert.ok(Number(y.split(" ").at(-1)) < 0.05, `unshifted feature y: ${y}`);
    return Number(x.split(" ").at(-1));
  } finally {
    await app.close();
    await Deno.remove(root, { recursive: true });
  }
}

/**
 * Runs the real alert rules on a PSI series held at `psi` for 40 minutes,
 * expecting no alert: promtool passes when the alert stays silent and
 * fails, showing the alert it got, when it fires.
 */
async function driftAlertFires(psi: number): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "ops_drift_rules_" });
  try {
    const series =
      `ml_feature_drift_psi{job="edge",model_name="drift_model",model_version="1",feature="x"}`;
    const file = `${dir}/drift_test.yaml`;
    await Deno.writeTextFile(
      file,
      `rule_files:
  - ${MONITORING}prometheus/rules/recording.yaml
  - ${MONITORING}prometheus/rules/alerts.yaml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: '${series}'
        values: '${psi}x45'
    alert_rule_test:
      - eval_time: 40m
        alertname: MlFeatureDriftHigh
        exp_alerts: []
`,
    );
    const out = await new Deno.Command("promtool", {
      args: ["test", "rules", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    if (out.code === 0) return false;
    assert.match(text, /alertname="MlFeatureDriftHigh", feature="x", model_name="drift_model"/);
    return true;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("drift: a shifted stream through the edge fires MlFeatureDriftHigh", async () => {
  const psi = await scrapedPsi(normals(1, 3000, 1.5));
  assert.ok(psi > 0.25, `PSI of the shifted stream ${psi}`);
  assert.equal(await driftAlertFires(psi), true);
});

Deno.test("drift: a stream like the training data keeps MlFeatureDriftHigh silent", async () => {
  const psi = await scrapedPsi(normals(2, 3000, 0));
  assert.ok(psi < 0.05, `PSI of the unshifted stream ${psi}`);
  assert.equal(await driftAlertFires(psi), false);
});
