/**
 * Runs the README's "Bring your own use case" walkthrough as written: its
 * `ts title="..."` blocks become the files they name and its `sh` blocks
 * run line by line from the repository root, on the embedded default. Only
 * where things live moves: the `my_use_case/` folder to a temporary one,
 * `DATA_DIR` to a temporary one and the port to a free one.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

interface Block {
  lang: string;
  title?: string;
  code: string;
}

/** The code blocks of one README section. */
export function sectionBlocks(markdown: string, heading: string): Block[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section '${heading}'`);
  const end = markdown.indexOf("\n## ", start + 4);
  const text = markdown.slice(start, end < 0 ? undefined : end);
  const blocks: Block[] = [];
  const re = /```(\w+)([^\n]*)\n([\s\S]*?)```/g;
  for (let m; (m = re.exec(text));) {
    const title = /title="([^"]+)"/.exec(m[2])?.[1];
    blocks.push({ lang: m[1], title, code: m[3] });
  }
  return blocks;
}

/** Joins `\`-continued lines into commands. */
function commands(sh: string): string[] {
  return sh.replace(/\\\n\s*/g, " ").split("\n").map((l) => l.trim()).filter((l) =>
    l !== "" && !l.startsWith("#")
  );
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("the README's bring-your-own walkthrough runs as written on the embedded default", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const blocks = sectionBlocks(readme, "Bring your own use case");
  const dir = await Deno.makeTempDir({ prefix: "walkthrough-" });
  const port = freePort();
  const env = { DATA_DIR: join(dir, "data"), PORT: String(port), NO_COLOR: "1" };
  const place = (s: string) =>
    s.replaceAll("my_use_case/", `${dir}/my_use_case/`)
      .replaceAll("--repo my_use_case", `--repo ${dir}/my_use_case`)
      .replaceAll("localhost:8000", `127.0.0.1:${port}`);
  let server: Deno.ChildProcess | undefined;
  const outputs: string[] = [];
  try {
    const files = blocks.filter((b) => b.title);
    assert.deepEqual(files.map((b) => b.title), ["my_use_case/mod.ts", "my_use_case/generate.ts"]);
    for (const b of files) {
      await Deno.mkdir(join(dir, "my_use_case"), { recursive: true });
      await Deno.writeTextFile(join(dir, b.title!), b.code);
    }
    const lines = blocks.filter((b) => b.lang === "sh").flatMap((b) => commands(b.code));
    assert.ok(lines.length >= 8, lines.join("\n"));
    for (const line of lines.map(place)) {
      if (line.endsWith("&")) {
        // Its own process group: `deno task` starts the platform as a child.
        server = new Deno.Command("setsid", {
          args: ["bash", "-c", line.slice(0, -1)],
          cwd: ROOT,
          env,
          stdout: "null",
          stderr: "null",
        }).spawn();
        await waitReady(server, port);
        continue;
      }
      const out = await new Deno.Command("bash", { args: ["-c", line], cwd: ROOT, env }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      outputs.push(text);
      assert.equal(out.code, 0, `'${line}' failed:\n${text}`);
    }
    // The last three commands: a prediction, an ingested order, and the features it changed.
    const [predicted, ingested, online] = outputs.slice(-3).map((t) => JSON.parse(t));
    assert.equal(predicted.model_name, "order_returns");
    assert.equal(typeof predicted.features_used.amount_zscore, "number");
    assert.ok(predicted.features_used.orders_7d >= 1, JSON.stringify(predicted));
    assert.equal(ingested.accepted, 1);
    assert.equal(online.entity_type, "customer");
    assert.ok(online.features.app_orders_7d >= 1);
  } finally {
    if (server) {
      try {
        Deno.kill(-server.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      await server.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
});

async function waitReady(server: Deno.ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    const done = await Promise.race([
      server.status.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 250)),
    ]);
    if (done) throw new Error("the platform exited before it was ready");
  }
  throw new Error("the platform was not ready within 120 s");
}
