/**
 * Configuration of the Upstash-compatible gateway, resolved once from env.
 *
 * @module
 */
import { z } from "zod";
import { envInt, parseConfig } from "../../schemas/config.ts";

const GatewayEnvSchema = z.object({
  UPSTASH_GATEWAY_HOST: z.string().default("127.0.0.1"),
  UPSTASH_GATEWAY_PORT: envInt(58079, 1, 65535),
  UPSTASH_GATEWAY_TOKEN: z.string().min(1, "a bearer token is required"),
  UPSTASH_GATEWAY_MAX_BODY_BYTES: envInt(10 * 1024 * 1024, 1),
  REDIS_URL: z.string().regex(/^redis:\/\//, "must start with redis://").default(
    "redis://127.0.0.1:6379",
  ),
});

/** Resolved gateway settings. */
export interface GatewayConfig {
  /** Address to listen on (`UPSTASH_GATEWAY_HOST`, default 127.0.0.1). */
  host: string;
  /** Port to listen on (`UPSTASH_GATEWAY_PORT`, default 58079). */
  port: number;
  /** Bearer token clients must present (`UPSTASH_GATEWAY_TOKEN`, required). */
  token: string;
  /** Largest request body accepted (`UPSTASH_GATEWAY_MAX_BODY_BYTES`, default 10 MiB). */
  maxBodyBytes: number;
  /** Redis behind the gateway (`REDIS_URL`, default redis://127.0.0.1:6379). */
  redisUrl: string;
}

/** Parses env once at start-up; throws a ConfigError listing every problem. */
export function resolveGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const c = parseConfig("upstash gateway", GatewayEnvSchema, env);
  return {
    host: c.UPSTASH_GATEWAY_HOST,
    port: c.UPSTASH_GATEWAY_PORT,
    token: c.UPSTASH_GATEWAY_TOKEN,
    maxBodyBytes: c.UPSTASH_GATEWAY_MAX_BODY_BYTES,
    redisUrl: c.REDIS_URL,
  };
}
