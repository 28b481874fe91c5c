/**
 * What the runtime does not bound, and what the shipped proxy does: a plain
 * `Deno.serve` (which has no header-read or idle timeout to set) keeps a
 * connection that sent half its headers open, while nginx running
 * `deploy/proxy/timeouts.conf` in front of it closes it after
 * `client_header_timeout`, and one whose body stops arriving after
 * `client_body_timeout` (with a reset: `reset_timedout_connection`). Needs nginx (Debian `nginx-light`, which
 * `.ci/run` installs).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const TIMEOUTS = `${ROOT}deploy/proxy/timeouts.conf`;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Seconds of a duration directive in the shipped file (`client_header_timeout 10s;`). */
async function directiveSeconds(name: string): Promise<number> {
  const text = await Deno.readTextFile(TIMEOUTS);
  const m = new RegExp(`^${name} (\\d+)s;`, "m").exec(text);
  assert.ok(m, `${name} missing from ${TIMEOUTS}`);
  return Number(m[1]);
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

/**
 * Opens a connection, writes `text`, and reads until the peer closes or
 * `limitMs` passes: returns what was read and whether the peer closed.
 */
async function hold(port: number, text: string, limitMs: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(text));
  const buf = new Uint8Array(4096);
  let got = "";
  let gaveUp = false;
  const deadline = setTimeout(() => {
    gaveUp = true;
    conn.close();
  }, limitMs);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      got += new TextDecoder().decode(buf.subarray(0, n));
    }
  } catch {
    // A reset from the peer (reset_timedout_connection), or our own close.
  } finally {
    clearTimeout(deadline);
    if (!gaveUp) conn.close();
  }
  const closed = !gaveUp;
  return { got, closed };
}

Deno.test("proxy: nginx with deploy/proxy/timeouts.conf cuts slow clients that Deno.serve keeps", async () => {
  const headerS = await directiveSeconds("client_header_timeout");
  const bodyS = await directiveSeconds("client_body_timeout");
  const appPort = freePort();
  const proxyPort = freePort();
  const app = Deno.serve(
    { hostname: "127.0.0.1", port: appPort, onListen() {} },
    async (req) => new Response(`read ${(await req.arrayBuffer()).byteLength} bytes`),
  );
  const dir = await Deno.makeTempDir({ prefix: "proxy-test-" });
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  access_log off;
  include ${TIMEOUTS};
  server {
    listen 127.0.0.1:${proxyPort};
    location / { proxy_pass http://127.0.0.1:${appPort}; }
  }
}
`,
  );
  const nginx = new Deno.Command("nginx", {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForPort(proxyPort);
    // A normal request passes.
    const ok = await fetch(`http://127.0.0.1:${proxyPort}/x`, { method: "POST", body: "hello" });
    assert.equal(await ok.text(), "read 5 bytes");
    const partialHeaders = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    const partialBody = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789";
    const limit = (Math.max(headerS, bodyS) + 5) * 1000;
    const [direct, viaHeaders, viaBody] = await Promise.all([
      hold(appPort, partialHeaders, limit),
      hold(proxyPort, partialHeaders, limit),
      hold(proxyPort, partialBody, limit),
    ]);
    // Measured: Deno.serve still holds the half-sent request when we give up.
    assert.equal(direct.closed, false, `Deno.serve closed it: ${direct.got}`);
    assert.equal(viaHeaders.closed, true, "the proxy kept a half-sent header open");
    assert.equal(viaBody.closed, true, "the proxy kept a stalled body open");
    // reset_timedout_connection: the proxy resets instead of writing a 408 to a stalled client.
    assert.doesNotMatch(viaBody.got, /^HTTP\/1\.1 200/);
  } finally {
    nginx.kill("SIGTERM");
    await nginx.status;
    await app.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
