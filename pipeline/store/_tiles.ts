/**
 * The tile sizes of a view, which of them the store keeps as rows, and
 * which it rolls up from those rows when they are read.
 *
 * @module
 */
import type { FeatureView } from "../features/mod.ts";
import type { TileRecord } from "./port.ts";

/** A tile size, with whether a `distinct` feature needs its categories. */
export interface Grain {
  tileMs: number;
  categories: boolean;
}

/** A tile size summed on read from the stored tiles of size `fromMs`. */
export interface RolledUpGrain extends Grain {
  fromMs: number;
}

/** The tile sizes of a view, with whether `distinct` needs categories. */
export function grainsOfView(view: FeatureView): Grain[] {
  const m = new Map<number, boolean>();
  for (const f of view.windowFeatures) {
    m.set(f.tileMs, (m.get(f.tileMs) ?? false) || f.aggregate === "distinct");
  }
  return [...m].map(([tileMs, categories]) => ({ tileMs, categories }));
}

/**
 * How a store keeps the tile sizes of at least `minTileMs`: as rows
 * (`stored`), or summed on read from a stored size that divides them
 * (`rolledUp`; tiles are aligned to the epoch, so a 1 d tile is exactly its
 * 24 tiles of 1 h). Finer tiles cover short windows (1 h of 1-minute
 * tiles), which offline reads compute from raw events and the online state
 * holds. Each stored size is one more row upsert per event: Postgres spent
 * a third of its write work on 1-minute tiles and a fifth on 1-day tiles.
 */
export function tilePlan(
  view: FeatureView,
  minTileMs: number,
): { stored: Grain[]; rolledUp: RolledUpGrain[] } {
  const grains = grainsOfView(view)
    .filter((g) => g.tileMs >= minTileMs)
    .sort((a, b) => a.tileMs - b.tileMs);
  const stored: Grain[] = [];
  const rolledUp: RolledUpGrain[] = [];
  for (const g of grains) {
    // The coarsest stored size that divides it and has the categories it needs.
    const from = stored.findLast((s) =>
      g.tileMs % s.tileMs === 0 && (s.categories || !g.categories)
    );
    if (from) rolledUp.push({ ...g, fromMs: from.tileMs });
    else stored.push({ ...g });
  }
  return { stored, rolledUp };
}

/** The tile sizes a store keeps as rows in `feature_tiles`. */
export function storedGrains(view: FeatureView, minTileMs: number): Grain[] {
  return tilePlan(view, minTileMs).stored;
}

/**
 * The stored tiles of one entity plus the rolled-up ones, ordered by tile
 * size and index: what the store would hold if it kept every size. Rows of
 * sizes the plan does not store (left by an earlier version or setting, and
 * no longer updated; `features:backfill` deletes them) are ignored.
 */
export function withRolledUp(
  view: FeatureView,
  minTileMs: number,
  rows: readonly TileRecord[],
): TileRecord[] {
  const plan = tilePlan(view, minTileMs);
  const kept = new Set(plan.stored.map((g) => g.tileMs));
  const stored = rows.filter((t) => kept.has(t.tileMs));
  const out = [...stored];
  for (const g of plan.rolledUp) {
    const byIndex = new Map<number, TileRecord>();
    for (const t of stored) {
      if (t.tileMs !== g.fromMs) continue;
      const tileIndex = Math.floor((t.tileIndex * g.fromMs) / g.tileMs);
      let r = byIndex.get(tileIndex);
      if (!r) {
        r = { ...t, tileMs: g.tileMs, tileIndex, count: 0, sum: 0, max: -Infinity, categories: {} };
        byIndex.set(tileIndex, r);
      }
      r.count += t.count;
      r.sum += t.sum;
      r.max = Math.max(r.max, t.max);
      r.maxTimeMs = Math.max(r.maxTimeMs, t.maxTimeMs);
      if (g.categories) {
        for (const [c, n] of Object.entries(t.categories)) {
          r.categories[c] = (r.categories[c] ?? 0) + n;
        }
      }
    }
    out.push(...byIndex.values());
  }
  return out.sort((a, b) => a.tileMs - b.tileMs || a.tileIndex - b.tileIndex);
}
