/**
 * Runs the `RegistryStore` contract against `MemoryRegistryStore`.
 *
 * @module
 */
import { MemoryRegistryStore } from "../../registry/store/memory.ts";
import { registryStoreContract } from "./model_registry_store_contract.ts";

registryStoreContract("MemoryRegistryStore", () => {
  const store = new MemoryRegistryStore();
  return Promise.resolve({
    store,
    hincrby: (key, fields) => Promise.resolve(store.hincrby(key, fields)),
    close: () => Promise.resolve(),
  });
});
