/**
 * Fixtures of the feature-store tests: a throw-away Postgres database per
 * test on the services' Postgres, and event builders.
 *
 * @module
 */
import postgres from "postgres";
import type { StoredEvent } from "../../pipeline/store/port.ts";
import { toStoredEvent } from "../../pipeline/feature_pipeline.ts";
import { ALL_VIEW, DEVICE_VIEW, FRAUD_VIEW, SITE_VIEW } from "../support/views.ts";

/** A temporary database and how to drop it. */
export interface TempDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database next to the one of `baseUrl` (the role must be able to CREATEDB). */
export async function createTempDatabase(baseUrl: string): Promise<TempDatabase> {
  const name = `features_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(baseUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** A fraud transaction as the store receives it (with its `user_transactions` contribution). */
export function storedEvent(
  id: string,
  entityId: string,
  timeMs: number,
  amount = 10,
  category = "grocery",
): StoredEvent {
  return toStoredEvent([FRAUD_VIEW], {
    source: "transactions",
    eventId: id,
    event: {
      event_id: id,
      user_id: entityId,
      amount,
      timestamp: new Date(timeMs).toISOString(),
      merchant_category: category,
    },
    timeMs,
    acceptedAtMs: timeMs,
  });
}

/** A sensor reading as the store receives it (device and site contributions). */
export function storedReading(
  id: string,
  device: string,
  site: string,
  timeMs: number,
  temperature: number | null,
): StoredEvent {
  return toStoredEvent([DEVICE_VIEW, SITE_VIEW], {
    source: "sensor_readings",
    eventId: id,
    event: {
      event_id: id,
      device_id: device,
      site_id: site,
      timestamp: new Date(timeMs).toISOString(),
      temperature,
    },
    timeMs,
    acceptedAtMs: timeMs,
  });
}

/** An event of the every-aggregate test view. */
export function storedThing(
  id: string,
  thing: string,
  timeMs: number,
  fields: Record<string, unknown>,
): StoredEvent {
  return toStoredEvent([ALL_VIEW], {
    source: "things",
    eventId: id,
    event: { event_id: id, thing_id: thing, ts: new Date(timeMs).toISOString(), ...fields },
    timeMs,
    acceptedAtMs: timeMs,
  });
}
