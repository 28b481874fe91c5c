/**
 * `--help` for the benchmark and demo tasks: prints the module's own doc
 * comment (which says what the task does and its flags) and exits 0.
 *
 * @module
 */

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
