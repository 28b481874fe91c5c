/**
 * drizzle-kit configuration: `deno run -A npm:drizzle-kit@0.31.11 generate
 * --config pipeline/drizzle.config.ts` writes SQL migrations for
 * `pipeline/store/schema.ts` into `pipeline/migrations/`.
 *
 * @module
 */
import { defineConfig } from "drizzle-kit";

/** The drizzle-kit config. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./pipeline/store/schema.ts",
  out: "./pipeline/migrations",
});
