/**
 * The tiles a store keeps for a view: which tile sizes are rows and which
 * are rolled up from those rows when read, and the tile deltas of a batch.
 * Stored tiles hold every slot of the view (its full layout), so any tile
 * size can be rolled up from any stored size that divides it, and they are
 * built with the same slot code as the online state (`addToRow`,
 * `mergeRow`).
 *
 * @module
 */
import {
  addToRow,
  emptyRow,
  type FeatureView,
  mergeRow,
  planOf,
  type TileRow,
  type WindowEvent,
} from "../features/mod.ts";
import type { TileRecord } from "./port.ts";

/** A tile size summed on read from the stored tiles of size `fromMs`. */
export interface RolledUpGrain {
  tileMs: number;
  fromMs: number;
}

/**
 * How a store keeps the tile sizes of at least `minTileMs`: as rows
 * (`stored`), or summed on read from a stored size that divides them
 * (`rolledUp`; tiles are aligned to the epoch, so a 1 d tile is exactly its
 * 24 tiles of 1 h). Finer tiles cover short windows (1 h of 1-minute
 * tiles), which offline reads compute from raw events and the online state
 * holds. Each stored size is one more row upsert per event.
 */
export function tilePlan(
  view: FeatureView,
  minTileMs: number,
): { stored: number[]; rolledUp: RolledUpGrain[] } {
  const sizes = [...new Set(view.windowFeatures.map((f) => f.tileMs))]
    .filter((g) => g >= minTileMs)
    .sort((a, b) => a - b);
  const stored: number[] = [];
  const rolledUp: RolledUpGrain[] = [];
  for (const g of sizes) {
    // The coarsest stored size that divides it.
    const from = stored.findLast((s) => g % s === 0);
    if (from !== undefined) rolledUp.push({ tileMs: g, fromMs: from });
    else stored.push(g);
  }
  return { stored, rolledUp };
}

/** The tile sizes a store keeps as rows. */
export function storedGrains(view: FeatureView, minTileMs: number): number[] {
  return tilePlan(view, minTileMs).stored;
}

/** A stored record of a full-layout tile row. */
export function toRecord(
  view: FeatureView,
  entityId: string,
  tileMs: number,
  row: TileRow,
): TileRecord {
  const n = planOf(view).full.num.length;
  return {
    entityId,
    tileMs,
    tileIndex: row[0] as number,
    state: row.slice(1, 1 + n) as (number | null)[],
    sets: row.slice(1 + n) as Record<string, number>[],
  };
}

/** The full-layout tile row of a stored record. */
export function toRow(record: TileRecord): TileRow {
  return [record.tileIndex, ...record.state, ...record.sets.map((s) => ({ ...s }))];
}

/**
 * The tile deltas of `events` (one entity's window events each) for the
 * stored sizes of `view`: one full-layout row per (entity, size, tile).
 */
export function tileDeltas(
  view: FeatureView,
  events: Iterable<{ entityId: string; event: WindowEvent }>,
  minTileMs: number,
): TileRecord[] {
  const layout = planOf(view).full;
  const sizes = storedGrains(view, minTileMs);
  const rows = new Map<string, { entityId: string; tileMs: number; row: TileRow }>();
  for (const { entityId, event } of events) {
    for (const g of sizes) {
      const idx = Math.floor(event.timeMs / g);
      const key = `${entityId}\u0000${g}\u0000${idx}`;
      let r = rows.get(key);
      if (!r) rows.set(key, r = { entityId, tileMs: g, row: emptyRow(layout, idx) });
      addToRow(r.row, layout, event.timeMs, event.values);
    }
  }
  return [...rows.values()].map((r) => toRecord(view, r.entityId, r.tileMs, r.row));
}

/**
 * The stored tiles of one entity plus the rolled-up ones, ordered by tile
 * size and index: what the store would hold if it kept every size. Rows of
 * sizes the plan does not store (left by an earlier setting, and no longer
 * updated; `features:backfill` deletes them) are ignored.
 */
export function withRolledUp(
  view: FeatureView,
  minTileMs: number,
  records: readonly TileRecord[],
): TileRecord[] {
  const plan = tilePlan(view, minTileMs);
  const layout = planOf(view).full;
  const kept = new Set(plan.stored);
  const stored = records.filter((t) => kept.has(t.tileMs));
  const out = [...stored];
  for (const g of plan.rolledUp) {
    const byIndex = new Map<number, TileRow>();
    for (const t of stored) {
      if (t.tileMs !== g.fromMs) continue;
      const tileIndex = Math.floor((t.tileIndex * g.fromMs) / g.tileMs);
      let row = byIndex.get(tileIndex);
      if (!row) byIndex.set(tileIndex, row = emptyRow(layout, tileIndex));
      mergeRow(row, toRow(t), layout);
    }
    for (const row of byIndex.values()) {
      out.push(toRecord(view, stored[0].entityId, g.tileMs, row));
    }
  }
  return out.sort((a, b) => a.tileMs - b.tileMs || a.tileIndex - b.tileIndex);
}
