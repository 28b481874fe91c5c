/**
 * Runs the `FeatureStore` contract against `PgliteFeatureStore` in memory.
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
