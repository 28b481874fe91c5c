/**
 * The Upstash-compatible REST gateway (`deploy/upstash_gateway/main.ts`) on
 * 127.0.0.1 (port `ctx.ports.gateway`, default 58079) in front of the local
 * Redis, token `dev-token`.
 */
import { processService, type ServiceContext } from "./_service.ts";
import { redisEnv } from "./redis.ts";

const TOKEN = "dev-token";

/** The env vars tests get. */
export function gatewayEnv(ctx: ServiceContext): Record<string, string> {
  return {
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${ctx.ports.gateway}`,
    UPSTASH_REDIS_REST_TOKEN: TOKEN,
  };
}

async function ready(ctx: ServiceContext): Promise<boolean> {
  const res = await fetch(`${gatewayEnv(ctx).UPSTASH_REDIS_REST_URL}/`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: '["ping"]',
    signal: AbortSignal.timeout(1000),
  });
  const body = await res.json();
  return res.ok && body.result === "PONG";
}

/** The gateway service. */
export const gatewayService = processService({
  name: "gateway",
  env: gatewayEnv,
  dependsOn: ["redis"],
  readyTimeoutMs: 30_000,
  ready,
  prepare(ctx) {
    return Promise.resolve({
      cmd: [ctx.denoPath, "run", "-A", `${ctx.root}/deploy/upstash_gateway/main.ts`],
      env: {
        UPSTASH_GATEWAY_PORT: String(ctx.ports.gateway),
        UPSTASH_GATEWAY_HOST: "127.0.0.1",
        UPSTASH_GATEWAY_TOKEN: TOKEN,
        REDIS_URL: redisEnv(ctx).REDIS_URL,
      },
    });
  },
});
