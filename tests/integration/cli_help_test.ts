/**
 * Every `deno task` a person runs answers `--help` with its usage and exit
 * code 0, without doing anything else (no server, no store, no services).
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
/** Tasks that are not commands of ours: the test runner itself and `deno deploy`. */
const SKIP = new Set(["test", "test:unit", "deploy"]);
const TASKS = Object.keys(config.tasks).filter((t) => !SKIP.has(t)).sort();

/**
 * Runs `deno task <task> --help`. Its output is read until the process has
 * exited and then for at most 5 s more: a pipe whose end something still
 * holds open (seen once on a loaded machine, with every child gone) must
 * not hang the suite.
 */
async function helpOf(task: string, dataDir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", task, "--help"],
    cwd: ROOT,
    env: { DATA_DIR: dataDir, PORT: "1", EDGE_LOG_LEVEL: "silent" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  const collect = (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    const done = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        chunks.push(value);
      }
    })();
    return {
      text: async (deadline: Promise<void>) => {
        await Promise.race([done, deadline]);
        await reader.cancel().catch(() => {});
        const decoder = new TextDecoder();
        return chunks.map((c) => decoder.decode(c, { stream: true })).join("") + decoder.decode();
      },
    };
  };
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const { code } = await child.status;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)));
  try {
    return { code, stdout: await stdout.text(grace), stderr: await stderr.text(grace) };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("every deno task prints its usage for --help and exits 0", async () => {
  assert.ok(TASKS.length > 25, `only ${TASKS.length} tasks found`);
  const failures: string[] = [];
  // A data dir that must stay empty: --help opens nothing.
  const dataDir = await Deno.makeTempDir({ prefix: "help-" });
  try {
    for (let i = 0; i < TASKS.length; i += 6) {
      await Promise.all(
        TASKS.slice(i, i + 6).map(async (task) => {
          const out = await helpOf(task, dataDir);
          if (out.code !== 0 || !/usage|deno task/i.test(out.stdout)) {
            failures.push(`${task}: exit ${out.code}: ${(out.stdout + out.stderr).slice(0, 300)}`);
          }
        }),
      );
    }
    const left = [];
    for await (const e of Deno.readDir(dataDir)) left.push(e.name);
    assert.deepEqual(left, [], "--help wrote into DATA_DIR");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
  assert.deepEqual(failures, []);
});
