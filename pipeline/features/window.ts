/**
 * Windowed aggregates: the online entity state (one JSON value per entity
 * and view in Redis), the pure merge that builds it, the read that computes
 * every windowed feature from it as of request time, and the offline
 * computation from raw events. All follow one window rule: an event e
 * counts at T when `e.time < T` and `floor(e.time / g) >= floor(T / g) - W / g + 1`.
 *
 * The state keeps, per tile size, the partial aggregates (slots, see
 * `plan.ts`) of the events older than `sealed`, and the newer events raw
 * (`tail`). Distinct counts keep, instead of a multiset per tile, one map
 * per tile size from each value to the latest tile it was seen in (`seen`):
 * a value counts when that tile is in the window. A site of 20 devices
 * reading every 10 s holds 20 entries there rather than 60 tiles × 20, so
 * the state a request reads and parses stays small (measured in
 * `bench:edge`'s two-entity run). `sealed` trails the newest event by `view.tailMs`, so any T ≥
 * `sealed` (request time, with the future tolerance of validation and clock
 * skew covered by `tailMs`) is computed exactly: all sealed events are
 * before T, and raw events are filtered one by one. For T < `sealed` the
 * head tile may include events at or after T.
 *
 * @module
 */
import { type FeatureReader, type InputValue, planOf, type SlotLayout } from "./plan.ts";
import type { FeatureView, WindowFeature } from "./view.ts";
import { type Acc, accumulateRow, accumulateValue, finish, newAcc } from "./_acc.ts";

/** Seconds an entity's online state lives after its last write (31 days). */
export const ONLINE_TTL_SECONDS = 31 * 86_400;

/** What the window aggregates read from one event: its time and its input values. */
export interface WindowEvent {
  /** Event time, epoch ms. */
  timeMs: number;
  /** Per input of the view's plan (see `eventInputs`). */
  values: InputValue[];
}

/**
 * One tile: `[index, ...numeric slots, ...multisets]` in the order of its
 * grain's layout; index = floor(time / tileMs). Empty min/max/time slots
 * are `null`; a multiset maps a key to its count.
 */
export type TileRow = (number | null | Record<string, number>)[];

/** One raw recent event: `[timeMs, ...input values]`. */
export type TailEvent = [number, ...InputValue[]];

/**
 * Per tile size (key: `String(tileMs)`), per set slot of its layout (in
 * order), each value's latest tile index among the sealed events.
 */
export type SeenValues = Record<string, Record<string, number>[]>;

/** The online state of one entity of one view, stored as JSON at `redisKeys.online(...)`. */
export interface OnlineEntityState {
  /**
   * Format version: 3 keeps distinct values in `seen` (tile rows hold 0 in
   * their set slots); 2, still read, kept a multiset in each tile row.
   */
  v: 2 | 3;
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
  /** Raw events with time ≥ `sealed`, ascending by time. */
  tail: TailEvent[];
  /** Distinct values of the sealed events (format 3), when the view counts any. */
  seen?: SeenValues;
}

const NO_TIME = -8.64e15;

/** A state with no event. */
export function emptyOnlineState(): OnlineEntityState {
  return { v: 3, rev: 0, newest: NO_TIME, sealed: NO_TIME, tiles: {}, tail: [] };
}

/** A new tile row of `layout` with no event. */
export function emptyRow(layout: SlotLayout, index: number): TileRow {
  const row: TileRow = [index];
  for (const s of layout.num) {
    row.push(
      s.op === "n" || s.op === "s" || s.op === "sn" || s.op === "sm" || s.op === "sq" ? 0 : null,
    );
  }
  for (let j = 0; j < layout.sets.length; j++) row.push({});
  return row;
}

/**
 * Adds one event's input values (at time `t`) to a tile row of `layout`;
 * its multisets too unless `sets` is false (the online state keeps distinct
 * values apart).
 */
export function addToRow(
  row: TileRow,
  layout: SlotLayout,
  t: number,
  values: InputValue[],
  sets = true,
): void {
  const num = layout.num;
  for (let k = 0; k < num.length; k++) {
    const s = num[k];
    const v = values[s.input];
    if (v === null || typeof v !== "number") continue;
    const p = k + 1;
    switch (s.op) {
      case "n":
        (row[p] as number) += 1;
        break;
      case "s":
        (row[p] as number) += v;
        break;
      case "min":
        if (row[p] === null || v < (row[p] as number)) row[p] = v;
        break;
      case "max":
        if (row[p] === null || v > (row[p] as number)) row[p] = v;
        break;
      case "t":
        if (row[p] === null || t > (row[p] as number)) row[p] = t;
        break;
      case "lt": {
        const lt = row[p] as number | null;
        if (lt === null || t > lt || (t === lt && v > (row[p + 1] as number))) {
          row[p] = t;
          row[p + 1] = v;
        }
        break;
      }
      case "sn": {
        // Welford's update of (count, mean, M2).
        const n = (row[p] as number) + 1;
        const mean = row[p + 1] as number;
        const d = v - mean;
        const next = mean + d / n;
        row[p] = n;
        row[p + 1] = next;
        (row[p + 2] as number) += d * (v - next);
        break;
      }
        // lv, sm, sq move with lt and sn.
    }
  }
  if (!sets) return;
  const base = num.length + 1;
  for (let j = 0; j < layout.sets.length; j++) {
    const v = values[layout.sets[j]];
    if (v === null) continue;
    const set = row[base + j] as Record<string, number>;
    const key = String(v);
    set[key] = (set[key] ?? 0) + 1;
  }
}

/** Merges tile row `b` into `a` (same layout): what `a` holds becomes both tiles' events. */
export function mergeRow(a: TileRow, b: TileRow, layout: SlotLayout): void {
  const num = layout.num;
  for (let k = 0; k < num.length; k++) {
    const p = k + 1;
    const x = b[p] as number | null;
    switch (num[k].op) {
      case "n":
      case "s":
        (a[p] as number) += x as number;
        break;
      case "min":
        if (x !== null && (a[p] === null || x < (a[p] as number))) a[p] = x;
        break;
      case "max":
      case "t":
        if (x !== null && (a[p] === null || x > (a[p] as number))) a[p] = x;
        break;
      case "lt": {
        const lt = a[p] as number | null;
        if (x !== null && (lt === null || x > lt || (x === lt && b[p + 1]! > a[p + 1]!))) {
          a[p] = x;
          a[p + 1] = b[p + 1];
        }
        break;
      }
      case "sn": {
        // Chan et al.: merge (n, mean, M2) of two parts.
        const na = a[p] as number, nb = x as number;
        if (nb === 0) break;
        if (na === 0) {
          a[p] = nb;
          a[p + 1] = b[p + 1];
          a[p + 2] = b[p + 2];
          break;
        }
        const n = na + nb;
        const d = (b[p + 1] as number) - (a[p + 1] as number);
        a[p + 1] = (a[p + 1] as number) + d * nb / n;
        a[p + 2] = (a[p + 2] as number) + (b[p + 2] as number) + d * d * na * nb / n;
        a[p] = n;
        break;
      }
    }
  }
  const base = num.length + 1;
  for (let j = 0; j < layout.sets.length; j++) {
    const into = a[base + j] as Record<string, number>;
    for (const [key, c] of Object.entries(b[base + j] as Record<string, number>)) {
      into[key] = (into[key] ?? 0) + c;
    }
  }
}

/** A copy of a row (multisets copied too), so that a shared row is never changed. */
function copyRow(row: TileRow): TileRow {
  const out = row.slice();
  for (let i = 1; i < out.length; i++) {
    const v = out[i];
    if (v !== null && typeof v === "object") out[i] = { ...v };
  }
  return out;
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
  const grains = planOf(view).grains;
  const prev = state ?? emptyOnlineState();
  let newest = prev.newest;
  for (const e of events) if (e.timeMs > newest) newest = e.timeMs;
  const sealed = Math.max(prev.sealed, newest - view.tailMs);
  // Rows are shared with `prev` until an event lands in them (then copied):
  // an entity's events touch a tile or two of its dozens.
  const lists = grains.map((g) => sortedCopy(prev.tiles[String(g.tileMs)]));
  const touched = grains.map(() => new Set<TileRow>());
  // Distinct values, per grain and set slot: value → latest tile index.
  const seen = grains.map((g, i) => seenOf(prev, g.tileMs, g.layout, lists[i]));
  const seal = (t: number, values: InputValue[]) => {
    for (let i = 0; i < grains.length; i++) {
      const g = grains[i];
      const idx = Math.floor(t / g.tileMs);
      const rows = lists[i];
      const at = lowerIndex(rows, idx);
      let row = rows[at];
      if (row === undefined || row[0] !== idx) {
        row = emptyRow(g.layout, idx);
        rows.splice(at, 0, row);
        touched[i].add(row);
      } else if (!touched[i].has(row)) {
        row = copyRow(row);
        rows[at] = row;
        touched[i].add(row);
      }
      addToRow(row, g.layout, t, values, false);
      const sets = g.layout.sets;
      for (let j = 0; j < sets.length; j++) {
        const v = values[sets[j]];
        if (v === null) continue;
        const key = String(v);
        const last = seen[i][j][key];
        if (last === undefined || idx > last) seen[i][j][key] = idx;
      }
    }
  };
  const tail: TailEvent[] = [];
  for (const e of prev.tail) {
    if (e[0] >= sealed) tail.push(e);
    else seal(e[0], e.slice(1) as InputValue[]);
  }
  for (const e of events) {
    if (e.timeMs >= sealed) tail.push([e.timeMs, ...e.values]);
    else seal(e.timeMs, e.values);
  }
  tail.sort((x, y) => x[0] - y[0]);
  const tiles: Record<string, TileRow[]> = {};
  const seenOut: SeenValues = {};
  grains.forEach((g, i) => {
    const list = lists[i];
    // Tiles (and seen values) no window can reach any more are dropped.
    const first = Math.floor(sealed / g.tileMs) - g.horizon + 1;
    const rows = list.slice(lowerIndex(list, first));
    const base = g.layout.num.length + 1;
    for (let r = 0; r < rows.length; r++) {
      if (g.layout.sets.length === 0 || !touched[i].has(rows[r])) continue;
      // Set slots hold 0: the values live in `seen`.
      for (let j = 0; j < g.layout.sets.length; j++) rows[r][base + j] = 0;
    }
    if (rows.length > 0) tiles[String(g.tileMs)] = rows;
    if (g.layout.sets.length > 0) {
      const maps = seen[i].map((m) => {
        const kept: Record<string, number> = {};
        for (const key in m) if (m[key] >= first) kept[key] = m[key];
        return kept;
      });
      if (maps.some((m) => Object.keys(m).length > 0)) seenOut[String(g.tileMs)] = maps;
    }
  });
  return {
    v: 3,
    rev: (prev.rev ?? 0) + 1,
    newest,
    sealed,
    tiles,
    tail,
    ...(Object.keys(seenOut).length > 0 ? { seen: seenOut } : {}),
  };
}

/**
 * The `seen` maps of one grain of `prev`, copied: a format-3 state's own, or
 * those a format-2 state's tile multisets give (its rows in `rows` then get
 * 0 in their set slots, copied first).
 */
function seenOf(
  prev: OnlineEntityState,
  tileMs: number,
  layout: SlotLayout,
  rows: TileRow[],
): Record<string, number>[] {
  const maps = layout.sets.map((_, j) => ({ ...(prev.seen?.[String(tileMs)]?.[j] ?? {}) }));
  if (prev.v !== 2 || layout.sets.length === 0) return maps;
  const base = layout.num.length + 1;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r].slice();
    const idx = row[0] as number;
    for (let j = 0; j < layout.sets.length; j++) {
      const set = row[base + j];
      if (set !== null && typeof set === "object") {
        for (const key in set) if (!(maps[j][key] >= idx)) maps[j][key] = idx;
      }
      row[base + j] = 0;
    }
    rows[r] = row;
  }
  return maps;
}

/** A copy of a tile list sorted by index (written sorted; sorted again if not). */
function sortedCopy(rows: readonly TileRow[] | undefined): TileRow[] {
  const out = rows ? rows.slice() : [];
  for (let i = 1; i < out.length; i++) {
    if ((out[i - 1][0] as number) >= (out[i][0] as number)) {
      return out.sort((x, y) => (x[0] as number) - (y[0] as number));
    }
  }
  return out;
}

/** The first position in `rows` (sorted) whose index is ≥ `idx`. */
function lowerIndex(rows: readonly TileRow[], idx: number): number {
  let lo = 0, hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rows[mid][0] as number) < idx) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Computes every windowed feature of `view` as of `asOfMs` from an online
 * state; a `null` state gives the empty-window values. Exact for any
 * `asOfMs >= state.sealed`.
 *
 * @example
 * ```ts
 * const state = parseOnlineState(await redis.get(redisKeys.online(v.name, v.version, id)));
 * computeWindowFeatures(view, state, Date.now()).transaction_count_24h;
 * ```
 */
export function computeWindowFeatures(
  view: FeatureView,
  state: OnlineEntityState | null,
  asOfMs: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  const plan = planOf(view);
  const features = plan.features;
  for (let k = 0; k < features.length; k++) {
    const r = features[k];
    const f = r.feature;
    out[f.name] = state ? readFeature(r, state, asOfMs) : f.empty;
  }
  return out;
}

/**
 * One feature's value from an online state: its tiles in the window, then
 * its raw events before `asOfMs`. One loop per aggregate, over plain locals: this runs for every
 * feature of every entity of every request.
 */
function readFeature(r: FeatureReader, state: OnlineEntityState, asOfMs: number): number {
  const f = r.feature;
  const g = f.tileMs;
  const head = Math.floor(asOfMs / g);
  const start = head - f.windowMs / g + 1;
  const rows = state.tiles[r.grainKey] ?? NO_ROWS;
  const tail = state.tail;
  const at = r.at;
  const col = r.input + 1;
  // Tiles in [start, head], ascending (the order the offline path sums in);
  // tiles after `head` hold only events at or after T (for T ≥ sealed, none).
  const lo = lowerIndex(rows, start);
  let hi = rows.length;
  while (hi > lo && (rows[hi - 1][0] as number) > head) hi--;
  switch (f.aggregate) {
    case "count": {
      const p = at.n;
      let n = 0;
      for (let i = lo; i < hi; i++) {
        const row = rows[i];
        n += row[p] as number;
      }
      for (let j = 0; j < tail.length; j++) {
        const e = tail[j];
        if (e[0] >= asOfMs) break; // sorted ascending
        if (e[col] !== null && Math.floor(e[0] / g) >= start) n++;
      }
      return n === 0 ? f.empty : n;
    }
    case "sum":
    case "mean": {
      const pn = at.n, ps = at.s;
      let n = 0, sum = 0;
      for (let i = lo; i < hi; i++) {
        const row = rows[i];
        n += row[pn] as number;
        sum += row[ps] as number;
      }
      for (let j = 0; j < tail.length; j++) {
        const e = tail[j];
        if (e[0] >= asOfMs) break;
        const v = e[col];
        if (v !== null && Math.floor(e[0] / g) >= start) {
          n++;
          sum += v as number;
        }
      }
      if (n === 0) return f.empty;
      return f.aggregate === "sum" ? sum : sum / n;
    }
    case "min":
    case "max":
    case "seconds_since_last": {
      const max = f.aggregate !== "min";
      const time = f.aggregate === "seconds_since_last";
      const p = time ? at.t : max ? at.max : at.min;
      let x = max ? -Infinity : Infinity;
      for (let i = lo; i < hi; i++) {
        const row = rows[i];
        const v = row[p] as number | null;
        if (v !== null && (max ? v > x : v < x)) x = v;
      }
      for (let j = 0; j < tail.length; j++) {
        const e = tail[j];
        if (e[0] >= asOfMs) break;
        const v = e[col];
        if (v === null || Math.floor(e[0] / g) < start) continue;
        const y = time ? e[0] : v as number;
        if (max ? y > x : y < x) x = y;
      }
      if (x === Infinity || x === -Infinity) return f.empty;
      return time ? (asOfMs - x) / 1000 : x;
    }
    case "last": {
      const p = at.lt;
      let lt = -Infinity, lv = 0;
      for (let i = lo; i < hi; i++) {
        const row = rows[i];
        const t = row[p] as number | null;
        const v = row[p + 1] as number;
        if (t !== null && (t > lt || (t === lt && v > lv))) {
          lt = t;
          lv = v;
        }
      }
      for (let j = 0; j < tail.length; j++) {
        const e = tail[j];
        if (e[0] >= asOfMs) break;
        const v = e[col] as number | null;
        if (v === null || Math.floor(e[0] / g) < start) continue;
        if (e[0] > lt || (e[0] === lt && v > lv)) {
          lt = e[0];
          lv = v;
        }
      }
      return lt === -Infinity ? f.empty : lv;
    }
    case "stddev": {
      const p = at.sn;
      let n = 0, mean = 0, m2 = 0;
      for (let i = lo; i < hi; i++) {
        const row = rows[i];
        const nb = row[p] as number;
        if (nb === 0) continue;
        const mb = row[p + 1] as number;
        const qb = row[p + 2] as number;
        if (n === 0) {
          n = nb;
          mean = mb;
          m2 = qb;
          continue;
        }
        const total = n + nb;
        const d = mb - mean;
        mean += d * nb / total;
        m2 += qb + d * d * n * nb / total;
        n = total;
      }
      for (let j = 0; j < tail.length; j++) {
        const e = tail[j];
        if (e[0] >= asOfMs) break;
        const v = e[col] as number | null;
        if (v === null || Math.floor(e[0] / g) < start) continue;
        n++;
        const d = v - mean;
        mean += d / n;
        m2 += d * (v - mean);
      }
      return n === 0 ? f.empty : Math.sqrt(Math.max(0, m2 / n));
    }
    case "distinct": {
      if (state.v === 3) return distinctOf(f, state, r.input, r.setSlot, start, asOfMs);
      // Format 2: multisets in the rows.
      const acc = newAcc(f);
      for (let i = lo; i < hi; i++) {
        const row = rows[i];
        accumulateRow(f, acc, row, at);
      }
      for (let j = 0; j < tail.length; j++) {
        const e = tail[j];
        if (e[0] >= asOfMs) break;
        const v = e[col];
        if (v !== null && Math.floor(e[0] / g) >= start) {
          accumulateValue(f, acc, e[0], v as number | string);
        }
      }
      return finish(f, acc, asOfMs);
    }
  }
}

const NO_ROWS: readonly TileRow[] = [];

/**
 * A distinct count from a format-3 state: the values whose latest sealed
 * tile is at or after `start`, and those of raw events in the window.
 */
function distinctOf(
  f: WindowFeature,
  state: OnlineEntityState,
  input: number,
  slot: number,
  start: number,
  asOfMs: number,
): number {
  const seen = state.seen?.[String(f.tileMs)]?.[slot];
  let n = 0;
  if (seen) { for (const key in seen) if (seen[key] >= start) n++; }
  let extra: Set<string> | null = null;
  const tail = state.tail;
  for (let i = 0; i < tail.length; i++) {
    const e = tail[i];
    if (e[0] >= asOfMs) break; // sorted ascending
    if (Math.floor(e[0] / f.tileMs) < start) continue;
    const v = e[input + 1];
    if (v === null) continue;
    const key = String(v);
    if (seen && seen[key] >= start) continue;
    (extra ??= new Set()).add(key);
  }
  n += extra?.size ?? 0;
  return n === 0 ? f.empty : n;
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
  const plan = planOf(view);
  const feats = plan.features;
  const starts = feats.map((r) =>
    Math.floor(asOfMs / r.feature.tileMs) - r.feature.windowMs / r.feature.tileMs + 1
  );
  const accs: Acc[] = feats.map((r) => newAcc(r.feature));
  while (end > 0) {
    const e = sortedEvents[--end];
    let any = false;
    for (let i = 0; i < feats.length; i++) {
      const f: WindowFeature = feats[i].feature;
      if (Math.floor(e.timeMs / f.tileMs) < starts[i]) continue;
      any = true;
      const v = e.values[feats[i].input];
      if (v !== null) accumulateValue(f, accs[i], e.timeMs, v);
    }
    if (!any) break; // older events are outside every window too
  }
  const out: Record<string, number> = {};
  feats.forEach((r, i) => (out[r.feature.name] = finish(r.feature, accs[i], asOfMs)));
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
 * value that is not a state of this format (treated as an empty window by
 * readers, rebuilt from the store by the pipeline).
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
  if ((o.v !== 3 && o.v !== 2) || !Array.isArray(o.tail) || typeof o.tiles !== "object") {
    return null;
  }
  return o as OnlineEntityState;
}
