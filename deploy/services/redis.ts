/**
 * Redis: `redis-server` on 127.0.0.1 (port `ctx.ports.redis`, default 56379),
 * no persistence.
 */
import { processService, type ServiceContext } from "./_service.ts";
import { aptInstall, tcpAsk, which } from "./_proc.ts";

/** The env var tests get. */
export function redisEnv(ctx: ServiceContext): { REDIS_URL: string } {
  return { REDIS_URL: `redis://127.0.0.1:${ctx.ports.redis}` };
}

/** True when Redis answers PING on `port`. */
export async function redisPing(port: number): Promise<boolean> {
  return (await tcpAsk("127.0.0.1", port, "PING\r\n")).startsWith("+PONG");
}

/** The Redis service. */
export const redisService = processService({
  name: "redis",
  env: redisEnv,
  readyTimeoutMs: 15_000,
  ready: (ctx) => redisPing(ctx.ports.redis),
  async prepare(ctx) {
    if (!(await which("redis-server"))) await aptInstall("redis", ["redis-server"]);
    const dir = `${ctx.stateDir}/redis`;
    await Deno.mkdir(dir, { recursive: true });
    return {
      cmd: [
        "redis-server",
        "--port",
        String(ctx.ports.redis),
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
