/**
 * `--help` for the benchmark and demo tasks: prints the module's own doc
 * comment (which says what the task does and its flags) and exits 0.
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/** When `args` ask for help, prints the doc comment of `moduleUrl` and exits 0. */
export function exitWithHelp(moduleUrl: string, args: readonly string[] = Deno.args): void {
  if (!args.includes("--help") && !args.includes("-h")) return;
  const source = Deno.readTextFileSync(new URL(moduleUrl));
  const doc = source.match(/\/\*\*([\s\S]*?)\*\//)?.[1] ?? "";
  const text = doc.split("\n").map((l) => l.replace(/^\s*\* ?/, "")).filter((l) => l !== "@module")
    .join("\n").trim();
  console.log(text);
  Deno.exit(0);
}

/**
 * The flags of a benchmark or demo task, parsed strictly by `node:util`
 * `parseArgs` after {@linkcode exitWithHelp}: an unknown flag or a missing
 * value prints the error and exits 2.
 */
export function benchFlags<O extends ParseArgsOptionsConfig>(
  moduleUrl: string,
  options: O,
  args: readonly string[] = Deno.args,
) {
  exitWithHelp(moduleUrl, args);
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    console.error(`error: ${(error as Error).message} (--help for the flags)`);
    Deno.exit(2);
  }
}
