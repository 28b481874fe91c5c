/**
 * An Upstash-compatible REST gateway in front of a real Redis, so the
 * `@upstash/redis` client (and the edge) can use a self-hosted Redis.
 *
 * Speaks `POST /` (one command), `POST /pipeline`, `POST /multi-exec`
 * (MULTI/EXEC) and path-style `/<command>/<args>`, with Bearer auth
 * (constant-time compare, one token per role, each role limited to an
 * allow-list of commands and key prefixes: `roles.ts`) and the
 * `Upstash-Encoding: base64` response encoding. Run it with `deno task
 * gateway` (env `UPSTASH_GATEWAY_PORT`, `UPSTASH_GATEWAY_<ROLE>_TOKEN`,
 * `REDIS_URL`).
 *
 * @example
 * ```ts
 * const config = resolveGatewayConfig(Deno.env.toObject());
 * const server = startGateway(config);
 * ```
 *
 * @module
 */
import type { GatewayConfig } from "./config.ts";
import { createGatewayHandler } from "./handler.ts";
import { parseRedisUrl, RedisConnection } from "./redis.ts";

export { type GatewayConfig, resolveGatewayConfig } from "./config.ts";
export { createGatewayHandler, GATEWAY_ROUTES, type GatewayDeps, parseCommand } from "./handler.ts";
export {
  checkCommand,
  CommandRefusedError,
  GATEWAY_ROLES,
  type GatewayRole,
  ROLE_RULES,
} from "./roles.ts";
export { parseRedisUrl, RedisConnection, type RedisOptions } from "./redis.ts";
export { toUpstashEntry, toUpstashResult } from "./encoding.ts";
export { BadRequestError, RedisUnavailableError } from "./errors.ts";

/** A running gateway. */
export interface RunningGateway {
  /** The bound address. */
  addr: Deno.NetAddr;
  /** Stops the HTTP server and closes the Redis connection. */
  shutdown(): Promise<void>;
}

/** Starts the gateway with `Deno.serve`; port 0 picks a free port. */
export function startGateway(
  config: GatewayConfig,
  onListen?: (addr: Deno.NetAddr) => void,
): RunningGateway {
  const redisOptions = parseRedisUrl(config.redisUrl);
  const redis = new RedisConnection(redisOptions);
  const handler = createGatewayHandler({
    redis,
    dedicated: () => new RedisConnection(redisOptions),
    tokens: config.tokens,
    maxBodyBytes: config.maxBodyBytes,
    bodyTimeoutMs: config.bodyTimeoutMs,
    allowQueryToken: config.allowQueryToken,
  });
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: onListen ?? (() => {}),
  }, handler);
  return {
    addr: server.addr as Deno.NetAddr,
    async shutdown() {
      await server.shutdown();
      redis.close();
    },
  };
}
