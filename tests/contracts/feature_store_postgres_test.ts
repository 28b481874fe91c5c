/**
 * Runs the `FeatureStore` contract against `PostgresFeatureStore` on the
 * services' Postgres, in a throw-away database per test; plus the
 * unavailable-database case, which only a networked store has.
 *
 * @module
 */
import assert from "node:assert/strict";
import { PostgresFeatureStore } from "../../pipeline/store/postgres.ts";
import { RetryableError } from "../../pipeline/errors.ts";
import { serviceEnv } from "../_services.ts";
import { featureStoreContract } from "./feature_store_contract.ts";
import { createTempDatabase, storedEvent } from "./feature_store_fixtures.ts";

featureStoreContract("PostgresFeatureStore", async () => {
  const env = await serviceEnv("postgres");
  const db = await createTempDatabase(env.DATABASE_URL);
  const store = new PostgresFeatureStore(db.url);
  await store.migrate();
  return {
    store,
    close: async () => {
      await store.close();
      await db.drop();
    },
  };
});

Deno.test("PostgresFeatureStore throws RetryableError when Postgres is unreachable", async () => {
  const store = new PostgresFeatureStore("postgres://platform:platform@127.0.0.1:9/none", {
    connectTimeoutSeconds: 1,
  });
  try {
    await assert.rejects(
      () => store.writeBatch([storedEvent("a", "u1", 0)], []),
      RetryableError,
    );
    await assert.rejects(() => store.migrate(), RetryableError);
  } finally {
    await store.close();
  }
});
