/**
 * What every command-line entry point of the platform shares: strict flag
 * parsing with `node:util`'s `parseArgs`, `--help` / `-h` printing the usage
 * and exiting 0 before anything runs, and failures printed as one line
 * (`error: <message>`; a usage error adds the usage and exits 2) instead of
 * a stack trace.
 *
 * @example
 * ```ts
 * const USAGE = "Usage: deno task ingest --file <events.jsonl> [--rebase-time]";
 * await runCommand(USAGE, async () => {
 *   const { values } = parseCommand(USAGE, Deno.args, {
 *     file: { type: "string" },
 *     "rebase-time": { type: "boolean" },
 *   });
 *   if (!values.file) throw new UsageError("Missing --file");
 * });
 * ```
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { PlatformError } from "../../schemas/errors.ts";

/** Wrong flags or arguments: printed with the usage, exit code 2. */
export class UsageError extends PlatformError {
  constructor(message: string) {
    super("usage_invalid", message);
  }
}

/** Thrown by {@linkcode parseCommand} after it printed the usage for `--help` (exit 0). */
export class HelpShown extends Error {}

/** Parsed flags and positionals. */
export interface ParsedCommand<O extends ParseArgsOptionsConfig> {
  values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>[
    "values"
  ];
  positionals: string[];
}

/**
 * Parses `args` strictly against `options` (unknown flags and missing
 * values are usage errors). `--help` / `-h` prints `usage` to stdout and
 * ends the command with exit code 0 (through {@linkcode runCommand}).
 */
export function parseCommand<O extends ParseArgsOptionsConfig>(
  usage: string,
  args: readonly string[],
  options: O,
  { positionals = false }: { positionals?: boolean } = {},
): ParsedCommand<O> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    throw new HelpShown();
  }
  try {
    const parsed = parseArgs({
      args: [...args],
      options,
      allowPositionals: true,
      strict: true,
    });
    if (!positionals && parsed.positionals.length > 0) {
      throw new UsageError(`Unexpected argument '${parsed.positionals[0]}'`);
    }
    return parsed as ParsedCommand<O>;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

/**
 * {@linkcode parseCommand} for a main that does not run under
 * {@linkcode runCommand} (a server that keeps running): `--help` exits 0, a
 * usage error prints the message and the usage and exits 2.
 */
export function parseCommandOrExit<O extends ParseArgsOptionsConfig>(
  usage: string,
  args: readonly string[],
  options: O,
  opts: { positionals?: boolean } = {},
): ParsedCommand<O> {
  try {
    return parseCommand(usage, args, options, opts);
  } catch (error) {
    Deno.exit(exitCodeOf(error, usage));
  }
}

/** Prints `--help` when asked, without parsing anything else (for commands with no flags). */
export function helpOnly(usage: string, args: readonly string[]): void {
  parseCommand(usage, args, {});
}

/** The message of an error as one line for people. */
export function errorLine(error: unknown): string {
  if (error instanceof PlatformError) return error.message;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}

/**
 * Runs a command's main: a number it returns is the exit code; `--help`
 * exits 0; a {@linkcode UsageError} prints the message and the usage and
 * exits 2; any other failure prints `error: <message>` and exits 1.
 */
export async function runCommand(
  usage: string,
  main: () => Promise<number | void>,
): Promise<never> {
  let code: number;
  try {
    code = (await main()) ?? 0;
  } catch (error) {
    code = exitCodeOf(error, usage);
  }
  Deno.exit(code);
}

/** Prints what a failed command says and returns its exit code (help 0, usage 2, else 1). */
function exitCodeOf(error: unknown, usage: string): number {
  if (error instanceof HelpShown) return 0;
  if (error instanceof UsageError) {
    console.error(`error: ${error.message}\n${usage}`);
    return 2;
  }
  console.error(`error: ${errorLine(error)}`);
  return 1;
}
