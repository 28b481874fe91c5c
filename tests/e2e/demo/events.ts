/**
 * The demo's event stream: the reference's sample events rebased so the
 * newest is now, made unique to this run (event and user ids carry the run
 * id, so repeated runs never collide in Postgres or Redis), spread over the
 * three streams, plus cross-stream duplicates and invalid messages whose
 * fate the demo checks.
 *
 * @module
 */
import { rebaseLines } from "../../../pipeline/load_file.ts";
import { loadDemoEvents } from "../../../pipeline/examples/fraud/training.ts";

/** The streams the demo feeds. */
export const SOURCES = ["kafka", "kinesis", "pubsub"] as const;
/** One of {@linkcode SOURCES}. */
export type DemoSource = typeof SOURCES[number];

/** A valid demo event as produced (ids already made unique to the run). */
export interface DemoEvent {
  event_id: string;
  user_id: string;
  amount: number;
  timestamp: string;
  merchant_category?: string;
  payment_method?: string;
  [field: string]: unknown;
}

/** One message to produce on one stream. */
export interface DemoRecord {
  source: DemoSource;
  key: string;
  value: Uint8Array | string;
}

/** What the demo produces and what it must lead to. */
export interface DemoStream {
  /** Unique valid events (each is produced once, some twice). */
  events: DemoEvent[];
  /** Every message, per stream, in production order. */
  records: Record<DemoSource, DemoRecord[]>;
  /** Messages that repeat an event id already produced (on another stream). */
  duplicates: number;
  /** Invalid messages (each must become exactly one dead letter), with why they are invalid. */
  invalid: { source: DemoSource; kind: string }[];
  /** Distinct users of the run. */
  users: string[];
  /** Milliseconds added to the sample timestamps. */
  shiftMs: number;
}

const encoder = new TextEncoder();

/** Invalid payloads: each contains the run id so its dead letter can be found again. */
function invalidPayloads(runId: string, nowMs: number): { kind: string; value: Uint8Array }[] {
  let n = 0;
  const event = (over: Record<string, unknown>) =>
    encoder.encode(JSON.stringify({
      event_id: `bad-${runId}-${n++}`,
      user_id: `demo-${runId}`,
      amount: 10,
      timestamp: new Date(nowMs - 60_000).toISOString(),
      ...over,
    }));
  return [
    { kind: "truncated JSON", value: encoder.encode(`{"event_id":"bad-${runId}-trunc","user_`) },
    {
      kind: "not UTF-8",
      value: new Uint8Array([0xff, 0xfe, ...encoder.encode(`bad-${runId}-bytes`), 0xc3, 0x28]),
    },
    { kind: "amount is a string", value: event({ amount: "12.50" }) },
    { kind: "negative amount", value: event({ amount: -5 }) },
    {
      kind: "timestamp 1 h in the future",
      value: event({ timestamp: new Date(nowMs + 3_600_000).toISOString() }),
    },
    { kind: "missing user_id", value: event({ user_id: undefined }) },
    { kind: "risk_score above 1", value: event({ risk_score: 7 }) },
    { kind: "unparseable timestamp", value: event({ timestamp: "yesterday" }) },
    { kind: "JSON array instead of an object", value: encoder.encode(`["bad-${runId}-array"]`) },
  ];
}

/**
 * Builds the run's stream from the sample events: every valid event goes to
 * one stream (round robin, so each user's history arrives through all three
 * and the pipeline must merge them), every `dupEvery`-th is sent again on the
 * next stream, and the invalid messages are spread over the three.
 */
export async function buildDemoStream(
  runId: string,
  nowMs: number,
  options: { dupEvery?: number; sample?: Record<string, unknown>[] } = {},
): Promise<DemoStream> {
  const sample = options.sample ?? await loadDemoEvents();
  const { lines, shiftMs } = rebaseLines(sample.map((e) => JSON.stringify(e)), nowMs);
  const events: DemoEvent[] = lines.map((l) => {
    const e = JSON.parse(l) as DemoEvent;
    return { ...e, event_id: `${e.event_id}.${runId}`, user_id: `${e.user_id}.${runId}` };
  });
  const records: DemoStream["records"] = { kafka: [], kinesis: [], pubsub: [] };
  const dupEvery = options.dupEvery ?? 35;
  let duplicates = 0;
  events.forEach((e, i) => {
    const value = JSON.stringify(e);
    records[SOURCES[i % 3]].push({ source: SOURCES[i % 3], key: e.user_id, value });
    if (i % dupEvery === dupEvery - 1) {
      const again = SOURCES[(i + 1) % 3];
      records[again].push({ source: again, key: e.user_id, value });
      duplicates++;
    }
  });
  const invalid = invalidPayloads(runId, nowMs).map((p, i) => {
    const source = SOURCES[i % 3];
    const list = records[source];
    // Put them in the middle of the stream: a bad message must not stop what follows.
    list.splice(Math.floor(list.length * (i + 1) / 10), 0, {
      source,
      key: `demo-${runId}`,
      value: p.value,
    });
    return { source, kind: p.kind };
  });
  return {
    events,
    records,
    duplicates,
    invalid,
    users: [...new Set(events.map((e) => e.user_id))],
    shiftMs,
  };
}
