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

Deno.test("every deno task prints its usage for --help and exits 0", async () => {
  assert.ok(TASKS.length > 25, `only ${TASKS.length} tasks found`);
  const failures: string[] = [];
  // A data dir that must stay empty: --help opens nothing.
  const dataDir = await Deno.makeTempDir({ prefix: "help-" });
  try {
    for (let i = 0; i < TASKS.length; i += 6) {
      await Promise.all(
        TASKS.slice(i, i + 6).map(async (task) => {
          const out = await new Deno.Command(Deno.execPath(), {
            args: ["task", "-q", task, "--help"],
            cwd: ROOT,
            env: { DATA_DIR: dataDir, PORT: "1", EDGE_LOG_LEVEL: "silent" },
            stdout: "piped",
            stderr: "piped",
            signal: AbortSignal.timeout(60_000),
          }).output();
          const text = new TextDecoder().decode(out.stdout);
          if (out.code !== 0 || !/usage|deno task/i.test(text)) {
            failures.push(
              `${task}: exit ${out.code}: ${
                (text + new TextDecoder().decode(out.stderr)).slice(0, 300)
              }`,
            );
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
