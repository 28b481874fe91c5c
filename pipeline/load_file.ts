/**
 * Loading a JSONL file of events through `processBatch`, optionally
 * rebasing timestamps so the newest event is now (the demo events are from
 * early 2026: without it every window would be empty).
 *
 * @module
 */
import { parseIsoUtc } from "../schemas/time.ts";
import type { BatchResult, FeaturePipeline, PipelineMessage } from "./feature_pipeline.ts";

/** Totals of a load. */
export interface LoadTotals {
  accepted: number;
  duplicate: number;
  dead_lettered: number;
  /** Milliseconds added to every timestamp (0 without rebase). */
  shiftMs: number;
}

/** Options of {@linkcode loadJsonl}. */
export interface LoadJsonlOptions {
  /** Shift timestamps so the newest parseable one is `nowMs`. */
  rebase?: boolean;
  nowMs?: number;
  /** Messages per batch. Default 1000. */
  batchSize?: number;
  /** Metadata stored with dead letters. */
  source?: string;
  onBatch?: (result: BatchResult, totals: LoadTotals) => void;
}

/**
 * Shifts the `timestamp` of each JSON line so the newest is `nowMs`; lines
 * that are not JSON objects with a parseable timestamp are kept unchanged.
 */
export function rebaseLines(lines: readonly string[], nowMs: number): {
  lines: string[];
  shiftMs: number;
} {
  const parsed = lines.map((line) => {
    try {
      const v = JSON.parse(line);
      const t = typeof v?.timestamp === "string" ? parseIsoUtc(v.timestamp) : null;
      return t === null ? null : { v, t };
    } catch {
      return null;
    }
  });
  let newest = -Infinity;
  for (const p of parsed) if (p && p.t > newest) newest = p.t;
  if (newest === -Infinity) return { lines: [...lines], shiftMs: 0 };
  // Whole seconds keep the shifted timestamps as readable as the originals.
  const shiftMs = Math.floor((nowMs - newest) / 1000) * 1000;
  return {
    shiftMs,
    lines: lines.map((line, i) => {
      const p = parsed[i];
      if (!p) return line;
      return JSON.stringify({ ...p.v, timestamp: new Date(p.t + shiftMs).toISOString() });
    }),
  };
}

/** Loads JSONL text through the pipeline in batches and returns the totals. */
export async function loadJsonl(
  pipeline: Pick<FeaturePipeline, "processBatch">,
  text: string,
  options: LoadJsonlOptions = {},
): Promise<LoadTotals> {
  let lines = text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
  let shiftMs = 0;
  if (options.rebase) {
    ({ lines, shiftMs } = rebaseLines(lines, options.nowMs ?? Date.now()));
  }
  const totals: LoadTotals = { accepted: 0, duplicate: 0, dead_lettered: 0, shiftMs };
  const size = options.batchSize ?? 1000;
  const meta = options.source ? { source: options.source } : undefined;
  for (let i = 0; i < lines.length; i += size) {
    const batch: PipelineMessage[] = lines.slice(i, i + size).map((payload, j) => ({
      payload,
      meta: meta && { ...meta, line: String(i + j + 1) },
    }));
    const r = await pipeline.processBatch(batch);
    totals.accepted += r.accepted;
    totals.duplicate += r.duplicate;
    totals.dead_lettered += r.dead_lettered;
    options.onBatch?.(r, totals);
  }
  return totals;
}
