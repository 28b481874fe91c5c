/**
 * The edge as it is deployed (`deno serve` of `edge/deploy.ts` with only
 * net, env and read permissions), following the run's model pointer in
 * Redis and reading online features through the Upstash gateway; plus the
 * client side: single requests and latency runs over real HTTP.
 *
 * @module
 */
import { edgeServeArgs } from "../../support/edge.ts";
import { freePort, tailLog } from "./workers.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** The edge's online read deadline in the demo (`EDGE_ONLINE_TIMEOUT_MS`; default 50). */
export const ONLINE_TIMEOUT_MS = "1000";

/** A running edge. */
export interface DemoEdge {
  base: string;
  /** `/ready` body once ready (and serving `version`, when given). */
  waitReady(
    timeoutMs: number,
    version?: string,
  ): Promise<{ model_name: string; model_version: string }>;
  logs(): string;
  stop(): Promise<void>;
}

/** Starts `deno serve edge/deploy.ts` serving `model` from its Redis pointer. */
export function spawnEdge(model: string, env: Record<string, string>): DemoEdge {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: edgeServeArgs(port),
    cwd: ROOT,
    env: {
      EDGE_MODEL_SOURCE: "pointer",
      EDGE_DEFAULT_MODEL: model,
      EDGE_ONLINE_STORE: "upstash",
      EDGE_POINTER_POLL_MS: "500",
      // The default 50 ms deadline of an online read is for a regional Upstash; here the
      // gateway, Redis, three workers and the load generator share two cores.
      EDGE_ONLINE_TIMEOUT_MS: ONLINE_TIMEOUT_MS,
      EDGE_LOG_LEVEL: "warn",
      UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
      UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_EDGE_TOKEN,
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const { text: tail, done: reading } = tailLog(child.stderr);
  const base = `http://127.0.0.1:${port}`;
  let exitCode: number | null = null;
  const exited = child.status.then((s) => (exitCode = s.code));
  return {
    base,
    logs: tail,
    async waitReady(timeoutMs, version) {
      const end = Date.now() + timeoutMs;
      let last = "not listening";
      while (Date.now() < end) {
        if (exitCode !== null) {
          await reading.catch(() => {});
          throw new Error(`Edge exited with code ${exitCode}: ${tail().trim().slice(-800)}`);
        }
        try {
          const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2000) });
          const body = await res.json();
          if (res.status === 200 && (version === undefined || body.model_version === version)) {
            return body;
          }
          last = JSON.stringify(body);
        } catch (e) {
          last = e instanceof Error ? e.message : String(e);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`Edge not ready after ${timeoutMs} ms: ${last}; logs: ${tail().slice(-800)}`);
    },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await exited;
      await reading.catch(() => {});
    },
  };
}

/** One `/predict` answer as the demo reports it. */
export interface Scored {
  name: string;
  status: number;
  prediction?: number;
  probability?: number;
  model_version?: string;
  variant?: string;
  features_as_of?: string | null;
  /** The features the report shows (from Redis for by-entity requests). */
  window?: Record<string, number>;
  /** Every input the model got (`features_used`). */
  used?: Record<string, number>;
  /** Inputs checked against Postgres as of the request's time, by entity type. */
  checked?: Record<string, number>;
  /** Inputs that differ from Postgres (empty when all are equal). */
  mismatches?: string[];
  error?: string;
}

/** POSTs `body` to `/predict`; `shown` names the features kept in `window`. */
export async function predict(
  base: string,
  name: string,
  body: unknown,
  shown: readonly string[] = [],
): Promise<Scored> {
  const res = await fetch(`${base}/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) {
    return { name, status: res.status, error: json?.error?.message ?? JSON.stringify(json) };
  }
  const used: Record<string, number> = json.features_used ?? {};
  return {
    name,
    status: 200,
    prediction: json.prediction,
    probability: json.probabilities?.[1],
    model_version: json.model_version,
    variant: json.variant,
    features_as_of: json.features_as_of,
    window: Object.fromEntries(shown.filter((k) => k in used).map((k) => [k, used[k]])),
    used,
  };
}

/** One `/rank` answer as the demo reports it. */
export interface Ranked {
  name: string;
  status: number;
  candidates?: number;
  /** The best candidates with their scores, best first. */
  top?: { item_id: string; score: number }[];
  model_version?: string;
  variant?: string;
  features_as_of?: string | null;
  latencyMs?: number;
  error?: string;
}

/** POSTs `body` to `/rank`. */
export async function rank(
  base: string,
  name: string,
  body: Record<string, unknown>,
): Promise<Ranked> {
  const t0 = performance.now();
  const res = await fetch(`${base}/rank`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  const latencyMs = performance.now() - t0;
  if (res.status !== 200) {
    return { name, status: res.status, error: json?.error?.message ?? JSON.stringify(json) };
  }
  return {
    name,
    status: 200,
    candidates: (body.candidates as unknown[]).length,
    top: json.candidates.map((c: { item_id: string; score: number }) => ({
      item_id: c.item_id,
      score: c.score,
    })),
    model_version: json.model_version,
    variant: json.variant,
    features_as_of: json.features_as_of,
    latencyMs,
  };
}

/** Latency percentiles of a run, in milliseconds. */
export interface LatencyReport {
  requests: number;
  concurrency: number;
  failed: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  perSecond: number;
  versions: Record<string, number>;
  /** Failures by `status code` (status 0: no HTTP answer). */
  errors: Record<string, number>;
  /** The edge's own `latency_ms` of each answer (inside the handler), percentiles. */
  server: { p50: number; p95: number; p99: number };
  /** Answers served from the edge's prediction cache. */
  cached: number;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/**
 * Sends `total` requests made by `makeBody(i)` with `concurrency` in
 * flight and measures each round trip on the client.
 */
export async function latencyRun(
  base: string,
  total: number,
  concurrency: number,
  makeBody: (i: number) => unknown,
): Promise<LatencyReport> {
  const times: number[] = [];
  const inside: number[] = [];
  let cached = 0;
  const versions: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const fail = (key: string) => (errors[key] = (errors[key] ?? 0) + 1, failed++);
  let failed = 0;
  let next = 0;
  const t0 = performance.now();
  const loop = async () => {
    while (next < total) {
      const body = JSON.stringify(makeBody(next++));
      const s = performance.now();
      try {
        const res = await fetch(`${base}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        const json = await res.json();
        times.push(performance.now() - s);
        if (res.status !== 200) fail(`${res.status} ${json?.error?.code ?? ""}`.trim());
        else {
          versions[json.model_version] = (versions[json.model_version] ?? 0) + 1;
          inside.push(json.latency_ms);
          if (json.cached) cached++;
        }
      } catch (e) {
        fail(`0 ${e instanceof Error ? e.name : "error"}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  inside.sort((a, b) => a - b);
  return {
    requests: total,
    concurrency,
    failed,
    p50: percentile(times, 0.5),
    p95: percentile(times, 0.95),
    p99: percentile(times, 0.99),
    max: times.at(-1) ?? NaN,
    perSecond: total / seconds,
    versions,
    errors,
    server: {
      p50: percentile(inside, 0.5),
      p95: percentile(inside, 0.95),
      p99: percentile(inside, 0.99),
    },
    cached,
  };
}

/** What a background load saw. */
export interface LoadStats {
  requests: number;
  failed: number;
  /** Responses per `version/variant`. */
  served: Record<string, number>;
  /** Epoch ms of the first response from each `version/variant`. */
  firstAt: Record<string, number>;
}

/** A load running until stopped. */
export interface BackgroundLoad {
  /** Resolves once `version` answered as `variant` (or after `timeoutMs`, with false). */
  waitFor(version: string, variant: string, timeoutMs: number): Promise<boolean>;
  stop(): Promise<LoadStats>;
}

/** Keeps `concurrency` requests in flight until stopped, counting failures and versions. */
export function startLoad(
  base: string,
  concurrency: number,
  makeBody: (i: number) => unknown,
): BackgroundLoad {
  const stats: LoadStats = { requests: 0, failed: 0, served: {}, firstAt: {} };
  let stopped = false;
  let i = 0;
  const loop = async () => {
    while (!stopped) {
      stats.requests++;
      try {
        const res = await fetch(`${base}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(makeBody(i++)),
        });
        const json = await res.json();
        if (res.status !== 200) {
          stats.failed++;
          continue;
        }
        const key = `${json.model_version}/${json.variant}`;
        stats.served[key] = (stats.served[key] ?? 0) + 1;
        stats.firstAt[key] ??= Date.now();
      } catch {
        stats.failed++;
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    async waitFor(version, variant, timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if (stats.firstAt[`${version}/${variant}`] !== undefined) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return stats;
    },
  };
}
