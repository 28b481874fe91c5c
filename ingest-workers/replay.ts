/**
 * File replay: streams a JSONL file to any {@linkcode EventProducer} keyed
 * by entity (the partition, shard or ordering key), optionally at a fixed
 * rate and with event times shifted so the newest event is "now".
 *
 * @module
 */
import { readLines } from "../pipeline/load_file.ts";
import { parseIsoUtc } from "../schemas/time.ts";
import { sleep } from "./_delivery.ts";
import type { EventProducer, ProducerRecord } from "./port.ts";

/** Options of {@linkcode replayFile}. */
export interface ReplayOptions {
  file: string;
  producer: EventProducer;
  /** Events per second; unlimited when absent. */
  ratePerSec?: number;
  /** Shift every timestamp by the same amount so the newest one is `nowMs`. */
  rebaseTime?: boolean;
  /** Records per send. Default 500. */
  batchSize?: number;
  /** Called after every send and at the end. */
  onProgress?: (p: ReplayProgress) => void;
  signal?: AbortSignal;
  nowMs?: number;
  /**
   * The record key of an event: its entity, so one entity's events stay in
   * order. Default its `user_id` (the fraud example's transactions).
   */
  keyOf?: (event: Record<string, unknown>) => string | undefined;
  /** The field holding the event time. Default `timestamp`. */
  timestampField?: string;
}

/** Progress of a replay. */
export interface ReplayProgress {
  sent: number;
  /** Bytes of the file read so far. */
  bytes: number;
  seconds: number;
  ratePerSec: number;
  done: boolean;
}

const encoder = new TextEncoder();

/** Sends every line of `options.file`; resolves with the final progress. */
export async function replayFile(options: ReplayOptions): Promise<ReplayProgress> {
  const field = options.timestampField ?? "timestamp";
  const keyOf = options.keyOf ?? ((e) => (typeof e.user_id === "string" ? e.user_id : undefined));
  const shiftMs = options.rebaseTime
    ? await rebaseShift(options.file, options.nowMs ?? Date.now(), field)
    : 0;
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 500, rateBatch(options.ratePerSec)));
  const started = performance.now();
  let sent = 0;
  let bytes = 0;
  let batch: ProducerRecord[] = [];
  const report = (done: boolean) => {
    const seconds = (performance.now() - started) / 1000;
    options.onProgress?.({
      sent,
      bytes,
      seconds,
      ratePerSec: seconds > 0 ? sent / seconds : 0,
      done,
    });
  };
  const flush = async () => {
    if (batch.length === 0) return;
    await options.producer.send(batch);
    sent += batch.length;
    batch = [];
    if (options.ratePerSec) {
      // Pace against the schedule since the start, so short stalls are caught up.
      const due = started + (sent / options.ratePerSec) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait, options.signal);
    }
    report(false);
  };
  for await (const line of readLines(options.file)) {
    if (options.signal?.aborted) break;
    bytes += line.length + 1;
    batch.push(toRecord(line, shiftMs, keyOf, field));
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  const final = {
    sent,
    bytes,
    seconds: (performance.now() - started) / 1000,
    ratePerSec: 0,
    done: true,
  };
  final.ratePerSec = final.seconds > 0 ? sent / final.seconds : 0;
  options.onProgress?.(final);
  return final;
}

function rateBatch(rate?: number): number {
  return rate ? Math.max(1, Math.floor(rate / 20)) : Number.MAX_SAFE_INTEGER;
}

/** Keyed by entity; lines that do not parse go out unchanged (the pipeline dead-letters them). */
function toRecord(
  line: Uint8Array,
  shiftMs: number,
  keyOf: (event: Record<string, unknown>) => string | undefined,
  field: string,
): ProducerRecord {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(line));
  } catch {
    return { key: "unparseable", value: line };
  }
  if (event === null || typeof event !== "object") return { key: "unparseable", value: line };
  const key = keyOf(event) ?? "unknown";
  if (shiftMs === 0 || typeof event[field] !== "string") return { key, value: line };
  const t = parseIsoUtc(event[field] as string);
  if (t === null) return { key, value: line };
  event[field] = new Date(t + shiftMs).toISOString();
  return { key, value: encoder.encode(JSON.stringify(event)) };
}

async function rebaseShift(file: string, nowMs: number, field: string): Promise<number> {
  let max = -Infinity;
  const decoder = new TextDecoder();
  for await (const line of readLines(file)) {
    let t: number | null = null;
    try {
      const v = JSON.parse(decoder.decode(line))?.[field];
      t = typeof v === "string" ? parseIsoUtc(v) : null;
    } catch {
      // not JSON: sent as is, dead-lettered by the pipeline
    }
    if (t !== null && t > max) max = t;
  }
  return Number.isFinite(max) ? nowMs - max : 0;
}
