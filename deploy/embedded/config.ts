/**
 * Configuration of the embedded default (`deno task start`), resolved once
 * at start-up. The parts it composes read their own variables (`EDGE_*`,
 * `FEATURES_*`, `DATABASE_URL`, ...); this adds where to listen and where
 * the state lives.
 *
 * @module
 */
import { z } from "zod";
import { envBool, envInt, envList, parseConfig } from "../../schemas/config.ts";

const schema = z.object({
  /** Folder of all embedded state (PGlite, registry). Default `.data`. */
  DATA_DIR: z.string().min(1).default(".data"),
  /** Interface to listen on. Default `127.0.0.1`. */
  HOST: z.string().min(1).default("127.0.0.1"),
  /** Port to listen on. Default 8000. */
  PORT: envInt(8000, 0, 65535),
  /** Train and load the demo model and events when no model exists. Default true. */
  DEMO_BOOTSTRAP: envBool(true),
  /** API keys for `POST /ingest/events` (empty: open, as on loopback). */
  INGEST_API_KEYS: envList([]),
  /** Admin token of `/console` (unset: open, as on loopback). */
  CONSOLE_ADMIN_TOKEN: z.string().optional().transform((v) => v === "" ? undefined : v),
  /**
   * Nice value of the pipeline worker thread (Linux), 0–19: higher lets the
   * thread serving `/predict` run first when the CPUs are busy, at the cost
   * of ingest throughput. Default 0: on a busy machine 10 gained little p99
   * and starved ingest (`deno task bench:soak`; figures in the README, "The
   * embedded platform while it ingests").
   */
  EMBEDDED_PIPELINE_NICE: envInt(0, 0, 19),
});

/** Resolved embedded configuration. */
export interface EmbeddedConfig {
  dataDir: string;
  host: string;
  port: number;
  demoBootstrap: boolean;
  ingestApiKeys: string[];
  consoleAdminToken?: string;
  /** Nice value of the pipeline worker thread (0 or absent: the process's own). */
  pipelineNice?: number;
}

/** Reads and validates the embedded configuration; throws `ConfigError` listing every problem. */
export function resolveEmbeddedConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): EmbeddedConfig {
  const c = parseConfig("embedded", schema, env);
  return {
    dataDir: c.DATA_DIR,
    host: c.HOST,
    port: c.PORT,
    demoBootstrap: c.DEMO_BOOTSTRAP,
    ingestApiKeys: c.INGEST_API_KEYS,
    consoleAdminToken: c.CONSOLE_ADMIN_TOKEN,
    pipelineNice: c.EMBEDDED_PIPELINE_NICE,
  };
}
