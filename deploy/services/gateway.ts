/**
 * The Upstash-compatible REST gateway (`deploy/upstash_gateway/main.ts`) on
 * 127.0.0.1 (port `ctx.ports.gateway`, default 58079) in front of the local
 * Redis, with one development token per role: `UPSTASH_REDIS_REST_TOKEN` is
 * the `data` role (generic Upstash use in tests), `UPSTASH_EDGE_TOKEN`,
 * `UPSTASH_WORKER_TOKEN` and `UPSTASH_ADMIN_TOKEN` are what an edge, a
 * worker and the registry hold in production (`SECURITY.md`).
 */
import { processService, type ServiceContext } from "./_service.ts";
import { redisEnv } from "./redis.ts";

/** Development tokens of the local gateway, by role. */
export const DEV_GATEWAY_TOKENS = {
  data: "dev-token-data-role",
  edge: "dev-token-edge-role",
  worker: "dev-token-worker-role",
  admin: "dev-token-admin-role",
} as const;
const TOKEN = DEV_GATEWAY_TOKENS.data;

/** The env vars tests get. */
export function gatewayEnv(ctx: ServiceContext): Record<string, string> {
  return {
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${ctx.ports.gateway}`,
    UPSTASH_REDIS_REST_TOKEN: TOKEN,
    UPSTASH_EDGE_TOKEN: DEV_GATEWAY_TOKENS.edge,
    UPSTASH_WORKER_TOKEN: DEV_GATEWAY_TOKENS.worker,
    UPSTASH_ADMIN_TOKEN: DEV_GATEWAY_TOKENS.admin,
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
        UPSTASH_GATEWAY_DATA_TOKEN: DEV_GATEWAY_TOKENS.data,
        UPSTASH_GATEWAY_EDGE_TOKEN: DEV_GATEWAY_TOKENS.edge,
        UPSTASH_GATEWAY_WORKER_TOKEN: DEV_GATEWAY_TOKENS.worker,
        UPSTASH_GATEWAY_ADMIN_TOKEN: DEV_GATEWAY_TOKENS.admin,
        REDIS_URL: redisEnv(ctx).REDIS_URL,
      },
    });
  },
});
