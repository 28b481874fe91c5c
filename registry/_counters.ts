/**
 * Reads and sums the per-variant rollout counters the edge writes to Redis
 * (`redisKeys.rolloutCounters(model, variant, floor(epoch_s / 10))`, hash
 * fields `requests`, `errors`, `latency_sum_us`, `le_<ms>` per-bucket
 * latency counts, `shadow_compared`, `shadow_disagreed`).
 *
 * @module
 */
import { redisKeys, rolloutCounters } from "../schemas/pointer.ts";
import type { RegistryStore } from "./store/port.ts";

/** Bucket width of the counters, seconds. */
export const BUCKET_SECONDS = rolloutCounters.bucketSeconds;
/** Latency bucket upper bounds (ms) in field order. */
export const LATENCY_BOUNDS = rolloutCounters.latencyFields;

/** Summed counters of one variant over a time range. */
export interface VariantStats {
  requests: number;
  errors: number;
  errorRate: number;
  /** Upper bound (ms) of the latency bucket holding the 99th percentile; null without data. */
  p99Ms: number | null;
  meanMs: number | null;
  shadowCompared: number;
  shadowDisagreed: number;
  disagreementRate: number;
}

/** Sums raw hashes into stats. */
export function sumCounters(hashes: Record<string, string>[]): VariantStats {
  const total: Record<string, number> = {};
  for (const hash of hashes) {
    for (const [k, v] of Object.entries(hash)) total[k] = (total[k] ?? 0) + (Number(v) || 0);
  }
  const requests = total.requests ?? 0;
  const errors = total.errors ?? 0;
  const counts = LATENCY_BOUNDS.map(([, field]) => total[field] ?? 0);
  const observed = counts.reduce((a, b) => a + b, 0);
  let p99Ms: number | null = null;
  if (observed > 0) {
    const rank = Math.ceil(0.99 * observed);
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        p99Ms = LATENCY_BOUNDS[i][0];
        break;
      }
    }
  }
  const compared = total.shadow_compared ?? 0;
  const disagreed = total.shadow_disagreed ?? 0;
  return {
    requests,
    errors,
    errorRate: requests > 0 ? errors / requests : 0,
    p99Ms,
    meanMs: observed > 0 ? (total.latency_sum_us ?? 0) / 1000 / observed : null,
    shadowCompared: compared,
    shadowDisagreed: disagreed,
    disagreementRate: compared > 0 ? disagreed / compared : 0,
  };
}

/** Reads and sums the counters of `variants` from `sinceMs` to `nowMs` (at most one hour). */
export async function readVariantStats(
  store: RegistryStore,
  model: string,
  variants: string[],
  sinceMs: number,
  nowMs: number,
): Promise<Record<string, VariantStats>> {
  const last = Math.floor(nowMs / 1000 / BUCKET_SECONDS);
  const first = Math.max(Math.floor(sinceMs / 1000 / BUCKET_SECONDS), last - 359);
  const buckets: number[] = [];
  for (let b = first; b <= last; b++) buckets.push(b);
  const keys = variants.flatMap((v) => buckets.map((b) => redisKeys.rolloutCounters(model, v, b)));
  const hashes = await store.hgetallMany(keys);
  const out: Record<string, VariantStats> = {};
  variants.forEach((v, i) => {
    out[v] = sumCounters(hashes.slice(i * buckets.length, (i + 1) * buckets.length));
  });
  return out;
}
