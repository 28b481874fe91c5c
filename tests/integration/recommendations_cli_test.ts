/**
 * The recommendations example from the command line, on embedded PGlite:
 * `example:data --example recommendations` writes seeded interactions and
 * `ingest --example recommendations --file F` loads them (a second load is
 * all duplicates; a bad line is a dead letter with the field named).
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("deno task ingest --example recommendations loads the generated interactions once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rec-cli-" });
  try {
    const file = `${dir}/interactions.jsonl`;
    const gen = await run([
      "pipeline/cli/example_data.ts",
      "--example",
      "recommendations",
      "--out",
      file,
      "--hours",
      "6",
      "--seed",
      "3",
    ]);
    assert.equal(gen.code, 0, gen.text);
    const lines = (await Deno.readTextFile(file)).trim().split("\n");
    assert.match(gen.text, new RegExp(`wrote ${lines.length} interactions events`));
    const first = JSON.parse(lines[0]);
    assert.deepEqual(
      Object.keys(first).sort(),
      ["event_id", "event_type", "item_category", "item_id", "price", "timestamp", "user_id"],
    );
    const env = { DATA_DIR: `${dir}/data` };
    const ingest = ["pipeline/cli/ingest.ts", "--example", "recommendations", "--file", file];
    const once = await run(ingest, env);
    assert.equal(once.code, 0, once.text);
    assert.match(once.text, new RegExp(`accepted ${lines.length}, duplicate 0, dead-lettered 0`));
    await Deno.writeTextFile(
      file,
      lines[0] + "\n" + JSON.stringify({ ...first, event_id: "bad-1", event_type: "view" }) + "\n",
    );
    const again = await run(ingest, env);
    assert.equal(again.code, 0, again.text);
    assert.match(again.text, /accepted 0, duplicate 1, dead-lettered 1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
