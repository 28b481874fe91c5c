/**
 * The prediction cache: scores keyed by model, version and the canonical
 * feature vector (the row's float32 bits, so `1` and `1.0` are one key and
 * `-0` is `0`), with a TTL and a bound on entries (the oldest is replaced
 * first).
 *
 * Every entry lives in preallocated typed arrays: a ring of `maxEntries`
 * slots (row bits, scores, expiry) and an open-addressing index over it
 * (linear probing, backward-shift deletion). A miss followed by an insert
 * allocates nothing. The first version, a `Map` from a string key to an
 * entry object, cost /predict about 12 % of its throughput when no request
 * hit: each entry outlived two young-generation collections, so a steady
 * stream of misses became old-generation garbage (and resident memory).
 *
 * @module
 */

/** A cached score. */
export interface CachedScore {
  p0: number;
  p1: number;
}

const EMPTY = -1;
const NEG_ZERO_BITS = -2147483648; // 0x80000000, the bits of -0 as int32

/** A bounded TTL cache of scores. */
export class PredictionCache {
  readonly #ttl: number;
  readonly #max: number;
  readonly #now: () => number;
  /** Model → version → small id stored with each entry. */
  readonly #ids = new Map<string, Map<string, number>>();
  #nextId = 0;
  /** Row values per slot; grows with the widest model seen. */
  #stride = 0;
  #bits = new Int32Array(0);
  #width = new Int32Array(0);
  #model = new Int32Array(0);
  #hash = new Int32Array(0);
  #expires = new Float64Array(0);
  #p0 = new Float64Array(0);
  #p1 = new Float64Array(0);
  /** Open-addressing index: slot number, or EMPTY. */
  #index = new Int32Array(0);
  #mask = 0;
  #pos = 0;
  #size = 0;
  /** The probed row, normalised (-0 → 0), as int32 bits. */
  #row = new Float32Array(0);
  #rowBits = new Int32Array(0);

  constructor(options: { ttlMs: number; maxEntries: number; now?: () => number }) {
    this.#ttl = options.ttlMs;
    this.#max = Math.max(0, Math.floor(options.maxEntries));
    this.#now = options.now ?? Date.now;
  }

  /** Whether the cache stores anything. */
  get enabled(): boolean {
    return this.#ttl > 0 && this.#max > 0;
  }

  /** Entries held (fresh or expired but not yet replaced). */
  get size(): number {
    return this.#size;
  }

  /** The fresh score of `row` for `model` `version`, if any. */
  get(model: string, version: string, row: Float32Array): CachedScore | undefined {
    if (this.#size === 0 || row.length > this.#stride) return undefined;
    const id = this.#ids.get(model)?.get(version);
    if (id === undefined) return undefined;
    const slot = this.#find(id, row.length, this.#load(id, row));
    if (slot === EMPTY || this.#expires[slot] <= this.#now()) return undefined;
    return { p0: this.#p0[slot], p1: this.#p1[slot] };
  }

  /** Stores the score of `row`; the oldest entry is replaced when the cache is full. */
  set(model: string, version: string, row: Float32Array, score: CachedScore): void {
    if (!this.enabled) return;
    if (row.length > this.#stride) this.#widen(row.length);
    const id = this.#idOf(model, version);
    const h = this.#load(id, row);
    let slot = this.#find(id, row.length, h);
    if (slot === EMPTY) {
      slot = this.#pos;
      this.#pos = slot + 1 === this.#max ? 0 : slot + 1;
      if (this.#model[slot] === EMPTY) this.#size++;
      else this.#unindex(slot);
      const base = slot * this.#stride;
      for (let i = 0; i < row.length; i++) this.#bits[base + i] = this.#rowBits[i];
      this.#model[slot] = id;
      this.#width[slot] = row.length;
      this.#hash[slot] = h;
      let at = h & this.#mask;
      while (this.#index[at] !== EMPTY) at = (at + 1) & this.#mask;
      this.#index[at] = slot;
    }
    this.#p0[slot] = score.p0;
    this.#p1[slot] = score.p1;
    this.#expires[slot] = this.#now() + this.#ttl;
  }

  #idOf(model: string, version: string): number {
    let versions = this.#ids.get(model);
    if (!versions) this.#ids.set(model, versions = new Map());
    let id = versions.get(version);
    if (id === undefined) versions.set(version, id = this.#nextId++);
    return id;
  }

  /** Copies `row` into the probe buffer (normalising -0) and returns its hash. */
  #load(id: number, row: Float32Array): number {
    this.#row.set(row);
    const bits = this.#rowBits;
    let h = Math.imul(id ^ 0x5bd1e995, 0x9e3779b1) ^ row.length;
    for (let i = 0; i < row.length; i++) {
      let b = bits[i];
      if (b === NEG_ZERO_BITS) bits[i] = b = 0;
      h = Math.imul(h ^ b, 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    return h ^ (h >>> 13);
  }

  /** The slot holding the probe row, or EMPTY. */
  #find(id: number, width: number, h: number): number {
    const index = this.#index;
    for (let at = h & this.#mask;; at = (at + 1) & this.#mask) {
      const slot = index[at];
      if (slot === EMPTY) return EMPTY;
      if (
        this.#hash[slot] === h && this.#model[slot] === id && this.#width[slot] === width &&
        this.#sameRow(slot, width)
      ) return slot;
    }
  }

  #sameRow(slot: number, width: number): boolean {
    const base = slot * this.#stride;
    for (let i = 0; i < width; i++) {
      if (this.#bits[base + i] !== this.#rowBits[i]) return false;
    }
    return true;
  }

  /** Removes `slot` from the index, shifting later probes back over the hole. */
  #unindex(slot: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let hole = this.#hash[slot] & mask;
    while (index[hole] !== slot) hole = (hole + 1) & mask;
    for (let at = (hole + 1) & mask; index[at] !== EMPTY; at = (at + 1) & mask) {
      const home = this.#hash[index[at]] & mask;
      // Move the entry at `at` into the hole unless its home lies in (hole, at].
      const stays = hole <= at ? hole < home && home <= at : hole < home || home <= at;
      if (!stays) {
        index[hole] = index[at];
        hole = at;
      }
    }
    index[hole] = EMPTY;
  }

  /**
   * Makes room for rows of `width` values: allocates the arrays on first use,
   * or re-lays the stored rows out at the wider stride (slots, hashes and the
   * index do not depend on it, so every entry stays).
   */
  #widen(width: number): void {
    const n = this.#max;
    if (this.#stride === 0) {
      let slots = 2;
      while (slots < n * 2) slots *= 2;
      this.#width = new Int32Array(n);
      this.#model = new Int32Array(n).fill(EMPTY);
      this.#hash = new Int32Array(n);
      this.#expires = new Float64Array(n);
      this.#p0 = new Float64Array(n);
      this.#p1 = new Float64Array(n);
      this.#index = new Int32Array(slots).fill(EMPTY);
      this.#mask = slots - 1;
    }
    const bits = new Int32Array(n * width);
    for (let slot = 0; slot < n; slot++) {
      const from = slot * this.#stride;
      bits.set(this.#bits.subarray(from, from + this.#width[slot]), slot * width);
    }
    this.#bits = bits;
    this.#stride = width;
    this.#row = new Float32Array(width);
    this.#rowBits = new Int32Array(this.#row.buffer);
  }
}
