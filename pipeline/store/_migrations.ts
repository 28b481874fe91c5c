/**
 * Where the committed drizzle-kit migrations live.
 *
 * @module
 */
import { fromFileUrl } from "./_path.ts";

/** Absolute path of `pipeline/migrations/`. */
export const MIGRATIONS_FOLDER: string = fromFileUrl(new URL("../migrations", import.meta.url));
