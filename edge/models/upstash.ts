/**
 * `UpstashPointerSource`: follows the model pointer the registry publishes
 * in Redis (`redisKeys.pointer(name)`, JSON `ModelPointer`) and reads the
 * content-addressed package blobs it references (`redis:<key>` locations,
 * base64 of the bytes) through `@upstash/redis`.
 *
 * The ONNX blob is verified against `sha256`; its manifest is the blob at
 * `redisKeys.blob(manifest_sha256)` (base64 of `manifest.json`), verified
 * against `manifest_sha256`.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import { ModelManifestSchema } from "../../schemas/manifest.ts";
import { type ModelPointer, ModelPointerSchema, redisKeys } from "../../schemas/pointer.ts";
import type { PackageRef } from "../../schemas/pointer.ts";
import type { ModelPackage } from "../../registry/port.ts";
import { EdgeError } from "../errors.ts";
import { sha256Hex } from "../_sha256.ts";
import type { ModelRoute, ModelSource } from "./port.ts";

/** The part of an `@upstash/redis` client this source uses. */
export type PointerRedis = Pick<Redis, "get" | "mget">;

/** A model source that follows Redis model pointers. */
export class UpstashPointerSource implements ModelSource {
  readonly kind = "pointer";
  readonly #redis: PointerRedis;
  readonly #names: string[];
  readonly #pointers = new Map<string, ModelPointer>();

  /** `models`: the names this edge serves (pointers are looked up by name). */
  constructor(redis: PointerRedis, models: string[]) {
    this.#redis = redis;
    this.#names = [...new Set(models)];
  }

  listModels(): Promise<string[]> {
    return Promise.resolve([...this.#names]);
  }

  async getRoute(name: string): Promise<ModelRoute> {
    const pointer = await this.#readPointer(name);
    const aliases: Record<string, string> = { champion: pointer.champion.version };
    if (pointer.challenger) aliases.challenger = pointer.challenger.version;
    const versions = [...new Set(Object.values(aliases))].sort((a, b) => Number(a) - Number(b));
    return { revision: String(pointer.revision), aliases, versions, traffic: pointer.traffic };
  }

  async getPackage(name: string, version: string): Promise<ModelPackage> {
    const pointer = this.#pointers.get(name) ?? await this.#readPointer(name);
    const ref = [pointer.champion, pointer.challenger].find((r) => r?.version === version);
    if (!ref) {
      throw new EdgeError(
        "version_not_found",
        `Version not published for model '${name}': ${version}`,
      );
    }
    const onnx = await this.#readBlob(name, ref.location, ref.sha256);
    const manifest = await this.#readManifest(name, ref);
    return { manifest: { ...manifest, name, version: ref.version }, onnx };
  }

  async #readPointer(name: string): Promise<ModelPointer> {
    let raw: unknown;
    try {
      raw = await this.#redis.get(redisKeys.pointer(name));
    } catch (cause) {
      throw new EdgeError("model_load_failed", `Cannot read the pointer of model '${name}'`, {
        cause,
      });
    }
    if (raw === null || raw === undefined) {
      throw new EdgeError("model_not_found", `Model not found '${name}'`);
    }
    const parsed = ModelPointerSchema.safeParse(typeof raw === "string" ? safeJson(raw) : raw);
    if (!parsed.success) {
      throw new EdgeError("model_load_failed", `Invalid pointer of model '${name}'`, {
        cause: parsed.error,
      });
    }
    this.#pointers.set(name, parsed.data);
    return parsed.data;
  }

  async #readBlob(name: string, location: string, sha: string): Promise<Uint8Array> {
    const bytes = /^https?:\/\//.test(location)
      ? await this.#fetchBlob(name, location)
      : await this.#redisBlob(name, location, sha);
    if (await sha256Hex(bytes) !== sha) {
      throw new EdgeError(
        "model_load_failed",
        `Cannot load model '${name}': artifact sha256 does not match`,
      );
    }
    return bytes;
  }

  async #redisBlob(name: string, location: string, sha: string): Promise<Uint8Array> {
    if (!location.startsWith("redis:")) {
      throw new EdgeError(
        "model_load_failed",
        `Cannot load model '${name}': unsupported location ${location}`,
      );
    }
    let value: unknown;
    try {
      value = await this.#redis.get(location.slice("redis:".length));
    } catch (cause) {
      throw new EdgeError("model_load_failed", `Cannot read blob of model '${name}'`, { cause });
    }
    if (typeof value !== "string") {
      throw new EdgeError("model_load_failed", `Cannot load model '${name}': blob missing ${sha}`);
    }
    return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  }

  /** Packages too large for Redis are served over HTTP by the registry's sync worker. */
  async #fetchBlob(name: string, url: string): Promise<Uint8Array> {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      return new Uint8Array(await res.arrayBuffer());
    } catch (cause) {
      throw new EdgeError(
        "model_load_failed",
        `Cannot load model '${name}': cannot fetch ${url}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  async #readManifest(name: string, ref: PackageRef) {
    if (!ref.manifest_sha256) {
      throw new EdgeError(
        "model_load_failed",
        `Cannot load model '${name}' version ${ref.version}: pointer lacks manifest_sha256`,
      );
    }
    const bytes = await this.#readBlob(
      name,
      `redis:${redisKeys.blob(ref.manifest_sha256)}`,
      ref.manifest_sha256,
    );
    const parsed = ModelManifestSchema.safeParse(safeJson(new TextDecoder().decode(bytes)));
    if (!parsed.success || parsed.data.sha256 !== ref.sha256) {
      throw new EdgeError(
        "model_load_failed",
        `Cannot load model '${name}' version ${ref.version}: invalid manifest`,
      );
    }
    return parsed.data;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
