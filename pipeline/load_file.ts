/**
 * Loading a JSONL file of events through `processBatch`, optionally
 * rebasing timestamps so the newest event is now (the demo events are from
 * early 2026: without it every window would be empty).
 *
 * @module
 */
import { parseIsoUtc } from "../schemas/time.ts";
import type { BatchResult, FeaturePipeline, PipelineMessage } from "./feature_pipeline.ts";
import { FeatureRequestError } from "./errors.ts";
import type { SourceDefinition } from "../schemas/definitions.ts";

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
  /** The repository source of the events. Default the repository's default source. */
  source?: string;
  /** Where they came from, stored with dead letters (`file:<path>`). */
  origin?: string;
  onBatch?: (result: BatchResult, totals: LoadTotals) => void;
}

/**
 * Shifts the timestamp field (default `timestamp`) of each JSON line so the
 * newest is `nowMs`; lines that are not JSON objects with a parseable
 * timestamp are kept unchanged.
 */
export function rebaseLines(lines: readonly string[], nowMs: number, field = "timestamp"): {
  lines: string[];
  shiftMs: number;
} {
  const parsed = lines.map((line) => {
    try {
      const v = JSON.parse(line);
      const t = typeof v?.[field] === "string" ? parseIsoUtc(v[field]) : null;
      return t === null ? null : { v, t };
    } catch {
      return null;
    }
  });
  let newest = -Infinity;
  for (const p of parsed) if (p && p.t > newest) newest = p.t;
  if (newest === -Infinity) return { lines: [...lines], shiftMs: 0 };
  const shiftMs = shiftTo(nowMs, newest);
  return {
    shiftMs,
    lines: lines.map((line, i) => {
      const p = parsed[i];
      if (!p) return line;
      return JSON.stringify({ ...p.v, [field]: new Date(p.t + shiftMs).toISOString() });
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
  pipeline: Pick<FeaturePipeline, "processBatch" | "repository">,
  path: string,
  options: LoadJsonlFileOptions = {},
): Promise<LoadTotals> {
  const source = loadSource(pipeline, options.source);
  let shiftMs = 0;
  if (options.rebase) {
    const decoder = new TextDecoder();
    let newest = -Infinity;
    for await (const line of readLines(path)) {
      const t = timestampOf(decoder.decode(line), source.timestamp);
      if (t !== null && t > newest) newest = t;
    }
    if (newest !== -Infinity) shiftMs = shiftTo(options.nowMs ?? Date.now(), newest);
  }
  let bytes = 0;
  return await loadLines(pipeline, source, counted(readLines(path)), shiftMs, {
    ...options,
    onBatch: (_, totals, lines) => options.onProgress?.(bytes, lines, totals),
  });
  async function* counted(lines: AsyncIterable<Uint8Array>) {
    for await (const line of lines) {
      bytes += line.length + 1;
      yield line;
    }
  }
}

/** Loads JSONL text through the pipeline in batches and returns the totals. */
export async function loadJsonl(
  pipeline: Pick<FeaturePipeline, "processBatch" | "repository">,
  text: string,
  options: LoadJsonlOptions = {},
): Promise<LoadTotals> {
  const source = loadSource(pipeline, options.source);
  let lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  let shiftMs = 0;
  if (options.rebase) {
    ({ lines, shiftMs } = rebaseLines(lines, options.nowMs ?? Date.now(), source.timestamp));
  }
  // The lines are shifted already: the loop moves nothing more.
  return { ...await loadLines(pipeline, source, lines, 0, options), shiftMs };
}

/** The repository source events are loaded into (default the repository's default source). */
function loadSource(
  pipeline: Pick<FeaturePipeline, "repository">,
  name: string | undefined,
): SourceDefinition {
  const repository = pipeline.repository;
  const source = repository.source(name ?? repository.defaultSource.name);
  if (!source) {
    throw new FeatureRequestError(
      `Cannot load events into source '${name}': repository '${repository.name}' has ` +
        repository.sources.map((s) => s.name).join(", "),
    );
  }
  return source;
}

/**
 * The one loading loop: batches of non-blank lines (numbered from 1 as in
 * the file, so a dead letter names its line), each line's timestamp moved by
 * `shiftMs` when not 0.
 */
async function loadLines(
  pipeline: Pick<FeaturePipeline, "processBatch">,
  source: SourceDefinition,
  lines: Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>,
  shiftMs: number,
  options: Omit<LoadJsonlOptions, "onBatch"> & {
    onBatch?: (result: BatchResult, totals: LoadTotals, lines: number) => void;
  },
): Promise<LoadTotals> {
  const decoder = new TextDecoder();
  const totals: LoadTotals = { accepted: 0, duplicate: 0, dead_lettered: 0, shiftMs };
  const size = options.batchSize ?? 1000;
  const origin = options.origin;
  let batch: PipelineMessage[] = [];
  let lineNo = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await pipeline.processBatch(batch);
    totals.accepted += r.accepted;
    totals.duplicate += r.duplicate;
    totals.dead_lettered += r.dead_lettered;
    batch = [];
    options.onBatch?.(r, totals, lineNo);
  };
  for await (const raw of lines) {
    lineNo++;
    if (isBlank(raw)) continue;
    let payload = raw;
    if (shiftMs !== 0) {
      const text = typeof raw === "string" ? raw : decoder.decode(raw);
      payload = shifted(text, shiftMs, source.timestamp) ?? raw;
    }
    batch.push({
      payload,
      source: source.name,
      meta: origin === undefined ? undefined : { origin, line: String(lineNo) },
    });
    if (batch.length >= size) await flush();
  }
  await flush();
  return totals;
}

function isBlank(line: Uint8Array | string): boolean {
  if (typeof line === "string") return line.trim() === "";
  return line.every((b) => b === 0x20 || b === 0x09);
}

/** Whole seconds keep the shifted timestamps as readable as the originals. */
function shiftTo(nowMs: number, newest: number): number {
  return Math.floor((nowMs - newest) / 1000) * 1000;
}

function timestampOf(line: string, field: string): number | null {
  try {
    const v = JSON.parse(line);
    return typeof v?.[field] === "string" ? parseIsoUtc(v[field]) : null;
  } catch {
    return null;
  }
}

/** The line with its timestamp moved by `shiftMs`, or null when it has none to move. */
function shifted(line: string, shiftMs: number, field: string): string | null {
  try {
    const v = JSON.parse(line);
    const t = typeof v?.[field] === "string" ? parseIsoUtc(v[field]) : null;
    return t === null
      ? null
      : JSON.stringify({ ...v, [field]: new Date(t + shiftMs).toISOString() });
  } catch {
    return null;
  }
}
