/**
 * File URL helpers (no `@std/path` on the project machines).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The filesystem path of a `file:` URL. */
export function fromFileUrl(url: URL): string {
  return fileURLToPath(url);
}
