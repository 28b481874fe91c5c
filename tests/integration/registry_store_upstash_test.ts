/**
 * Runs the `RegistryStore` contract against `UpstashRegistryStore` on real
 * Redis behind the project's Upstash gateway.
 *
 * @module
 */
import { upstashRedis, UpstashRegistryStore } from "../../registry/store/upstash.ts";
import { serviceEnv } from "../_services.ts";
import { registryStoreContract } from "../contracts/model_registry_store_contract.ts";

registryStoreContract("UpstashRegistryStore", async () => {
  const env = await serviceEnv("gateway");
  const redis = upstashRedis(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_REDIS_REST_TOKEN);
  return {
    store: new UpstashRegistryStore(redis),
    hincrby: async (key, fields) => {
      const p = redis.pipeline();
      for (const [field, by] of Object.entries(fields)) p.hincrby(key, field, by);
      p.expire(key, 600);
      await p.exec();
    },
    close: () => Promise.resolve(),
  };
});
