/**
 * What the end-to-end demo must know about one example (a feature
 * repository with its events and its model): how to build the run's stream
 * and its labels, which features the models read, which requests the edge
 * is asked and how the report words them. `fraud.ts`, `sensors.ts` and
 * `recommendations.ts` are the shipped use cases; the rest of this folder
 * is common to all.
 *
 * @module
 */
import type { FeatureRepository, LabelRow } from "../../../pipeline/mod.ts";

/** The streams the demo feeds. */
export const SOURCES = ["kafka", "kinesis", "pubsub"] as const;
/** One of {@linkcode SOURCES}. */
export type DemoSource = typeof SOURCES[number];

/** A valid event as produced (ids already made unique to the run). */
export interface DemoEvent {
  event_id: string;
  timestamp: string;
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
  /** Entity ids of the run by entity type (`user`; `device` and `site`; `user_category`...). */
  entities: Record<string, string[]>;
  /** The labelled events (every event, or e.g. only impressions), by event id at its own time, in time order. */
  labels: LabelRow[];
}

/** A request to `/predict`, named for the report. */
export interface DemoRequest {
  name: string;
  body: Record<string, unknown>;
}

/** A new event produced while the edge serves, to measure freshness. */
export interface FreshEvent {
  key: string;
  event: DemoEvent;
  /** Its entity ids by entity type: each must show the event in Redis. */
  entities: Record<string, string>;
  /** The `i`-th request about those entities (a new body every time: nothing cached). */
  request(i: number): Record<string, unknown>;
}

/** How the report words a use case. */
export interface DemoWording {
  /** What the valid events are (`sample events rebased to now`). */
  events: string;
  /** Why spreading them round robin matters. */
  spread: string;
  /** The positive class (`fraud`). */
  positive: string;
  /** What the newest event behind the online features is called (`last txn`). */
  newest: string;
  /** Features shown for each scored request. */
  shown: string[];
}

/** One example as the demo runs it. */
export interface DemoUseCase {
  /** The shipped example (`--example`) the workers load. */
  example: string;
  repository: FeatureRepository;
  /** The repository source the run's streams carry. */
  source: string;
  /** Prefix of the run's model name (`<model>_demo_<runId>`). */
  model: string;
  /** The inputs of both candidate models. */
  features: readonly string[];
  wording: DemoWording;
  /** The run's stream: events rebased so the newest is about `nowMs`, ids unique to `runId`. */
  buildStream(runId: string, nowMs: number): Promise<DemoStream>;
  /** Fixed requests (the reference's samples), scored after the promotion. */
  samples(model: string): Promise<DemoRequest[]>;
  /** Requests about the run's entities (window features from Redis), scored after the promotion. */
  byEntity(stream: DemoStream, model: string): DemoRequest[];
  /** `/rank` requests (a user and candidate items), scored after the promotion, if any. */
  rankRequests?(stream: DemoStream, model: string): DemoRequest[];
  /** The `i`-th request of the load and latency runs (a new body every time). */
  loadRequest(stream: DemoStream, model: string, i: number): Record<string, unknown>;
  /** The `k`-th new event (one per stream), sent on `source` at `timeMs`. */
  freshEvent(
    stream: DemoStream,
    model: string,
    k: number,
    source: DemoSource,
    timeMs: number,
  ): FreshEvent;
}

/**
 * Spreads `events` over the three streams round robin (so each entity's
 * history arrives through all three and the pipeline must merge them), sends
 * every `dupEvery`-th again on the next stream, and puts the invalid
 * messages in the middle of the streams (a bad message must not stop what
 * follows).
 */
export function spreadOverStreams(
  events: readonly DemoEvent[],
  keyOf: (e: DemoEvent) => string,
  invalid: readonly { kind: string; key: string; value: Uint8Array }[],
  dupEvery = 35,
): Pick<DemoStream, "records" | "duplicates" | "invalid"> {
  const records: DemoStream["records"] = { kafka: [], kinesis: [], pubsub: [] };
  let duplicates = 0;
  events.forEach((e, i) => {
    const value = JSON.stringify(e);
    const key = keyOf(e);
    records[SOURCES[i % 3]].push({ source: SOURCES[i % 3], key, value });
    if (i % dupEvery === dupEvery - 1) {
      const again = SOURCES[(i + 1) % 3];
      records[again].push({ source: again, key, value });
      duplicates++;
    }
  });
  const placed = invalid.map((p, i) => {
    const source = SOURCES[i % 3];
    const list = records[source];
    list.splice(Math.floor(list.length * (i + 1) / 10), 0, { source, key: p.key, value: p.value });
    return { source, kind: p.kind };
  });
  return { records, duplicates, invalid: placed };
}
