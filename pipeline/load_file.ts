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

/** Yields the non-empty lines of a file as raw bytes (a trailing `\r` dropped), without loading it whole. */
export async function* readLines(file: string): AsyncGenerator<Uint8Array> {
  using f = await Deno.open(file);
  let rest = new Uint8Array(0);
  for await (const chunk of f.readable) {
    const buf = new Uint8Array(rest.length + chunk.length);
    buf.set(rest);
    buf.set(chunk, rest.length);
    let start = 0;
    for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, start)) {
      const line = stripCr(buf.subarray(start, i));
      if (line.length > 0) yield line;
      start = i + 1;
    }
    rest = buf.slice(start);
  }
  const last = stripCr(rest);
  if (last.length > 0) yield last;
}

function stripCr(b: Uint8Array): Uint8Array {
  return b.length > 0 && b[b.length - 1] === 0x0d ? b.subarray(0, b.length - 1) : b;
}

/** Options of {@linkcode loadJsonlFile}. */
export interface LoadJsonlFileOptions extends Omit<LoadJsonlOptions, "onBatch"> {
  /** Called after each batch with the bytes of the file read so far and the totals. */
  onProgress?: (bytesRead: number, lines: number, totals: LoadTotals) => void;
}

/**
 * Streams a JSONL file through the pipeline in batches: memory holds one
 * batch, not the file. With `rebase`, a first pass finds the newest
 * timestamp (as {@linkcode rebaseLines} does for text).
 */
export async function loadJsonlFile(
  pipeline: FeaturePipeline,
  path: string,
  options: LoadJsonlFileOptions = {},
): Promise<LoadTotals> {
  const decoder = new TextDecoder();
  let shiftMs = 0;
  if (options.rebase) {
    let newest = -Infinity;
    for await (const line of readLines(path)) {
      const t = timestampOf(decoder.decode(line));
      if (t !== null && t > newest) newest = t;
    }
    if (newest !== -Infinity) {
      shiftMs = Math.floor(((options.nowMs ?? Date.now()) - newest) / 1000) * 1000;
    }
  }
  const totals: LoadTotals = { accepted: 0, duplicate: 0, dead_lettered: 0, shiftMs };
  const size = options.batchSize ?? 1000;
  const meta = options.source ? { source: options.source } : undefined;
  let batch: PipelineMessage[] = [];
  let lineNo = 0;
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await pipeline.processBatch(batch);
    totals.accepted += r.accepted;
    totals.duplicate += r.duplicate;
    totals.dead_lettered += r.dead_lettered;
    batch = [];
    options.onProgress?.(bytes, lineNo, totals);
  };
  for await (const raw of readLines(path)) {
    lineNo++;
    bytes += raw.length + 1;
    const blank = raw.every((b) => b === 0x20 || b === 0x09);
    if (blank) continue;
    let payload: Uint8Array | string = raw;
    if (shiftMs !== 0) payload = shifted(decoder.decode(raw), shiftMs) ?? raw;
    batch.push({ payload, meta: meta && { ...meta, line: String(lineNo) } });
    if (batch.length >= size) await flush();
  }
  await flush();
  return totals;
}

function timestampOf(line: string): number | null {
  try {
    const v = JSON.parse(line);
    return typeof v?.timestamp === "string" ? parseIsoUtc(v.timestamp) : null;
  } catch {
    return null;
  }
}

/** The line with its timestamp moved by `shiftMs`, or null when it has none to move. */
function shifted(line: string, shiftMs: number): string | null {
  try {
    const v = JSON.parse(line);
    const t = typeof v?.timestamp === "string" ? parseIsoUtc(v.timestamp) : null;
    return t === null
      ? null
      : JSON.stringify({ ...v, timestamp: new Date(t + shiftMs).toISOString() });
  } catch {
    return null;
  }
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
