/**
 * Fuzzes the edge from its own `/openapi.json` with schemathesis (PyPI,
 * pinned, in a virtualenv cached under ~/.cache/rtml): no 5xx, and every
 * response matches its documented status, content type and schema.
 */
import assert from "node:assert/strict";
import { startEdgeServer } from "./edge_server.ts";

const VERSION = "4.32.5";
const VENV = `${Deno.env.get("HOME")}/.cache/rtml/schemathesis-venv-${VERSION}`;
const BIN = `${VENV}/bin/schemathesis`;

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

async function ensureSchemathesis(): Promise<void> {
  try {
    await Deno.stat(BIN);
    return;
  } catch {
    // first run on this machine: create the pinned virtualenv
  }
  const venv = await run("python3", ["-m", "venv", VENV]);
  assert.equal(venv.code, 0, venv.out);
  const pip = await run(`${VENV}/bin/pip`, ["install", "--quiet", `schemathesis==${VERSION}`]);
  assert.equal(pip.code, 0, pip.out);
}

Deno.test("schemathesis finds no server error or schema violation in /openapi.json", async () => {
  await ensureSchemathesis();
  await using edge = await startEdgeServer();
  const result = await run(BIN, [
    "run",
    `${edge.base}/openapi.json`,
    "--checks",
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
    "--max-examples",
    "25",
    "--workers",
    "1",
    "--request-timeout",
    "10",
  ]);
  assert.equal(result.code, 0, result.out.slice(-6000));
  assert.match(result.out, /passed/);
});
