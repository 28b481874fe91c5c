/**
 * Python virtualenvs for tests that drive real Python clients, cached between
 * runs under `~/.cache/rtml/<name>-<hash>` (the hash of the requirements
 * file, so a changed pin installs afresh), created on first use from PyPI,
 * as `deploy/services/mlflow.ts` caches MLflow's. A `.complete` marker is
 * written last, so a half-installed virtualenv is never used; a lock folder
 * keeps two test runs from installing the same one at once.
 *
 * @example
 * ```ts
 * const python = await pythonVenv("v2-clients", "tests/integration/v2_clients/requirements.txt");
 * ```
 *
 * @module
 */
import { sha256Hex } from "../pipeline/sha256.ts";

const LOCK_WAIT_MS = 15 * 60_000;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

async function hashOf(text: string): Promise<string> {
  return (await sha256Hex(text)).slice(0, 12);
}

async function install(venv: string, requirements: string): Promise<void> {
  await Deno.remove(venv, { recursive: true }).catch(() => {});
  console.log(`[python] installing ${requirements} into ${venv} (cached)`);
  const made = await run("python3", ["-m", "venv", venv]);
  if (made.code !== 0) {
    throw new Error(
      `Cannot create the virtualenv ${venv} (python3 and python3-venv are needed): ${made.out}`,
    );
  }
  const pip = await run(`${venv}/bin/pip`, [
    "install",
    "-q",
    "--disable-pip-version-check",
    "-r",
    requirements,
  ]);
  if (pip.code !== 0) {
    await Deno.remove(venv, { recursive: true }).catch(() => {});
    throw new Error(`Cannot install ${requirements} into ${venv}: ${pip.out.slice(-3000)}`);
  }
  await Deno.writeTextFile(`${venv}/.complete`, "");
}

/**
 * The `python` of a cached virtualenv holding the pinned packages of
 * `requirements` (a pip requirements file), installing it on first use.
 */
export async function pythonVenv(name: string, requirements: string): Promise<string> {
  const home = Deno.env.get("HOME") ?? "/tmp";
  const venv = `${home}/.cache/rtml/${name}-${await hashOf(await Deno.readTextFile(requirements))}`;
  const python = `${venv}/bin/python`;
  if (await exists(`${venv}/.complete`)) return python;
  await Deno.mkdir(`${home}/.cache/rtml`, { recursive: true });
  const lock = `${venv}.lock`;
  const started = Date.now();
  for (;;) {
    try {
      await Deno.mkdir(lock);
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    // Another run installs it: wait for its marker, or take over a stale lock.
    if (await exists(`${venv}/.complete`)) return python;
    const age = Date.now() - ((await Deno.stat(lock).catch(() => null))?.mtime?.getTime() ?? 0);
    if (age > LOCK_WAIT_MS) await Deno.remove(lock, { recursive: true }).catch(() => {});
    if (Date.now() - started > LOCK_WAIT_MS) {
      throw new Error(`Timed out waiting for another run to install ${venv}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  try {
    if (!(await exists(`${venv}/.complete`))) await install(venv, requirements);
  } finally {
    await Deno.remove(lock, { recursive: true }).catch(() => {});
  }
  return python;
}
