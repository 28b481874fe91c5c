/**
 * The ingest half of the demo: the run's streams, one worker process per
 * stream, the events produced, and the wait until every event is counted
 * once in Postgres, every invalid message is a dead letter, and Redis holds
 * the same features Postgres computes.
 *
 * @module
 */
import postgres from "postgres";
import type { FeatureRuntime } from "../../../pipeline/mod.ts";
import { type DemoSource, type DemoStream, SOURCES } from "./use_case.ts";
import type { DemoWorker, WorkerCounts } from "./workers.ts";

/** What the workers and the stores show after ingestion. */
export interface IngestOutcome {
  /** Messages produced per stream (valid + duplicates + invalid). */
  produced: Record<DemoSource, number>;
  /** What each worker counted (`ingest_messages_total`). */
  perSource: Record<DemoSource, WorkerCounts>;
  totals: WorkerCounts;
  expected: WorkerCounts;
  /** Events of the run stored in Postgres (`events`). */
  storedEvents: number;
  /** Dead letters of the run in Postgres, by stream and by reason. */
  deadLetters: { source: string; reason: string }[];
  /** Milliseconds from the first message produced to the last one counted. */
  ms: number;
}

/** Sums worker counts. */
export function sumCounts(list: WorkerCounts[]): WorkerCounts {
  return list.reduce(
    (s, c) => ({
      accepted: s.accepted + c.accepted,
      duplicate: s.duplicate + c.duplicate,
      dead_lettered: s.dead_lettered + c.dead_lettered,
    }),
    { accepted: 0, duplicate: 0, dead_lettered: 0 },
  );
}

/** Polls the workers until their counts reach `expected`; throws with the last counts on timeout. */
export async function waitForCounts(
  workers: DemoWorker[],
  expected: WorkerCounts,
  timeoutMs: number,
): Promise<Record<DemoSource, WorkerCounts>> {
  const end = Date.now() + timeoutMs;
  let last: WorkerCounts[] = [];
  while (Date.now() < end) {
    for (const w of workers) {
      const code = await Promise.race([w.exited, Promise.resolve(null)]);
      if (code !== null) {
        throw new Error(`Worker ${w.source} exited with code ${code}: ${w.logs().slice(-600)}`);
      }
    }
    last = await Promise.all(workers.map((w) => w.counts()));
    const sum = sumCounts(last);
    if (
      sum.accepted >= expected.accepted && sum.duplicate >= expected.duplicate &&
      sum.dead_lettered >= expected.dead_lettered
    ) {
      return Object.fromEntries(workers.map((w, i) => [w.source, last[i]])) as Record<
        DemoSource,
        WorkerCounts
      >;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const detail = workers.map((w, i) => `${w.source} ${JSON.stringify(last[i] ?? {})}`).join(", ");
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${JSON.stringify(expected)}: ${detail}`,
  );
}

/** Counts the run's events stored for `source` and its dead letters in Postgres. */
export async function storedOutcome(
  databaseUrl: string,
  source: string,
  runId: string,
  since: Date,
): Promise<{ storedEvents: number; deadLetters: { source: string; reason: string }[] }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [{ n }] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM events
      WHERE source = ${source} AND event_id LIKE ${"%." + runId}`;
    // The run id is inside every invalid payload, even the bytes that are not UTF-8.
    const rows = await sql<{ source: string | null; reason: string }[]>`
      SELECT meta->>'source' AS source, reason FROM dead_letters
      WHERE created_at >= ${since}
        AND position(convert_to(${runId}, 'UTF8') in decode(payload_base64, 'base64')) > 0
      ORDER BY id`;
    return {
      storedEvents: n,
      deadLetters: rows.map((r) => ({ source: r.source ?? "?", reason: r.reason })),
    };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Online and offline values compared, with the entities by type and the values that differ. */
export interface OnlineComparison {
  /** Entities compared, by entity type. */
  entities: Record<string, number>;
  /** Feature values compared. */
  compared: number;
  mismatches: string[];
}

/**
 * Online (Redis) and offline (Postgres) features of every entity of every
 * type (every view of the type), compared as of `asOfMs`.
 */
export async function compareOnlineOffline(
  runtime: FeatureRuntime,
  entities: Record<string, readonly string[]>,
  asOfMs: number,
): Promise<OnlineComparison> {
  const mismatches: string[] = [];
  let compared = 0;
  for (const [type, ids] of Object.entries(entities)) {
    for (let i = 0; i < ids.length; i += 25) {
      await Promise.all(
        ids.slice(i, i + 25).map(async (id) => {
          const [online, offline] = await Promise.all([
            runtime.pipeline.getOnlineFeatures(type, id, asOfMs),
            runtime.pipeline.getOfflineFeatures(type, id, asOfMs),
          ]);
          for (const [name, b] of Object.entries(offline.features)) {
            const a = online.features[name];
            compared++;
            if (a === undefined || Math.abs(a - b) > 1e-6 * Math.max(1, Math.abs(b))) {
              mismatches.push(`${type} ${id} ${name}: redis ${a}, postgres ${b}`);
            }
          }
        }),
      );
    }
  }
  const counts = Object.fromEntries(Object.entries(entities).map(([t, ids]) => [t, ids.length]));
  return { entities: counts, compared, mismatches };
}

/** The counts the workers must reach for `stream`. */
export function expectedCounts(stream: DemoStream): WorkerCounts {
  return {
    accepted: stream.events.length,
    duplicate: stream.duplicates,
    dead_lettered: stream.invalid.length,
  };
}

/** Messages per stream. */
export function producedCounts(stream: DemoStream): Record<DemoSource, number> {
  return Object.fromEntries(SOURCES.map((s) => [s, stream.records[s].length])) as Record<
    DemoSource,
    number
  >;
}
