/**
 * Windowed aggregates: the online entity state (one JSON value per entity
 * in Redis), the pure merge that builds it, the read that computes every
 * windowed feature from it as of request time, and the offline computation
 * from raw events. All follow one window rule: an event e counts at T when
 * `e.time < T` and `floor(e.time / g) >= floor(T / g) - W / g + 1`.
 *
 * The state keeps, per tile size, partial aggregates (count, sum, max,
 * latest time, category multiset) of the events older than `sealed`, and
 * the newer events raw (`tail`). `sealed` trails the newest event by
 * `view.tailMs`, so any T ≥ `sealed` (request time, with the future
 * tolerance of validation and clock skew covered by `tailMs`) is computed
 * exactly: all sealed events are before T, and raw events are filtered one
 * by one. For T < `sealed` the head tile may include events at or after T.
 *
 * @module
 */
import type { FeatureView, WindowFeature } from "./view.ts";

/** Seconds an entity's online state lives after its last write (31 days). */
export const ONLINE_TTL_SECONDS = 31 * 86_400;

/** What the window aggregates read from one event. */
export interface WindowEvent {
  /** Event time, epoch ms. */
  timeMs: number;
  /** The aggregated value (`view.valueField`). */
  amount: number;
  /** The category (`view.categoryField`, missing → `view.missingCategory`). */
  category: string;
}

/**
 * One tile: `[index, count, sum, max, latestTimeMs, categories]`, index =
 * floor(time / tileMs); categories maps category → count (or 0 when the
 * tile size has no `distinct` feature). `sum`, `max` and `latestTimeMs` are
 * 0 in tiles of a size whose features do not read them (1-minute tiles
 * serve only a count, 1-hour ones no max or latest time): a state is parsed
 * and written for every event, and those digits were a third of its bytes.
 */
export type TileRow = [number, number, number, number, number, Record<string, number> | 0];

/** One raw recent event: `[timeMs, amount, category]`. */
export type TailEvent = [number, number, string];

/** The online state of one entity, stored as JSON at `redisKeys.online(...)`. */
export interface OnlineEntityState {
  /** Format version. */
  v: 1;
  /**
   * Write revision, +1 on every write; writers compare-and-set on it so
   * concurrent workers lose no update. Serialised right after `v`.
   */
  rev?: number;
  /** Newest event time seen, epoch ms. */
  newest: number;
  /** Events with time < `sealed` are in `tiles`; the others are in `tail`. */
  sealed: number;
  /** Tiles per tile size in ms (key: `String(tileMs)`), ascending by index. */
  tiles: Record<string, TileRow[]>;
  /** Raw events with time ≥ `sealed`. */
  tail: TailEvent[];
}

interface Grain {
  tileMs: number;
  /** Number of tiles the longest window over this grain spans. */
  horizon: number;
  categories: boolean;
  /** Whether a feature of this tile size reads the sum, the max, the latest time. */
  sum: boolean;
  max: boolean;
  latest: boolean;
}

const NO_TIME = -8.64e15;
const plans = new WeakMap<FeatureView, Grain[]>();

function grainsOf(view: FeatureView): Grain[] {
  let grains = plans.get(view);
  if (grains) return grains;
  const byTile = new Map<number, Grain>();
  for (const f of view.windowFeatures) {
    const g = byTile.get(f.tileMs) ??
      { tileMs: f.tileMs, horizon: 0, categories: false, sum: false, max: false, latest: false };
    g.horizon = Math.max(g.horizon, Math.ceil(f.windowMs / f.tileMs));
    g.categories ||= f.aggregate === "distinct";
    g.sum ||= f.aggregate === "sum" || f.aggregate === "mean";
    g.max ||= f.aggregate === "max";
    g.latest ||= f.aggregate === "seconds_since_last";
    byTile.set(f.tileMs, g);
  }
  grains = [...byTile.values()];
  plans.set(view, grains);
  return grains;
}

/** A state with no event. */
export function emptyOnlineState(): OnlineEntityState {
  return { v: 1, rev: 0, newest: NO_TIME, sealed: NO_TIME, tiles: {}, tail: [] };
}

/**
 * Merges newly accepted (deduplicated) events into an entity's state and
 * returns the new state; the input is not modified. Events may be late or
 * out of order; merging is commutative for the values it yields at any
 * T ≥ the resulting `sealed`. Tiles that no window can reach any more are
 * dropped.
 */
export function mergeEvents(
  view: FeatureView,
  state: OnlineEntityState | null,
  events: readonly WindowEvent[],
): OnlineEntityState {
  const grains = grainsOf(view);
  const prev = state ?? emptyOnlineState();
  let newest = prev.newest;
  for (const e of events) if (e.timeMs > newest) newest = e.timeMs;
  const sealed = Math.max(prev.sealed, newest - view.tailMs);
  // Rows are shared with `prev` until an event lands in them (then copied):
  // an entity's events touch a tile or two of its dozens.
  const lists = grains.map((g) => sortedCopy(prev.tiles[String(g.tileMs)]));
  const touched = grains.map((): TileRow[] => []);
  const seal = (t: number, amount: number, category: string) => {
    for (let i = 0; i < grains.length; i++) {
      addToTile(lists[i], touched[i], grains[i], t, amount, category);
    }
  };
  const tail: TailEvent[] = [];
  for (const e of prev.tail) e[0] >= sealed ? tail.push(e) : seal(e[0], e[1], e[2]);
  for (const e of events) {
    if (e.timeMs >= sealed) tail.push([e.timeMs, e.amount, e.category]);
    else seal(e.timeMs, e.amount, e.category);
  }
  tail.sort((x, y) => x[0] - y[0]);
  const tiles: Record<string, TileRow[]> = {};
  grains.forEach((g, i) => {
    for (const r of touched[i]) {
      if (!g.sum) r[2] = 0;
      if (!g.max) r[3] = 0;
      if (!g.latest) r[4] = 0;
    }
    const list = lists[i];
    // Tiles no window can reach any more are dropped.
    const rows = list.slice(lowerIndex(list, Math.floor(sealed / g.tileMs) - g.horizon + 1));
    if (rows.length > 0) tiles[String(g.tileMs)] = rows;
  });
  return { v: 1, rev: (prev.rev ?? 0) + 1, newest, sealed, tiles, tail };
}

/** A copy of a tile list sorted by index (written sorted; sorted again if not). */
function sortedCopy(rows: readonly TileRow[] | undefined): TileRow[] {
  const out = rows ? rows.slice() : [];
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1][0] >= out[i][0]) return out.sort((x, y) => x[0] - y[0]);
  }
  return out;
}

/** The first position in `rows` (sorted) whose index is ≥ `idx`. */
function lowerIndex(rows: readonly TileRow[], idx: number): number {
  let lo = 0, hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid][0] < idx) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function addToTile(
  rows: TileRow[],
  touched: TileRow[],
  g: Grain,
  t: number,
  amount: number,
  category: string,
): void {
  const idx = Math.floor(t / g.tileMs);
  const at = lowerIndex(rows, idx);
  let row = rows[at];
  if (row === undefined || row[0] !== idx) {
    row = [idx, 0, 0, -Infinity, NO_TIME, g.categories ? {} : 0];
    rows.splice(at, 0, row);
    touched.push(row);
  } else if (!touched.includes(row)) {
    row = [row[0], row[1], row[2], row[3], row[4], row[5] === 0 ? 0 : { ...row[5] }];
    rows[at] = row;
    touched.push(row);
  }
  row[1] += 1;
  row[2] += amount;
  if (amount > row[3]) row[3] = amount;
  if (t > row[4]) row[4] = t;
  if (row[5] !== 0) row[5][category] = (row[5][category] ?? 0) + 1;
}

/**
 * Computes every windowed feature of `view` as of `asOfMs` from an online
 * state; a `null` state gives the empty-window values. Exact for any
 * `asOfMs >= state.sealed`.
 *
 * @example
 * ```ts
 * const state = JSON.parse(await redis.get(redisKeys.online(v.name, v.version, id)));
 * computeWindowFeatures(DEMO_VIEW, state, Date.now()).transaction_count_24h;
 * ```
 */
export function computeWindowFeatures(
  view: FeatureView,
  state: OnlineEntityState | null,
  asOfMs: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of view.windowFeatures) {
    out[f.name] = state ? windowValue(f, state, asOfMs) : f.empty;
  }
  return out;
}

function windowValue(f: WindowFeature, s: OnlineEntityState, asOfMs: number): number {
  const g = f.tileMs;
  const head = Math.floor(asOfMs / g);
  const start = head - f.windowMs / g + 1;
  const acc = newAcc(f.aggregate === "distinct");
  const rows = s.tiles[String(g)];
  if (rows) {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (r[0] < start || r[0] > head) continue;
      acc.count += r[1];
      acc.sum += r[2];
      if (r[3] > acc.max) acc.max = r[3];
      if (r[4] > acc.last) acc.last = r[4];
      if (acc.cats && r[5] !== 0) { for (const c in r[5]) acc.cats.add(c); }
    }
  }
  const tail = s.tail;
  for (let i = 0; i < tail.length; i++) {
    const e = tail[i];
    if (e[0] >= asOfMs) break; // sorted ascending
    if (Math.floor(e[0] / g) < start) continue;
    addEvent(acc, e[0], e[1], e[2]);
  }
  return finish(f, acc, asOfMs);
}

interface Acc {
  count: number;
  sum: number;
  max: number;
  last: number;
  cats: Set<string> | null;
}

function newAcc(categories: boolean): Acc {
  return { count: 0, sum: 0, max: -Infinity, last: NO_TIME, cats: categories ? new Set() : null };
}

function addEvent(acc: Acc, t: number, amount: number, category: string): void {
  acc.count += 1;
  acc.sum += amount;
  if (amount > acc.max) acc.max = amount;
  if (t > acc.last) acc.last = t;
  acc.cats?.add(category);
}

function finish(f: WindowFeature, acc: Acc, asOfMs: number): number {
  if (acc.count === 0) return f.empty;
  switch (f.aggregate) {
    case "count":
      return acc.count;
    case "sum":
      return acc.sum;
    case "mean":
      return acc.sum / acc.count;
    case "max":
      return acc.max;
    case "distinct":
      return acc.cats!.size;
    case "seconds_since_last":
      return (asOfMs - acc.last) / 1000;
  }
}

/**
 * Computes every windowed feature as of `asOfMs` directly from an entity's
 * raw events sorted ascending by time (the offline path: exact for any T).
 */
export function computeWindowFeaturesFromEvents(
  view: FeatureView,
  sortedEvents: readonly WindowEvent[],
  asOfMs: number,
): Record<string, number> {
  let end = lowerBound(sortedEvents, asOfMs); // first event with time >= T
  const feats = view.windowFeatures;
  const starts = feats.map((f) => Math.floor(asOfMs / f.tileMs) - f.windowMs / f.tileMs + 1);
  const accs = feats.map((f) => newAcc(f.aggregate === "distinct"));
  while (end > 0) {
    const e = sortedEvents[--end];
    let any = false;
    for (let i = 0; i < feats.length; i++) {
      if (Math.floor(e.timeMs / feats[i].tileMs) < starts[i]) continue;
      any = true;
      addEvent(accs[i], e.timeMs, e.amount, e.category);
    }
    if (!any) break; // older events are outside every window too
  }
  const out: Record<string, number> = {};
  feats.forEach((f, i) => (out[f.name] = finish(f, accs[i], asOfMs)));
  return out;
}

function lowerBound(events: readonly WindowEvent[], t: number): number {
  let lo = 0, hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].timeMs < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Reads an online state from its JSON text (or the object a client already
 * deserialised, as `@upstash/redis` does); `null` for a missing key or a
 * value that is not a state of this format (treated as an empty window).
 */
export function parseOnlineState(value: unknown): OnlineEntityState | null {
  let s = value;
  if (typeof s === "string") {
    try {
      s = JSON.parse(s);
    } catch {
      return null;
    }
  }
  if (s === null || typeof s !== "object") return null;
  const o = s as Partial<OnlineEntityState>;
  if (o.v !== 1 || !Array.isArray(o.tail) || typeof o.tiles !== "object") return null;
  return o as OnlineEntityState;
}
