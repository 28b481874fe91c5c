/**
 * The tile sizes of a view, and which of them the store keeps as rows.
 *
 * @module
 */
import type { FeatureView } from "../features/mod.ts";

/** The tile sizes of a view, with whether `distinct` needs categories. */
export function grainsOfView(view: FeatureView): { tileMs: number; categories: boolean }[] {
  const m = new Map<number, boolean>();
  for (const f of view.windowFeatures) {
    m.set(f.tileMs, (m.get(f.tileMs) ?? false) || f.aggregate === "distinct");
  }
  return [...m].map(([tileMs, categories]) => ({ tileMs, categories }));
}

/**
 * The tile sizes a store keeps in `feature_tiles`: those of at least
 * `minTileMs`. Finer tiles cover short windows (1 h of 1-minute tiles),
 * which offline reads compute from raw events and the online state holds;
 * storing them as rows cost Postgres a third of its write work.
 */
export function storedGrains(
  view: FeatureView,
  minTileMs: number,
): { tileMs: number; categories: boolean }[] {
  return grainsOfView(view).filter((g) => g.tileMs >= minTileMs);
}
