/**
 * Tile deltas of a batch: the accepted events of each entity summed per
 * tile, one row per (view, entity, tile size, tile index), so one
 * multi-row upsert never touches a row twice.
 *
 * @module
 */
import type { FeatureView } from "../features/mod.ts";
import type { StoredEvent } from "./port.ts";

/** One tile delta, in the JSON shape the upsert reads with `json_to_recordset`. */
export interface TileDelta {
  view: string;
  version: number;
  entity_id: string;
  tile_ms: number;
  tile_index: number;
  count: number;
  sum: number;
  max: number;
  categories: Record<string, number>;
  max_time_ms: number;
}

/** The tile sizes of a view, with whether `distinct` needs categories. */
export function grainsOfView(view: FeatureView): { tileMs: number; categories: boolean }[] {
  const m = new Map<number, boolean>();
  for (const f of view.windowFeatures) {
    m.set(f.tileMs, (m.get(f.tileMs) ?? false) || f.aggregate === "distinct");
  }
  return [...m].map(([tileMs, categories]) => ({ tileMs, categories }));
}

/** Sums `events` into tile deltas for every view, sorted by key (stable lock order). */
export function tileDeltas(
  views: readonly FeatureView[],
  events: readonly StoredEvent[],
): TileDelta[] {
  const out = new Map<string, TileDelta>();
  for (const view of views) {
    for (const g of grainsOfView(view)) {
      for (const e of events) {
        const idx = Math.floor(e.timeMs / g.tileMs);
        const key =
          `${view.name}\u0001${view.version}\u0001${e.entityId}\u0001${g.tileMs}\u0001${idx}`;
        let d = out.get(key);
        if (!d) {
          d = {
            view: view.name,
            version: view.version,
            entity_id: e.entityId,
            tile_ms: g.tileMs,
            tile_index: idx,
            count: 0,
            sum: 0,
            max: -Infinity,
            categories: {},
            max_time_ms: -8.64e15,
          };
          out.set(key, d);
        }
        d.count++;
        d.sum += e.amount;
        if (e.amount > d.max) d.max = e.amount;
        if (e.timeMs > d.max_time_ms) d.max_time_ms = e.timeMs;
        if (g.categories) d.categories[e.category] = (d.categories[e.category] ?? 0) + 1;
      }
    }
  }
  return [...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((
    [, d],
  ) => d);
}
