/**
 * The folder-level import graph of the platform (`deno task imports:graph
 * [--tests] [--json]`): for each pair of top-level
 * folders, how many imports run from one to the other, and which of them
 * break the layering `schemas/` → `pipeline/` → `registry/` |
 * `ingest-workers/` → `edge/` → `deploy/` (a folder imports only folders
 * below it; `registry/` and `ingest-workers/` share a layer and import
 * neither each other). Static imports, re-exports, `import type` and
 * `import("…")` with a literal all count. Test files (`*_test.ts`) are left
 * out unless `--tests`. `import_graph_test.ts` fails on any upward or
 * two-way edge.
 *
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";
import { exitWithHelp } from "./_help.ts";

/** The layered folders, lowest first; folders of one inner array share a layer. */
export const LAYERS: readonly (readonly string[])[] = [
  ["schemas"],
  ["pipeline"],
  ["registry", "ingest-workers"],
  ["edge"],
  ["deploy"],
];

const LAYER_OF = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

/** One import of a file in `from` of a module in `to`. */
export interface ImportEdge {
  from: string;
  to: string;
  file: string;
  specifier: string;
}

/** Folder pairs with their imports, and the ones that break the layering. */
export interface ImportGraph {
  /** `from -> to` with the number of imports. */
  edges: Record<string, number>;
  /** Imports of a folder above the importing one, or of a sibling in the same layer. */
  upward: ImportEdge[];
  /** Folder pairs that import each other (`a <-> b`). */
  twoWay: string[];
}

const SPECIFIER =
  /(?:^|[\s;}])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;

/** The module specifiers a source text imports (comments are not stripped: keep examples in them out of code fences). */
export function specifiersOf(source: string): string[] {
  const out: string[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of code.matchAll(SPECIFIER)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The top-level folder of a repository-relative path, or null when it is not a layered one. */
function folderOf(path: string): string | null {
  const top = path.split("/")[0];
  return LAYER_OF.has(top) ? top : null;
}

/** Whether an import from folder `from` of folder `to` keeps the layering. */
export function allowed(from: string, to: string): boolean {
  if (from === to) return true;
  return LAYER_OF.get(to)! < LAYER_OF.get(from)!;
}

async function* sourceFiles(root: string, dir: string, tests: boolean): AsyncGenerator<string> {
  for await (const e of Deno.readDir(join(root, dir))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      yield* sourceFiles(root, path, tests);
    } else if (/\.tsx?$/.test(e.name) && (tests || !/_test\.tsx?$/.test(e.name))) {
      yield path;
    }
  }
}

/** The graph of the repository at `root`. */
export async function importGraph(
  root: string,
  options: { tests?: boolean } = {},
): Promise<ImportGraph> {
  const edges: Record<string, number> = {};
  const upward: ImportEdge[] = [];
  for (const names of LAYERS) {
    for (const top of names) {
      for await (const file of sourceFiles(root, top, options.tests ?? false)) {
        const source = await Deno.readTextFile(join(root, file));
        for (const specifier of specifiersOf(source)) {
          let target: string;
          if (specifier.startsWith(".")) target = normalize(join(dirname(file), specifier));
          else if (specifier.startsWith("rtml/")) target = specifier.slice("rtml/".length);
          else continue;
          const to = folderOf(relative(".", target));
          if (!to || to === top) continue;
          edges[`${top} -> ${to}`] = (edges[`${top} -> ${to}`] ?? 0) + 1;
          if (!allowed(top, to)) upward.push({ from: top, to, file, specifier });
        }
      }
    }
  }
  const twoWay: string[] = [];
  for (const key of Object.keys(edges)) {
    const [a, b] = key.split(" -> ");
    if (a < b && edges[`${b} -> ${a}`]) twoWay.push(`${a} <-> ${b}`);
  }
  return { edges, upward, twoWay };
}

if (import.meta.main) {
  exitWithHelp(import.meta.url);
  const root = new URL("../", import.meta.url).pathname;
  const graph = await importGraph(root, { tests: Deno.args.includes("--tests") });
  if (Deno.args.includes("--json")) {
    console.log(JSON.stringify(graph, null, 2));
  } else {
    for (const [edge, n] of Object.entries(graph.edges).sort()) {
      const [a, b] = edge.split(" -> ");
      console.log(`${edge.padEnd(34)} ${String(n).padStart(4)}${allowed(a, b) ? "" : "  UPWARD"}`);
    }
    console.log(
      `\nupward imports: ${graph.upward.length}; two-way folder pairs: ${graph.twoWay.length}`,
    );
    for (const e of graph.upward) console.log(`  ${e.file} -> ${e.specifier}`);
    for (const p of graph.twoWay) console.log(`  ${p}`);
  }
  Deno.exit(graph.upward.length + graph.twoWay.length > 0 ? 1 : 0);
}
