/**
 * How operator commands find the running embedded platform: `deno task
 * start` writes `<DATA_DIR>/platform.json` (owner-only) with its URL, its
 * process id and the admin token of its `/admin/models` routes once it
 * listens, and removes it when it stops. A file whose process is gone is
 * ignored.
 *
 * @module
 */
import { join } from "node:path";

/** The content of the control file. */
export interface PlatformControl {
  pid: number;
  /** Base URL of the running platform, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** Bearer token of its admin routes. */
  token: string;
  started_at: string;
}

/** Path of the control file of a data folder. */
export function controlFilePath(dataDir: string): string {
  return join(dataDir, "platform.json");
}

/** Writes the control file (mode 0600, replaced atomically). */
export async function writeControlFile(dataDir: string, control: PlatformControl): Promise<void> {
  const path = controlFilePath(dataDir);
  const tmp = `${path}.${control.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(control), { mode: 0o600 });
  await Deno.rename(tmp, path);
}

/** Removes the control file when it is this process's. */
export function removeControlFile(dataDir: string, pid = Deno.pid): void {
  const path = controlFilePath(dataDir);
  try {
    const current = JSON.parse(Deno.readTextFileSync(path)) as Partial<PlatformControl>;
    if (current.pid === pid) Deno.removeSync(path);
  } catch {
    // Gone or unreadable: nothing of ours to remove.
  }
}

/** The running platform of a data folder, or null when none runs. */
export async function readControlFile(dataDir: string): Promise<PlatformControl | null> {
  let control: Partial<PlatformControl>;
  try {
    control = JSON.parse(await Deno.readTextFile(controlFilePath(dataDir)));
  } catch {
    return null;
  }
  if (
    typeof control.pid !== "number" || typeof control.url !== "string" ||
    typeof control.token !== "string" || !processAlive(control.pid)
  ) {
    return null;
  }
  return control as PlatformControl;
}

function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    // Without /proc (not Linux) assume it lives; the HTTP call then tells.
    return !(error instanceof Deno.errors.NotFound);
  }
}
