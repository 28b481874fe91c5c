/**
 * Redis: `redis-server` on 127.0.0.1:56379, no persistence.
 */
import { processService } from "./_service.ts";
import { aptInstall, tcpAsk, which } from "./_proc.ts";

const PORT = 56379;

/** The env var tests get. */
export const REDIS_ENV = { REDIS_URL: `redis://127.0.0.1:${PORT}` };

/** True when Redis answers PING on `port`. */
export async function redisPing(port = PORT): Promise<boolean> {
  return (await tcpAsk("127.0.0.1", port, "PING\r\n")).startsWith("+PONG");
}

/** The Redis service. */
export const redisService = processService({
  name: "redis",
  env: REDIS_ENV,
  readyTimeoutMs: 15_000,
  ready: () => redisPing(),
  async prepare(ctx) {
    if (!(await which("redis-server"))) await aptInstall("redis", ["redis-server"]);
    const dir = `${ctx.stateDir}/redis`;
    await Deno.mkdir(dir, { recursive: true });
    return {
      cmd: [
        "redis-server",
        "--port",
        String(PORT),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
        dir,
        "--maxclients",
        "4000",
      ],
    };
  },
});
