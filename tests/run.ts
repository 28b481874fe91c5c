/**
 * `deno task test`: the whole suite, as CI runs it.
 *
 * 1. `deno fmt --check`, `deno lint`, `deno check .` (whole project);
 * 2. starts the services that are not already running (all by default;
 *    env `TEST_SERVICES=postgres,redis` limits them, `TEST_SERVICES=none`
 *    starts none);
 * 3. `deno test -A --permit-no-files [args...]` (extra args go to deno test,
 *    e.g. a path filter: `deno task test tests/integration/gateway_upstash_test.ts`);
 * 4. stops the services it started, prints a summary, and exits non-zero
 *    on any failure. `TEST_SKIP_STATIC=1` skips step 1 for quick local runs
 *    (deno test then type-checks the tests itself); `TEST_KEEP_SERVICES=1`
 *    leaves the services it started running; `TEST_TIMEOUT_SECONDS` (default
 *    2400) bounds deno test so a hung test fails the run instead of CI.
 *
 * @module
 */
import {
  defaultContext,
  downServices,
  type ServiceName,
  upServices,
} from "../deploy/services/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const DENO = Deno.execPath();

interface Phase {
  name: string;
  ok: boolean;
  seconds: number;
}

const phases: Phase[] = [];

async function step(name: string, fn: () => Promise<boolean>): Promise<boolean> {
  console.log(`\n=== ${name}`);
  const t0 = performance.now();
  let ok = false;
  try {
    ok = await fn();
  } catch (e) {
    console.error(`${name} failed: ${e instanceof Error ? e.message : e}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  phases.push({ name, ok, seconds });
  console.log(`=== ${name}: ${ok ? "ok" : "FAILED"} (${seconds.toFixed(1)} s)`);
  return ok;
}

async function deno(args: string[], env: Record<string, string> = {}): Promise<boolean> {
  const { code } = await new Deno.Command(DENO, {
    args,
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code === 0;
}

/** Counts from deno test's closing line (`ok | 12 passed (3 steps) | 0 failed | 1 ignored`). */
export function parseSummary(
  text: string,
): { passed: number; failed: number; ignored: number } | null {
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
  const lines = plain.split("\n").filter((l) => /\d+ passed.*\|\s*\d+ failed/.test(l));
  const last = lines.at(-1);
  if (!last) return null;
  const num = (re: RegExp) => Number(re.exec(last)?.[1] ?? 0);
  return {
    passed: num(/(\d+) passed/),
    failed: num(/(\d+) failed/),
    ignored: num(/(\d+) ignored/),
  };
}

/** Runs deno test, streaming its output, and returns the exit status with the counts. */
async function denoTest(args: string[], env: Record<string, string>) {
  const child = new Deno.Command(DENO, {
    args: ["test", "-A", "--permit-no-files", ...args],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const limit = Number(Deno.env.get("TEST_TIMEOUT_SECONDS") ?? "2400");
  const timer = setTimeout(() => {
    console.error(`deno test still running after ${limit} s: stopping it`);
    try {
      child.kill("SIGKILL");
    } catch {
      // Already finished.
    }
  }, limit * 1000);
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
  }
  const { code } = await child.status;
  clearTimeout(timer);
  return { code, summary: parseSummary(tail) };
}

/**
 * deno.json is edited by str_replace in parallel work, so its layout is not
 * checked. `--ignore` replaces the configured excludes, so they are repeated.
 */
async function fmtIgnore(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const excluded: string[] = [...(config.exclude ?? []), ...(config.fmt?.exclude ?? [])];
  return `--ignore=${[...new Set([...excluded, "deno.json"])].join(",")}`;
}

function wantedServices(): string[] | null {
  const raw = (Deno.env.get("TEST_SERVICES") ?? "").trim();
  if (raw === "none") return null;
  return raw === "" || raw === "all" ? [] : raw.split(",").map((s) => s.trim()).filter(Boolean);
}

async function main(): Promise<number> {
  const extra = Deno.args;
  const ctx = defaultContext(Deno.env.toObject());
  let started: ServiceName[] = [];
  let stopping = false;
  const stopStarted = async () => {
    if (stopping || started.length === 0) return;
    if (Deno.env.get("TEST_KEEP_SERVICES") === "1") {
      console.log(`\n=== keeping services this run started: ${started.join(", ")}`);
      return;
    }
    stopping = true;
    console.log(`\n=== stopping services this run started: ${started.join(", ")}`);
    await downServices(ctx, started);
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, async () => {
      await stopStarted();
      Deno.exit(130);
    });
  }

  const staticChecks = Deno.env.get("TEST_SKIP_STATIC") !== "1";
  if (staticChecks) {
    await step("deno fmt --check", async () => deno(["fmt", "--check", await fmtIgnore()]));
    await step("deno lint", () => deno(["lint"]));
    await step("deno check", () => deno(["check", "."]));
  }

  const names = wantedServices();
  let servicesOk = true;
  if (names !== null) {
    servicesOk = await step("services:up", async () => {
      const result = await upServices(ctx, names);
      started = result.started;
      for (const f of result.failed) {
        console.error(`service ${f.name} did not start: ${f.error.message}`);
      }
      return result.failed.length === 0;
    });
  }

  let summary: { passed: number; failed: number; ignored: number } | null = null;
  try {
    await step("deno test", async () => {
      // `deno check .` already type-checked every file, tests included.
      const res = await denoTest(staticChecks ? ["--no-check", ...extra] : extra, {
        // The Google client libraries otherwise probe a metadata server.
        METADATA_SERVER_DETECTION: "none",
      });
      summary = res.summary;
      return res.code === 0;
    });
  } finally {
    await stopStarted();
  }

  console.log("\n=== summary");
  for (const p of phases) {
    console.log(`${p.ok ? "ok    " : "FAILED"} ${p.name} (${p.seconds.toFixed(1)} s)`);
  }
  const failed = phases.some((p) => !p.ok) || !servicesOk;
  const s = summary as { passed: number; failed: number; ignored: number } | null;
  if (s) {
    console.log(
      `Tests: ${s.passed} passed, ${s.failed} failed${s.ignored ? `, ${s.ignored} skipped` : ""}`,
    );
  }
  return failed ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await main());
}
