/**
 * Fixtures of the feature-store tests: a throw-away Postgres database per
 * test on the services' Postgres, and event builders.
 *
 * @module
 */
import postgres from "postgres";
import type { StoredEvent } from "../../pipeline/store/port.ts";

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

/** A stored event for store tests. */
export function storedEvent(
  id: string,
  entityId: string,
  timeMs: number,
  amount = 10,
  category = "grocery",
): StoredEvent {
  return {
    eventId: id,
    entityId,
    timeMs,
    amount,
    category,
    payload: {
      event_id: id,
      user_id: entityId,
      amount,
      timestamp: new Date(timeMs).toISOString(),
      merchant_category: category,
    },
    acceptedAtMs: timeMs,
  };
}
