/**
 * Helpers to resolve configuration once at start-up with zod.
 *
 * Each part declares a zod object whose keys are env var names, with
 * defaults; `parseConfig` validates a plain env record and throws a
 * {@linkcode ConfigError} that lists every problem. Reading `Deno.env`
 * happens only in each part's `config.ts`.
 *
 * @module
 */
import { z } from "zod";
import { ConfigError, type FieldIssue } from "./errors.ts";

/** Converts zod issues into `{path, message}` pairs. */
export function toFieldIssues(error: z.ZodError, prefix = ""): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== "").join("."),
    message: issue.message,
  }));
}

/** Parses `env` with `schema`, or throws a ConfigError naming every bad variable. */
export function parseConfig<S extends z.ZodType>(
  part: string,
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) throw new ConfigError(part, toFieldIssues(result.error));
  return result.data;
}

/** An env var holding an integer, with bounds. */
export function envInt(def: number, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z.coerce.number().int().min(min).max(max).default(def);
}

const BOOL_TEXT = ["1", "0", "true", "false", "yes", "no", "TRUE", "FALSE"] as const;
const TRUE_TEXT: readonly string[] = ["1", "true", "yes", "TRUE"];

/** An env var holding a boolean (`1`, `true`, `yes`, `0`, `false`, `no`). */
export function envBool(def: boolean) {
  return z.enum(BOOL_TEXT).default(def ? "true" : "false").transform((v) => TRUE_TEXT.includes(v));
}

/** An optional boolean env var: `undefined` when unset, for defaults that depend on other vars. */
export function envOptionalBool() {
  return z.enum(BOOL_TEXT).optional().transform((v) => v === undefined ? v : TRUE_TEXT.includes(v));
}

/** An env var holding a comma-separated list. */
export function envList(def: string[] = []) {
  return z
    .string()
    .default(def.join(","))
    .transform((v) => v.split(",").map((s) => s.trim()).filter((s) => s !== ""));
}
