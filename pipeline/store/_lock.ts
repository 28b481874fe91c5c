/**
 * An exclusive lock on an embedded data folder: PGlite is one process's
 * database, and two processes writing the same folder would corrupt it.
 *
 * @module
 */
import { FeatureStoreLockedError } from "../errors.ts";

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    return true; // no /proc to ask (not Linux): assume the holder lives
  }
}

/**
 * Takes `<dir>.lock` for this process, taking over a lock whose process is
 * gone; throws {@linkcode FeatureStoreLockedError} naming the holder
 * otherwise. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const path = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      Deno.writeTextFileSync(path, String(Deno.pid), { createNew: true });
      return () => {
        try {
          Deno.removeSync(path);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      const holder = Number(Deno.readTextFileSync(path).trim());
      if (holder > 0 && holder !== Deno.pid && alive(holder)) {
        throw new FeatureStoreLockedError(
          `Cannot open the PGlite data folder '${dir}': process ${holder} is using it; ` +
            `stop it, or use DATABASE_URL to share a database between processes (lock file '${path}')`,
        );
      }
      Deno.removeSync(path); // stale (or our own): take it over
    }
  }
  throw new FeatureStoreLockedError(`Cannot lock the PGlite data folder '${dir}'`);
}
