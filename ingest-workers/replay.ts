/**
 * File replay: streams a JSONL file to any {@linkcode EventProducer} with
 * the user id as partition key, optionally at a fixed rate and with event
 * times shifted so the newest event is "now".
 *
 * @module
 */
import { readLines } from "../pipeline/load_file.ts";
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
  const shiftMs = options.rebaseTime
    ? await rebaseShift(options.file, options.nowMs ?? Date.now())
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
    batch.push(toRecord(line, shiftMs));
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

/** Keyed by `user_id`; lines that do not parse go out unchanged (the pipeline dead-letters them). */
function toRecord(line: Uint8Array, shiftMs: number): ProducerRecord {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(line));
  } catch {
    return { key: "unparseable", value: line };
  }
  const key = typeof event?.user_id === "string" ? event.user_id : "unknown";
  if (shiftMs === 0 || typeof event.timestamp !== "string") return { key, value: line };
  const t = Date.parse(event.timestamp);
  if (Number.isNaN(t)) return { key, value: line };
  event.timestamp = new Date(t + shiftMs).toISOString();
  return { key, value: encoder.encode(JSON.stringify(event)) };
}

async function rebaseShift(file: string, nowMs: number): Promise<number> {
  let max = -Infinity;
  const decoder = new TextDecoder();
  for await (const line of readLines(file)) {
    const m = decoder.decode(line).match(/"timestamp"\s*:\s*"([^"]+)"/);
    const t = m ? Date.parse(m[1]) : NaN;
    if (!Number.isNaN(t) && t > max) max = t;
  }
  return Number.isFinite(max) ? nowMs - max : 0;
}
