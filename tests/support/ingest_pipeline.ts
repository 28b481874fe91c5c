/**
 * A small in-memory pipeline for the workers' own tests: decodes UTF-8 and
 * JSON, validates with the shared event schema, dedupes by `event_id`, and
 * can be told to fail like a down database. Not used in production.
 *
 * @module
 */
import { loadExample } from "../../pipeline/definitions/load.ts";

const validator = loadExample("fraud").validator("transactions");
import { IngestRetryableError } from "../../ingest-workers/errors.ts";
import type {
  IngestPipeline,
  PipelineBatchResult,
  PipelineInput,
} from "../../ingest-workers/port.ts";

/** A dead letter as recorded by {@linkcode TestPipeline}. */
export interface TestDeadLetter {
  payload: Uint8Array;
  reason: string;
  meta?: Record<string, string>;
}

/** In-memory stand-in for `FeaturePipeline` with fault injection. */
export class TestPipeline implements IngestPipeline {
  /** Committed event ids in commit order. */
  readonly committed: string[] = [];
  readonly deadLetters: TestDeadLetter[] = [];
  readonly #seen = new Set<string>();
  /** While true, every call throws a retryable error (database down). */
  down = false;
  /** Throws a non-retryable error for batches holding an event with this id. */
  poisonId?: string;
  calls = 0;

  processBatch(messages: PipelineInput[]): Promise<PipelineBatchResult> {
    this.calls++;
    if (this.down) return Promise.reject(new IngestRetryableError("Cannot reach database: down"));
    const result: PipelineBatchResult = {
      accepted: 0,
      duplicate: 0,
      dead_lettered: 0,
      rejections: [],
    };
    const decoded = messages.map((m) => decode(m.payload));
    if (decoded.some((d) => typeof d !== "string" && d.event_id === this.poisonId)) {
      return Promise.reject(new Error(`Cannot process event '${this.poisonId}': boom`));
    }
    decoded.forEach((d, index) => {
      const checked = typeof d === "string" ? { reason: d } : validator.validate(d, Date.now());
      if ("reason" in checked) {
        result.dead_lettered++;
        result.rejections.push({ index, reason: checked.reason });
        this.deadLetters.push({ payload: bytes(messages[index].payload), reason: checked.reason });
      } else if (this.#seen.has(String(checked.event.event_id))) {
        result.duplicate++;
      } else {
        this.#seen.add(String(checked.event.event_id));
        this.committed.push(String(checked.event.event_id));
        result.accepted++;
      }
    });
    return Promise.resolve(result);
  }

  deadLetter(
    payload: Uint8Array | string,
    reason: string,
    meta?: Record<string, string>,
  ): Promise<void> {
    if (this.down) return Promise.reject(new IngestRetryableError("Cannot reach database: down"));
    this.deadLetters.push({ payload: bytes(payload), reason, meta });
    return Promise.resolve();
  }
}

function bytes(p: Uint8Array | string): Uint8Array {
  return typeof p === "string" ? new TextEncoder().encode(p) : p;
}

function decode(p: Uint8Array | string): { event_id?: unknown } | string {
  let text: string;
  try {
    text = typeof p === "string" ? p : new TextDecoder("utf-8", { fatal: true }).decode(p);
  } catch {
    return "Payload is not UTF-8";
  }
  try {
    const v = JSON.parse(text);
    return typeof v === "object" && v !== null ? v : "Payload is not a JSON object";
  } catch {
    return "Payload is not valid JSON";
  }
}

/** A valid event with id `id` for user `user`. */
export function testEvent(id: string, user = "user_1", amount = 10): string {
  return JSON.stringify({
    event_id: id,
    user_id: user,
    amount,
    timestamp: "2026-03-20T11:00:00+00:00",
    merchant_category: "grocery",
  });
}
