/**
 * The `OnlineFeatureReader` port: windowed features of many (view, entity)
 * pairs, of any views, read in one round trip.
 *
 * @module
 */
import type { FeatureView } from "../../pipeline/features/mod.ts";

/** One entity of one view to read, as of one instant. */
export interface OnlineLookup {
  view: FeatureView;
  entityId: string;
  asOfMs: number;
}

/** Online features of one entity at one instant. */
export interface OnlineFeatures {
  /** Windowed feature values by name (empty-window values when the entity has no events). */
  values: Record<string, number>;
  /** Time of the newest event behind them (epoch ms), or null when there is none. */
  asOfMs: number | null;
}

/** Reads online features. Adapters: `upstash.ts`, `memory.ts`. */
export interface OnlineFeatureReader {
  /** Short name for health and metrics (`upstash`, `memory`). */
  readonly kind: string;
  /**
   * True when reads are answered from this process's memory without I/O:
   * such a read cannot be slow for a reason of its own, only because the
   * thread is busy, so it is not raced against the online timeout.
   */
  readonly inProcess?: boolean;
  /**
   * Features of each lookup, in order, in one round trip to the store
   * (one MGET of every key). Throws when the store cannot be read.
   */
  read(lookups: readonly OnlineLookup[]): Promise<OnlineFeatures[]>;
}
