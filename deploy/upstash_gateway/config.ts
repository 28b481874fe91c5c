/**
 * Configuration of the Upstash-compatible gateway, resolved once from env.
 *
 * One token per role (see `roles.ts`): `UPSTASH_GATEWAY_EDGE_TOKEN`,
 * `UPSTASH_GATEWAY_WORKER_TOKEN`, `UPSTASH_GATEWAY_ADMIN_TOKEN`,
 * `UPSTASH_GATEWAY_DATA_TOKEN`; at least one is required and no two may be
 * equal. The single all-powerful `UPSTASH_GATEWAY_TOKEN` of earlier
 * versions is refused with a message naming its replacements.
 *
 * @module
 */
import { z } from "zod";
import { envBool, envInt, parseConfig } from "../../schemas/config.ts";
import { ConfigError, type FieldIssue } from "../../schemas/errors.ts";
import { GATEWAY_ROLES, type GatewayRole } from "./roles.ts";

const token = z.string().min(16, "must be at least 16 characters").optional();

const GatewayEnvSchema = z.object({
  UPSTASH_GATEWAY_HOST: z.string().default("127.0.0.1"),
  UPSTASH_GATEWAY_PORT: envInt(58079, 1, 65535),
  UPSTASH_GATEWAY_EDGE_TOKEN: token,
  UPSTASH_GATEWAY_WORKER_TOKEN: token,
  UPSTASH_GATEWAY_ADMIN_TOKEN: token,
  UPSTASH_GATEWAY_DATA_TOKEN: token,
  UPSTASH_GATEWAY_QUERY_TOKEN: envBool(false),
  UPSTASH_GATEWAY_MAX_BODY_BYTES: envInt(10 * 1024 * 1024, 1),
  UPSTASH_GATEWAY_BODY_TIMEOUT_MS: envInt(10_000, 100, 600_000),
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
  /** Bearer token of each enabled role (`UPSTASH_GATEWAY_<ROLE>_TOKEN`, at least one). */
  tokens: Partial<Record<GatewayRole, string>>;
  /** Accept `?_token=` besides the header (`UPSTASH_GATEWAY_QUERY_TOKEN`, default false). */
  allowQueryToken?: boolean;
  /** Largest request body accepted (`UPSTASH_GATEWAY_MAX_BODY_BYTES`, default 10 MiB). */
  maxBodyBytes: number;
  /** Longest time to receive a body (`UPSTASH_GATEWAY_BODY_TIMEOUT_MS`, default 10 000). */
  bodyTimeoutMs?: number;
  /** Redis behind the gateway (`REDIS_URL`, default redis://127.0.0.1:6379). */
  redisUrl: string;
}

/** Parses env once at start-up; throws a ConfigError listing every problem. */
export function resolveGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const issues: FieldIssue[] = [];
  if (env.UPSTASH_GATEWAY_TOKEN !== undefined) {
    issues.push({
      path: "UPSTASH_GATEWAY_TOKEN",
      message: "Replaced by one token per role: UPSTASH_GATEWAY_EDGE_TOKEN, " +
        "UPSTASH_GATEWAY_WORKER_TOKEN, UPSTASH_GATEWAY_ADMIN_TOKEN, UPSTASH_GATEWAY_DATA_TOKEN",
    });
  }
  let c: z.output<typeof GatewayEnvSchema> | undefined;
  try {
    c = parseConfig("upstash gateway", GatewayEnvSchema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.details);
  }
  const tokens: Partial<Record<GatewayRole, string>> = {};
  if (c) {
    const seen = new Map<string, GatewayRole>();
    for (const role of GATEWAY_ROLES) {
      const name = `UPSTASH_GATEWAY_${role.toUpperCase()}_TOKEN` as
        | "UPSTASH_GATEWAY_EDGE_TOKEN"
        | "UPSTASH_GATEWAY_WORKER_TOKEN"
        | "UPSTASH_GATEWAY_ADMIN_TOKEN"
        | "UPSTASH_GATEWAY_DATA_TOKEN";
      const value = c[name];
      if (value === undefined) continue;
      const other = seen.get(value);
      if (other) issues.push({ path: name, message: `Must differ from the ${other} token` });
      seen.set(value, role);
      tokens[role] = value;
    }
    if (seen.size === 0) {
      issues.push({
        path: "UPSTASH_GATEWAY_EDGE_TOKEN",
        message: "Set at least one role token (UPSTASH_GATEWAY_<EDGE|WORKER|ADMIN|DATA>_TOKEN)",
      });
    }
  }
  if (issues.length > 0 || !c) throw new ConfigError("upstash gateway", issues);
  return {
    host: c.UPSTASH_GATEWAY_HOST,
    port: c.UPSTASH_GATEWAY_PORT,
    tokens,
    allowQueryToken: c.UPSTASH_GATEWAY_QUERY_TOKEN,
    maxBodyBytes: c.UPSTASH_GATEWAY_MAX_BODY_BYTES,
    bodyTimeoutMs: c.UPSTASH_GATEWAY_BODY_TIMEOUT_MS,
    redisUrl: c.REDIS_URL,
  };
}
