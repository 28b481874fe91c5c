/**
 * Checks the Prometheus rules, their unit tests and the Alertmanager config
 * with the real `promtool` and `amtool` (Debian packages `prometheus` and
 * `prometheus-alertmanager`).
 */
import assert from "node:assert/strict";

const MONITORING = new URL("../../deploy/monitoring/", import.meta.url).pathname;
const RULES = ["prometheus/rules/recording.yaml", "prometheus/rules/alerts.yaml"];

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(cmd, {
      args,
      cwd: MONITORING,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot run ${cmd}: not installed (Debian prometheus, prometheus-alertmanager)`,
      );
    }
    throw e;
  }
  const dec = new TextDecoder();
  return { code: output.code, out: dec.decode(output.stdout) + dec.decode(output.stderr) };
}

async function ruleTests(): Promise<string[]> {
  const files: string[] = [];
  for await (const e of Deno.readDir(`${MONITORING}tests`)) {
    if (e.isFile && e.name.endsWith(".yaml")) files.push(`tests/${e.name}`);
  }
  return files.sort();
}

Deno.test("promtool check rules accepts every rule file", async () => {
  const { code, out } = await run("promtool", ["check", "rules", ...RULES]);
  assert.equal(code, 0, out);
  assert.match(out, /SUCCESS: \d+ rules found/);
});

Deno.test("promtool test rules passes every alert unit test", async () => {
  const files = await ruleTests();
  assert.ok(files.length >= 3, `expected rule unit tests, found ${files}`);
  const { code, out } = await run("promtool", ["test", "rules", ...files]);
  assert.equal(code, 0, out);
  assert.doesNotMatch(out, /FAILED/);
});

Deno.test("promtool rule tests cover every alert firing and not firing", async () => {
  const alerts = new Set(
    [...(await Deno.readTextFile(`${MONITORING}${RULES[1]}`)).matchAll(/- alert: (\w+)/g)]
      .map((m) => m[1]),
  );
  const text = (await Promise.all(
    (await ruleTests()).map((f) => Deno.readTextFile(`${MONITORING}${f}`)),
  )).join("\n");
  const cases = [...text.matchAll(/alertname: (\w+)\n\s+exp_alerts:( \[\])?/g)];
  for (const alert of alerts) {
    const mine = cases.filter((c) => c[1] === alert);
    assert.ok(mine.some((c) => c[2] === undefined), `${alert} has no firing test`);
    assert.ok(mine.some((c) => c[2] !== undefined), `${alert} has no not-firing test`);
  }
});

Deno.test("promtool test rules fails when an alert threshold is broken", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ops_rules_" });
  try {
    await Deno.mkdir(`${dir}/prometheus/rules`, { recursive: true });
    await Deno.mkdir(`${dir}/tests`);
    await Deno.copyFile(`${MONITORING}${RULES[0]}`, `${dir}/${RULES[0]}`);
    const alerts = await Deno.readTextFile(`${MONITORING}${RULES[1]}`);
    const broken = alerts.replace("ml_feature_drift_psi) > 0.25", "ml_feature_drift_psi) > 5");
    assert.notEqual(broken, alerts);
    await Deno.writeTextFile(`${dir}/${RULES[1]}`, broken);
    await Deno.copyFile(`${MONITORING}tests/serving_test.yaml`, `${dir}/tests/serving_test.yaml`);
    const out = await new Deno.Command("promtool", {
      args: ["test", "rules", "tests/serving_test.yaml"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.notEqual(out.code, 0);
    assert.match(new TextDecoder().decode(out.stderr), /MlFeatureDriftHigh/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("promtool check config accepts both Prometheus configs", async () => {
  for (const file of ["prometheus/prometheus.yml", "prometheus/prometheus.kubernetes.yml"]) {
    // --syntax-only: the secret files they name exist only where Prometheus runs.
    const { code, out } = await run("promtool", ["check", "config", "--syntax-only", file]);
    assert.equal(code, 0, out);
  }
});

Deno.test("amtool check-config accepts the Alertmanager config with two receiver kinds", async () => {
  const { code, out } = await run("amtool", ["check-config", "alertmanager/alertmanager.yml"]);
  assert.equal(code, 0, out);
  const text = await Deno.readTextFile(`${MONITORING}alertmanager/alertmanager.yml`);
  assert.match(text, /webhook_configs:/);
  assert.match(text, /email_configs:/);
});

Deno.test("Alertmanager routes critical to the webhook and email, warning to email", async () => {
  const route = async (label: string) => {
    const { code, out } = await run("amtool", [
      "config",
      "routes",
      "test",
      "--config.file=alertmanager/alertmanager.yml",
      label,
    ]);
    assert.equal(code, 0, out);
    return out.split("\n").find((l) => l.trim() !== "" && !l.startsWith("Warning"))?.trim();
  };
  assert.equal(await route("severity=critical"), "oncall-webhook,team-email");
  assert.equal(await route("severity=warning"), "team-email");
  assert.equal(await route("severity=info"), "chat-webhook");
});

Deno.test("every alert's runbook link points at a section of the monitoring README", async () => {
  const alerts = await Deno.readTextFile(`${MONITORING}${RULES[1]}`);
  const readme = await Deno.readTextFile(`${MONITORING}README.md`);
  const anchors = new Set(
    [...readme.matchAll(/^#+ (.+)$/gm)].map((m) => m[1].toLowerCase().replace(/[^a-z0-9]+/g, "")),
  );
  const links = [...alerts.matchAll(/runbook: deploy\/monitoring\/README\.md#(\w+)/g)];
  assert.ok(links.length >= 10);
  for (const [, anchor] of links) assert.ok(anchors.has(anchor), `no runbook section #${anchor}`);
});
