/**
 * Configuration of `deno task console` (the console against real
 * services), resolved once at start-up. The parts it opens read their own
 * variables (`DATABASE_URL`, `REDIS_URL` or `UPSTASH_REDIS_REST_*`,
 * `MLFLOW_TRACKING_URI`, `REGISTRY_*`); this adds where to listen, the admin
 * token (required: outside the embedded default the console is never open)
 * and which processes' `/metrics` to read.
 *
 * @module
 */
import { z } from "zod";
import { envInt, parseConfig } from "../../schemas/config.ts";

const schema = z.object({
  /** Bearer token of every console route; at least 16 characters. Required. */
  CONSOLE_ADMIN_TOKEN: z.string({ error: "Required: the console's admin token" })
    .min(16, "Must be at least 16 characters"),
  /** Interface to listen on. Default `127.0.0.1`. */
  CONSOLE_HOST: z.string().min(1).default("127.0.0.1"),
  /** Port to listen on. Default 8300. */
  CONSOLE_PORT: envInt(8300, 0, 65535),
  /**
   * `name=url` pairs, comma-separated: the `/metrics` of self-hosted edges
   * (latency, drift) and workers (throughput, lag). Default none.
   */
  CONSOLE_METRICS_URLS: z.string().default("").transform((text, ctx) => {
    const out: { name: string; url: string }[] = [];
    for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
      const m = /^([^=]+)=(https?:\/\/\S+)$/.exec(part);
      if (!m) {
        ctx.addIssue({ code: "custom", message: `Expected name=http(s)://url, got '${part}'` });
        return z.NEVER;
      }
      out.push({ name: m[1].trim(), url: m[2] });
    }
    return out;
  }),
  /** Time between two reads of those metrics (ms). Default 5000. */
  CONSOLE_SAMPLE_INTERVAL_MS: envInt(5000, 500, 600_000),
});

/** Resolved console configuration. */
export interface ConsoleConfig {
  adminToken: string;
  host: string;
  port: number;
  metricsUrls: { name: string; url: string }[];
  sampleIntervalMs: number;
}

/** Reads and validates the console configuration; throws `ConfigError` listing every problem. */
export function resolveConsoleConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): ConsoleConfig {
  const c = parseConfig("console", schema, env);
  return {
    adminToken: c.CONSOLE_ADMIN_TOKEN,
    host: c.CONSOLE_HOST,
    port: c.CONSOLE_PORT,
    metricsUrls: c.CONSOLE_METRICS_URLS,
    sampleIntervalMs: c.CONSOLE_SAMPLE_INTERVAL_MS,
  };
}
