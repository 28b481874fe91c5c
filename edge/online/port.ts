/**
 * The `OnlineFeatureReader` port: windowed features of many entities of a
 * feature view, read in one round trip.
 *
 * @module
 */
import type { FeatureView } from "../../pipeline/features/mod.ts";

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
   * Features of `entityIds[i]` as of `asOfMs[i]`, in one round trip to the
   * store. Throws when the store cannot be read.
   */
  read(view: FeatureView, entityIds: string[], asOfMs: number[]): Promise<OnlineFeatures[]>;
}
