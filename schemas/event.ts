/**
 * The transaction event every source carries (shape of the reference's
 * `demo_events.jsonl`), and its validation rules.
 *
 * @module
 */
import { z } from "zod";
import { parseIsoUtc } from "./time.ts";

/** Largest accepted amount. */
export const MAX_AMOUNT = 1_000_000;
/** Default tolerance for timestamps ahead of the processing clock. */
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;

/** A raw transaction event as it arrives (extra fields are kept). */
export const TransactionEventSchema = z.looseObject({
  event_id: z.string().min(1).max(128),
  user_id: z.string().min(1),
  amount: z.number().finite().min(0).max(MAX_AMOUNT),
  timestamp: z.string().refine((s) => parseIsoUtc(s) !== null, {
    message: "Must be an ISO 8601 timestamp",
  }),
  merchant_category: z.string().max(64).nullish(),
  payment_method: z.string().max(64).nullish(),
  device_type: z.string().nullish(),
  location: z.looseObject({ country: z.string().nullish(), city: z.string().nullish() }).nullish(),
  risk_score: z.number().min(0).max(1).nullish(),
});

/** A raw transaction event that passed validation. */
export type TransactionEvent = z.infer<typeof TransactionEventSchema>;

/** A validated event with its parsed event time (epoch ms, UTC). */
export interface ValidEvent {
  event: TransactionEvent;
  /** Event time in epoch milliseconds. */
  timeMs: number;
}

/** Why an event was rejected; becomes a dead-letter row. */
export interface EventRejection {
  reason: string;
  /** Field paths with their problems. */
  issues: { path: string; message: string }[];
}

/** Options for {@linkcode validateEvent}. */
export interface ValidateEventOptions {
  /** Processing clock, epoch ms. */
  nowMs: number;
  /** How far ahead of `nowMs` a timestamp may be. Default 5 minutes. */
  maxFutureMs?: number;
}

/**
 * Validates one decoded JSON value as a transaction event.
 *
 * @example
 * ```ts
 * const r = validateEvent(JSON.parse(line), { nowMs: Date.now() });
 * if ("reason" in r) console.log(r.reason);
 * ```
 */
export function validateEvent(
  value: unknown,
  options: ValidateEventOptions,
): ValidEvent | EventRejection {
  const parsed = TransactionEventSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join(".") || "(root)",
      message: i.message,
    }));
    return { reason: `Invalid event: ${issues.map((i) => i.path).join(", ")}`, issues };
  }
  const timeMs = parseIsoUtc(parsed.data.timestamp)!;
  const maxFuture = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  if (timeMs > options.nowMs + maxFuture) {
    const message = `Timestamp is more than ${maxFuture} ms ahead of the processing clock`;
    return { reason: `Invalid event: timestamp`, issues: [{ path: "timestamp", message }] };
  }
  return { event: parsed.data, timeMs };
}
