/**
 * The shared read path of key-value online stores: one MGET of the entity
 * states, an optional bounded in-isolate cache of the parsed states with a
 * short TTL, and the window computation of the feature view.
 *
 * @module
 */
import {
  computeWindowFeatures,
  type OnlineEntityState,
  parseOnlineState,
} from "../../pipeline/features/mod.ts";
import { redisKeys } from "../../schemas/pointer.ts";
import { TtlCache } from "../_ttl_cache.ts";
import type { OnlineFeatureReader, OnlineFeatures, OnlineLookup } from "./port.ts";

/** Cache settings shared by the key-value adapters. */
export interface OnlineCacheOptions {
  /** TTL of a cached state in ms; 0 turns the cache off (default 0). */
  cacheTtlMs?: number;
  /** Entities held at most (default 10 000). */
  cacheMax?: number;
  /** Epoch ms clock. */
  now?: () => number;
  /** Counts cache hits and misses. */
  onCache?: (hits: number, misses: number) => void;
}

/** Base of the key-value adapters: subclasses supply one `mget`. */
export abstract class KeyValueOnlineReader implements OnlineFeatureReader {
  abstract readonly kind: string;
  readonly #ttl: number;
  readonly #max: number;
  readonly #now: () => number;
  #onCache?: (hits: number, misses: number) => void;
  readonly #cache: TtlCache<OnlineEntityState | null>;

  constructor(options: OnlineCacheOptions = {}) {
    this.#ttl = options.cacheTtlMs ?? 0;
    this.#max = options.cacheMax ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#onCache = options.onCache;
    this.#cache = new TtlCache({ ttlMs: this.#ttl, maxEntries: this.#max, now: this.#now });
  }

  /** Sets the callback counting cache hits and misses (the app wires its metrics here). */
  observeCache(fn: (hits: number, misses: number) => void): void {
    this.#onCache = fn;
  }

  /** Raw values of `keys` (JSON text, an already parsed object, or null), one round trip. */
  protected abstract mget(keys: string[]): Promise<unknown[]>;

  async read(lookups: readonly OnlineLookup[]): Promise<OnlineFeatures[]> {
    const keys = lookups.map((l) => redisKeys.online(l.view.name, l.view.version, l.entityId));
    const states = await this.#states(keys);
    return states.map((state, i) => ({
      values: computeWindowFeatures(lookups[i].view, state, lookups[i].asOfMs),
      asOfMs: state && Number.isFinite(state.newest) && state.newest > 0 ? state.newest : null,
    }));
  }

  async #states(keys: string[]): Promise<(OnlineEntityState | null)[]> {
    if (this.#ttl <= 0 || this.#max <= 0) {
      this.#onCache?.(0, keys.length);
      const raw = await this.mget(keys);
      return raw.map(parseOnlineState);
    }
    const out: (OnlineEntityState | null)[] = new Array(keys.length);
    const missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const hit = this.#cache.get(keys[i]);
      if (hit !== undefined) out[i] = hit;
      else missing.push(i);
    }
    this.#onCache?.(keys.length - missing.length, missing.length);
    if (missing.length === 0) return out;
    const unique = [...new Set(missing.map((i) => keys[i]))];
    const raw = await this.mget(unique);
    const fresh = new Map<string, OnlineEntityState | null>();
    unique.forEach((k, j) => fresh.set(k, parseOnlineState(raw[j])));
    for (const i of missing) out[i] = fresh.get(keys[i]) ?? null;
    for (const [k, state] of fresh) this.#cache.set(k, state);
    return out;
  }
}
