/**
 * The Upstash-compatible REST gateway (`deploy/upstash_gateway/main.ts`) on
 * 127.0.0.1:58079 in front of the local Redis, token `dev-token`.
 */
import { processService } from "./_service.ts";
import { REDIS_ENV } from "./redis.ts";

const PORT = 58079;
const TOKEN = "dev-token";

/** The env vars tests get. */
export const GATEWAY_ENV = {
  UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${PORT}`,
  UPSTASH_REDIS_REST_TOKEN: TOKEN,
};

async function ready(): Promise<boolean> {
  const res = await fetch(`${GATEWAY_ENV.UPSTASH_REDIS_REST_URL}/`, {
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
  env: GATEWAY_ENV,
  dependsOn: ["redis"],
  readyTimeoutMs: 30_000,
  ready,
  prepare(ctx) {
    return Promise.resolve({
      cmd: [ctx.denoPath, "run", "-A", `${ctx.root}/deploy/upstash_gateway/main.ts`],
      env: {
        UPSTASH_GATEWAY_PORT: String(PORT),
        UPSTASH_GATEWAY_HOST: "127.0.0.1",
        UPSTASH_GATEWAY_TOKEN: TOKEN,
        REDIS_URL: REDIS_ENV.REDIS_URL,
      },
    });
  },
});
