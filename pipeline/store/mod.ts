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
  HistoryKey,
  HistoryQuery,
  RegisteredSource,
  RegisteredView,
  StoredEvent,
  TileRecord,
  ViewContribution,
  ViewRegistration,
} from "./port.ts";
export { historyKey } from "./port.ts";
export { PostgresFeatureStore, type PostgresFeatureStoreOptions } from "./postgres.ts";
export { PgliteFeatureStore } from "./pglite.ts";
export { storedGrains, tileDeltas, tilePlan } from "./_tiles.ts";
