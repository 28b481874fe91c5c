/**
 * A stream of the sensors example for the routing tests: readings of three
 * devices at two sites (absent and null values, some hours old, some sent
 * twice), one transaction of the fraud source among them, and the checks of
 * what must come of it: every device's and every site's features, online
 * and offline, equal to the independent reference of the window rule, and
 * the run's events and dead letters as Postgres holds them.
 *
 * @module
 */
import type postgres from "postgres";
import type { FeatureRepository } from "../../pipeline/mod.ts";
import type { ProducerRecord } from "../../ingest-workers/port.ts";
import type { FeatureReader } from "../support/ingest.ts";
import {
  assertFeaturesClose,
  referenceFeatures,
  type RefEvent,
} from "../support/window_reference.ts";

/** What a run sends and what it must lead to. */
export interface SensorStream {
  /** Every message in order: readings, their duplicates and the fraud transaction. */
  records: ProducerRecord[];
  /** The unique readings. */
  readings: RefEvent[];
  /** Messages that repeat a reading. */
  duplicates: number;
  /** A valid event of the fraud source (`transactions`), not a reading. */
  transaction: Record<string, unknown>;
}

/**
 * `n` readings of the devices `<runId>-d0`, `-d1` (site `<runId>-s0`) and
 * `-d2` (site `<runId>-s1`), event ids `<runId>-r<i>`, before `asOfMs`:
 * most in the last 50 minutes, every tenth 2 to 3 hours earlier (only the
 * 24 h windows see those). Every ninth is sent again.
 */
export function makeSensorStream(runId: string, asOfMs: number, n = 150): SensorStream {
  const records: ProducerRecord[] = [];
  const readings: RefEvent[] = [];
  let duplicates = 0;
  const transaction = {
    event_id: `${runId}-txn`,
    user_id: `${runId}-user`,
    amount: 42.5,
    timestamp: new Date(asOfMs - 90_000).toISOString(),
    merchant_category: "grocery",
    payment_method: "credit_card",
  };
  for (let i = 0; i < n; i++) {
    const device = i % 3;
    const timeMs = i % 10 === 9
      ? asOfMs - 2 * 3_600_000 - ((i * 7919) % 3_600_000)
      : asOfMs - 60_000 - ((i * 7919) % (50 * 60_000));
    const event: Record<string, unknown> = {
      event_id: `${runId}-r${i}`,
      device_id: `${runId}-d${device}`,
      site_id: `${runId}-s${device < 2 ? 0 : 1}`,
      timestamp: new Date(timeMs).toISOString(),
    };
    // Absent and null values: each is skipped by its own aggregates, never counted as 0.
    if (i % 11 !== 0) event.temperature = i % 7 === 0 ? null : 40 + ((i * 13) % 300) / 10;
    if (i % 5 !== 0) event.vibration = 2 + (i % 17) / 10;
    event.pressure = i % 4 === 0 && i % 5 !== 0 ? null : 100 + i;
    readings.push({ timeMs, event });
    const value = JSON.stringify(event);
    records.push({ key: String(event.device_id), value });
    if (i % 9 === 4) {
      records.push({ key: String(event.device_id), value });
      duplicates++;
    }
    if (i === Math.floor(n / 2)) {
      records.push({ key: transaction.user_id, value: JSON.stringify(transaction) });
    }
  }
  return { records, readings, duplicates, transaction };
}

/**
 * Asserts that every device and every site of `stream` has, online (Redis)
 * and offline (Postgres) as of `asOfMs`, exactly the features the reference
 * computes from its readings; returns how many (entity, feature) values
 * were compared.
 */
export async function assertSensorFeatures(
  reader: FeatureReader,
  repo: FeatureRepository,
  stream: SensorStream,
  asOfMs: number,
): Promise<number> {
  let compared = 0;
  for (const view of repo.views) {
    const key = view.keys[0];
    const ids = [...new Set(stream.readings.map((r) => String(r.event[key])))];
    for (const id of ids) {
      const want = referenceFeatures(
        view,
        stream.readings.filter((r) => r.event[key] === id),
        asOfMs,
      );
      const online = await reader.getOnlineFeatures(view.entity, id, asOfMs);
      const offline = await reader.getOfflineFeatures(view.entity, id, asOfMs);
      assertFeaturesClose(online.features, want, `${view.entity} ${id} in Redis:`);
      assertFeaturesClose(offline.features, want, `${view.entity} ${id} in Postgres:`);
      compared += Object.keys(want).length;
    }
  }
  return compared;
}

/** The run's stored events per feature source (event ids `<runId>-…`). */
export async function storedBySource(
  sql: postgres.Sql,
  runId: string,
): Promise<Record<string, number>> {
  const rows = await sql<{ source: string; n: number }[]>`
    SELECT source, count(*)::int AS n FROM events
    WHERE event_id LIKE ${runId + "-%"} GROUP BY source`;
  return Object.fromEntries(rows.map((r) => [r.source, r.n]));
}

/** A dead letter of the run as Postgres holds it. */
export interface StoredDeadLetter {
  /** The feature source the message was sent to. */
  source: string | null;
  reason: string;
  /** Where it came from: `source` (kafka, kinesis, pubsub, http), topic, stream, ... */
  meta: Record<string, string>;
}

/** Dead letters whose payload contains `runId`. */
export async function deadLettersWith(
  sql: postgres.Sql,
  runId: string,
): Promise<StoredDeadLetter[]> {
  return await sql<StoredDeadLetter[]>`
    SELECT source, reason, meta FROM dead_letters
    WHERE position(convert_to(${runId}, 'UTF8') in decode(payload_base64, 'base64')) > 0
    ORDER BY id`;
}
