/**
 * `UpstashRegistryStore`: the `RegistryStore` port over `@upstash/redis`
 * (Upstash, or the project's REST gateway in front of Redis). The pointer's
 * compare-and-set is one Lua script, so it is atomic on the server.
 *
 * @module
 */
import { Redis } from "@upstash/redis";
import { RegistryError } from "../errors.ts";
import type { RegistryStore } from "./port.ts";

/** The part of an `@upstash/redis` client this store uses. */
export type StoreRedis = Pick<
  Redis,
  "get" | "set" | "eval" | "hgetall" | "pipeline" | "expire" | "persist" | "exists"
>;

/** The pointer's compare-and-set (Lua), also on the gateway's allow-list of scripts. */
export const POINTER_CAS_SCRIPT = `local cur = redis.call('GET', KEYS[1])
if cur == false then cur = '' end
if cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0`;

/** Builds a client with raw strings (no JSON decoding) and no telemetry. */
export function upstashRedis(url: string, token: string): Redis {
  return new Redis({ url, token, automaticDeserialization: false, enableTelemetry: false });
}

/** A registry store over Upstash-compatible Redis. */
export class UpstashRegistryStore implements RegistryStore {
  readonly #redis: StoreRedis;

  constructor(redis: StoreRedis) {
    this.#redis = redis;
  }

  async get(key: string): Promise<string | null> {
    const value = await this.#call("GET", key, () => this.#redis.get<string>(key));
    return value === null || value === undefined ? null : String(value);
  }

  async setIfAbsent(key: string, value: string): Promise<boolean> {
    const answer = await this.#call("SET NX", key, () => this.#redis.set(key, value, { nx: true }));
    return answer === "OK";
  }

  async compareAndSet(key: string, expected: string | null, next: string): Promise<boolean> {
    const answer = await this.#call(
      "EVAL",
      key,
      () => this.#redis.eval(POINTER_CAS_SCRIPT, [key], [expected ?? "", next]),
    );
    return Number(answer) === 1;
  }

  async expire(key: string, seconds: number): Promise<void> {
    await this.#call("EXPIRE", key, () => this.#redis.expire(key, seconds));
  }

  async persist(key: string): Promise<boolean> {
    await this.#call("PERSIST", key, () => this.#redis.persist(key));
    return await this.#call("EXISTS", key, () => this.#redis.exists(key)) === 1;
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const value = await this.#call("HGETALL", key, () => this.#redis.hgetall(key));
    return toStrings(value);
  }

  async hgetallMany(keys: string[]): Promise<Record<string, string>[]> {
    if (keys.length === 0) return [];
    const p = this.#redis.pipeline();
    for (const key of keys) p.hgetall(key);
    const values = await this.#call("HGETALL", keys[0], () => p.exec());
    return (values as unknown[]).map(toStrings);
  }

  async #call<T>(command: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new RegistryError(
        "publish_failed",
        `Cannot run ${command} on '${key}' in Redis: ${reason}`,
        { cause },
      );
    }
  }
}

function toStrings(value: unknown): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (Array.isArray(value)) {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < value.length; i += 2) out[String(value[i])] = String(value[i + 1]);
    return out;
  }
  return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, String(v)]));
}
