/**
 * Runs the `FeatureStore` contract against `PgliteFeatureStore` in memory,
 * with the default tile sizes and with every tile size kept.
 *
 * @module
 */
import { PgliteFeatureStore } from "../../pipeline/store/pglite.ts";
import { featureStoreContract } from "./feature_store_contract.ts";

featureStoreContract("PgliteFeatureStore", async () => {
  const store = new PgliteFeatureStore();
  await store.migrate();
  return { store, close: () => store.close() };
});

// The same contract with every tile size kept (`FEATURES_MIN_TILE_MS=0`).
featureStoreContract("PgliteFeatureStore (minTileMs 0)", async () => {
  const store = new PgliteFeatureStore(undefined, { minTileMs: 0 });
  await store.migrate();
  return { store, close: () => store.close() };
});
