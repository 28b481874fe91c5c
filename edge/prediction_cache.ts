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
  /**
   * The key of a row for one model version: the row's float32 bits as
   * UTF-16 code units (two per value), so `1` and `1.0` are one key and no
   * number is formatted. Profiling under load showed the decimal key (8
   * number-to-text conversions and a long rope hashed by the Map) at ~10 %
   * of a prediction's CPU.
   */
  static key(name: string, version: string, row: Float32Array): string {
    let r = row;
    for (let i = 0; i < r.length; i++) {
      if (r[i] === 0 && 1 / r[i] < 0) { // -0 and 0 are one vector
        r = Float32Array.from(row, (v) => (v === 0 ? 0 : v));
        break;
      }
    }
    const units = new Uint16Array(r.buffer, r.byteOffset, r.length * 2);
    return `${name}\u0000${version}\u0000${
      String.fromCharCode.apply(null, units as unknown as number[])
    }`;
  }
}
