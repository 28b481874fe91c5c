/**
 * The feature store: the `FeatureStore` port, its Postgres and PGlite
 * adapters (one drizzle schema, committed migrations applied at start).
 *
 * @module
 */
export type {
  DeadLetterInput,
  DeadLetterRow,
  FeatureStore,
  HistoryQuery,
  StoredEvent,
  TileRecord,
  ViewRegistration,
} from "./port.ts";
export { PostgresFeatureStore, type PostgresFeatureStoreOptions } from "./postgres.ts";
export { PgliteFeatureStore } from "./pglite.ts";
export { grainsOfView, storedGrains, tilePlan } from "./_tiles.ts";
