import assert from "node:assert/strict";
import { parseCommand, UsageError } from "./command.ts";

Deno.test("parseCommand() parses flags strictly and turns mistakes into usage errors", () => {
  const options = { file: { type: "string" }, fast: { type: "boolean" } } as const;
  const { values } = parseCommand("Usage: x", ["--file", "a.jsonl", "--fast"], options);
  assert.deepEqual({ ...values }, { file: "a.jsonl", fast: true });
  assert.throws(() => parseCommand("Usage: x", ["--nope"], options), UsageError);
  assert.throws(() => parseCommand("Usage: x", ["--file"], options), UsageError);
  assert.throws(() => parseCommand("Usage: x", ["stray"], options), /Unexpected argument 'stray'/);
});

Deno.test("parseCommand() prints the usage for --help before looking at other flags", () => {
  const printed: string[] = [];
  const original = console.log;
  console.log = (line: string) => printed.push(line);
  try {
    assert.throws(() => parseCommand("Usage: x --file F", ["--bogus", "--help"], {}));
  } finally {
    console.log = original;
  }
  assert.deepEqual(printed, ["Usage: x --file F"]);
});
