/**
 * The Deno Deploy page must list exactly the env vars the edge reads, its
 * production template must be a valid edge config, and the deploy task must
 * point at the entry that `deno task edge` serves.
 */
import assert from "node:assert/strict";
import { resolveEdgeConfig } from "../../edge/config.ts";
import { edgeServeArgs } from "../support/edge.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DIR = `${ROOT}deploy/deno_deploy/`;

/** Env var names `edge/config.ts` declares in its env schema. */
async function edgeEnvNames(): Promise<string[]> {
  const source = await Deno.readTextFile(`${ROOT}edge/config.ts`);
  const schema = source.slice(source.indexOf("z.object({"), source.indexOf("});"));
  return [...schema.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]).sort();
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    const i = t.indexOf("=");
    env[t.slice(0, i)] = t.slice(i + 1);
  }
  return env;
}

Deno.test("Deno Deploy page documents every env var the edge reads, and no other", async () => {
  const names = await edgeEnvNames();
  assert.ok(names.length >= 20, `found only ${names}`);
  assert.ok(names.includes("UPSTASH_REDIS_REST_URL") && names.includes("EDGE_API_KEYS"));
  const readme = await Deno.readTextFile(`${DIR}README.md`);
  const documented = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)`\s+\|/gm)].map((m) => m[1]).sort();
  assert.deepEqual(documented, names);
});

Deno.test("Deno Deploy env template resolves to a pointer-following edge config", async () => {
  const env = parseEnv(await Deno.readTextFile(`${DIR}env.example`));
  const names = await edgeEnvNames();
  for (const key of Object.keys(env)) assert.ok(names.includes(key), `unknown variable ${key}`);
  const config = resolveEdgeConfig(env);
  assert.equal(config.modelSource, "pointer");
  assert.equal(config.onlineStore, "upstash");
  assert.equal(config.upstash?.url, env.UPSTASH_REDIS_REST_URL);
  assert.equal(config.apiKeys.length, 2);
});

Deno.test("deno task deploy and deno task edge use the same entry and read-only permissions", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assert.match(tasks.deploy, /^deno deploy --entrypoint edge\/deploy\.ts$/);
  const edge = (tasks.edge as string).split(/\s+/);
  assert.equal(edge.at(-1), "edge/deploy.ts");
  const flags = edge.filter((a) => a.startsWith("--allow") || a === "-A").sort();
  assert.deepEqual(flags, ["--allow-env", "--allow-net", "--allow-read"]);
  await Deno.stat(`${ROOT}edge/deploy.ts`);
  // The tests and `deno task bench:edge` serve the edge exactly as the task does.
  assert.deepEqual(edge, ["deno", ...edgeServeArgs()]);
});

Deno.test("edge/deploy.ts does not load the console, and loads Swagger UI only when /docs is asked for", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "edge/deploy.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const specifiers: string[] = info.modules.map((m: { specifier: string }) => m.specifier);
  assert.ok(specifiers.some((s) => s.endsWith("/schemas/api_docs.ts")));
  assert.deepEqual(specifiers.filter((s) => s.includes("/deploy/")), []);
  const docs = info.modules.find((m: { specifier: string }) =>
    m.specifier.endsWith("/api_docs.ts")
  );
  const bundle = docs.dependencies.find((d: { specifier: string }) =>
    d.specifier === "swagger-ui-dist/swagger-ui-bundle.js"
  );
  assert.equal(bundle.isDynamic, true, "a dynamic import: nothing loads before /docs");
});
