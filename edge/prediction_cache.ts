/**
 * The prediction cache: scores keyed by model version and the canonical
 * feature vector (the float32 row, so `1` and `1.0` are one key), with a TTL
 * and a bound on entries (oldest dropped first).
 *
 * @module
 */

import { TtlCache } from "./_ttl_cache.ts";

/** A cached score. */
export interface CachedScore {
  p0: number;
  p1: number;
}

/** A bounded TTL cache of scores. */
export class PredictionCache extends TtlCache<CachedScore> {
  /** The key of a row for one model version. */
  static key(name: string, version: string, row: Float32Array): string {
    let k = `${name}\u0000${version}`;
    for (let i = 0; i < row.length; i++) k += `\u0000${row[i]}`;
    return k;
  }
}
