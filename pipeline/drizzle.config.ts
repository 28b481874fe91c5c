/**
 * drizzle-kit configuration: `deno task db:generate` writes SQL migrations
 * for `pipeline/store/schema.ts` into `pipeline/migrations/`; `deno task
 * db:migrate` applies them.
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
