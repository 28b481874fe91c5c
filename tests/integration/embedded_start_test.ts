/**
 * `deno task start` and the `model:*` commands as a person runs them, in
 * separate processes: start-up failures are one line and leave nothing
 * behind, and the model commands act on the running platform.
 *
 * @module
 */
import assert from "node:assert/strict";
import { until } from "../support/wait.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const decoder = new TextDecoder();

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function task(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Asserts a failure printed as one `error:` line, no stack trace. */
function oneLine(r: { code: number; stderr: string }, pattern: RegExp) {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
}

Deno.test("deno task start fails in one line on a bad PORT and on a port in use, before any work", async () => {
  const dataDir = `${await Deno.makeTempDir({ prefix: "start-" })}/data`;
  try {
    oneLine(await task(["start"], { DATA_DIR: dataDir, PORT: "eighty" }), /^error: .*PORT/);
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = String((busy.addr as Deno.NetAddr).port);
      const t0 = performance.now();
      oneLine(
        await task(["start"], { DATA_DIR: dataDir, PORT: port }),
        new RegExp(`^error: Cannot listen on 127.0.0.1:${port}: the port is in use`),
      );
      // Nothing was opened: no data folder, so no lock left behind.
      assert.equal(await Deno.stat(dataDir).then(() => true, () => false), false);
      console.log(`port in use reported after ${Math.round(performance.now() - t0)} ms`);
    } finally {
      busy.close();
    }
  } finally {
    await Deno.remove(dataDir.replace(/\/data$/, ""), { recursive: true });
  }
});

Deno.test({
  name: "model commands act on the running embedded platform, which holds its DATA_DIR",
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "start-" });
    const port = freePort();
    const env = {
      DATA_DIR: dataDir,
      EDGE_LOG_LEVEL: "warn",
      PORT: String(port),
      // A loaded shared machine must not fail the validation latency smoke run.
      REGISTRY_VALIDATION_LATENCY_MS: "10000",
    };
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}deploy/embedded/main.ts`],
      cwd: ROOT,
      env,
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const output: string[] = [];
    const reading = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        output.push(chunk);
      }
    })();
    try {
      const deadline = Date.now() + 120_000;
      while (!output.join("").includes("Ready in")) {
        assert.ok(Date.now() < deadline, `not ready: ${output.join("")}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const base = `http://127.0.0.1:${port}`;
      const health = await fetch(`${base}/health`);
      assert.ok(health.headers.get("x-request-id"));
      assert.equal((await health.json()).checks.models.status, "ok");

      const refused = await task(
        ["model:canary", "--model", "fraud_detector", "--version", "2", "--percent", "30"],
        env,
      );
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /inputs differ .*--force/);
      const canary = await task([
        "model:canary",
        "--model",
        "fraud_detector",
        "--version",
        "2",
        "--percent",
        "30",
        "--force",
      ], env);
      assert.equal(canary.code, 0, canary.stderr);
      assert.match(canary.stdout, /at 30 % of traffic .* on the running platform/);
      const variants = { champion: 0, challenger: 0 };
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`${base}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            entity_id: `user_${i}`,
            features: { amount: 20 + i, merchant_category: "grocery", risk_score: 0.1 },
          }),
        });
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        variants[body.variant as "champion" | "challenger"]++;
      }
      assert.ok(variants.challenger > 0 && variants.champion > 0, JSON.stringify(variants));
      // The counters flush at most once a second: wait until model:status shows every request.
      let s: {
        requests: Record<string, { requests: number } | undefined>;
        traffic: { challenger_percent: number };
      } | undefined;
      await until(
        async () => {
          const status = await task(["model:status", "--model", "fraud_detector", "--json"], env);
          assert.equal(status.code, 0, status.stderr);
          s = JSON.parse(status.stdout);
          return s!.requests.challenger?.requests === variants.challenger &&
            s!.requests.champion?.requests === variants.champion;
        },
        `model:status to count ${JSON.stringify(variants)}`,
        30_000,
      );
      assert.equal(s!.traffic.challenger_percent, 30);

      const second = await task(["start"], { ...env, PORT: String(freePort()) });
      oneLine(second, /^error: Cannot open the PGlite data folder .*process \d+ is using it/);
    } finally {
      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0);
      await reading;
    }
    const left: string[] = [];
    for await (const e of Deno.readDir(dataDir)) left.push(e.name);
    assert.ok(!left.includes("platform.json") && !left.includes("pglite.lock"), left.join(", "));
    await Deno.remove(dataDir, { recursive: true });
  },
});
