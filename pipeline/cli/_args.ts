/**
 * Minimal flag parsing for the pipeline CLIs (`--name value`, `--flag`).
 *
 * @module
 */

/** Parsed flags. */
export interface Flags {
  values: Record<string, string>;
  switches: Set<string>;
}

/** Parses `--k v` pairs and `--switch` flags listed in `switchNames`. */
export function parseFlags(args: readonly string[], switchNames: readonly string[]): Flags {
  const values: Record<string, string> = {};
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) throw new Error(`Unexpected argument '${a}'`);
    const [name, inline] = a.slice(2).split("=", 2);
    if (switchNames.includes(name)) switches.add(name);
    else if (inline !== undefined) values[name] = inline;
    else if (i + 1 < args.length) values[name] = args[++i];
    else throw new Error(`Missing value of --${name}`);
  }
  return { values, switches };
}

/** Runs a CLI main, printing a failure as one line and exiting 1. */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(1);
  }
}

/**
 * The repository a CLI loads: `--repo DIR` or `--example NAME` when given,
 * else `FEATURE_REPO` / `FEATURE_EXAMPLE` from the configuration (default
 * the `fraud` example).
 */
export function repositoryChoice(
  flags: Flags,
  config: { repository: { repo?: string; example?: string } },
): { repo?: string; example?: string } {
  const { repo, example } = flags.values;
  return repo !== undefined || example !== undefined ? { repo, example } : config.repository;
}
