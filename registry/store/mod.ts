/**
 * Where the registry publishes: the `RegistryStore` port and its adapters,
 * `MemoryRegistryStore` (embedded default) and `UpstashRegistryStore`.
 *
 * @module
 */
export type { RegistryStore } from "./port.ts";
export { MemoryRegistryStore } from "./memory.ts";
export {
  POINTER_CAS_SCRIPT,
  type StoreRedis,
  upstashRedis,
  UpstashRegistryStore,
} from "./upstash.ts";
