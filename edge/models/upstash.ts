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
 * A pointer is data anyone with the admin token can write, so what it makes
 * the edge fetch is bounded: `http(s)` locations only from the configured
 * origins (none by default), at most `maxArtifactBytes` (checked from
 * `STRLEN` before a Redis blob is read and while an HTTP body streams), and
 * the location is never put in an error message (they reach clients and
 * `/health`); it is logged, redacted, by the caller.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import { ModelManifestSchema } from "../../schemas/manifest.ts";
import { type ModelPointer, ModelPointerSchema, redisKeys } from "../../schemas/pointer.ts";
import type { PackageRef } from "../../schemas/pointer.ts";
import type { ModelPackage } from "../../schemas/manifest.ts";
import { EdgeError } from "../errors.ts";
import { readCapped } from "../../pipeline/http_guard.ts";
import { sha256Hex } from "../../pipeline/sha256.ts";
import { redactText, redactUrl } from "../../schemas/redact.ts";
import type { ModelRoute, ModelSource } from "./port.ts";

/** The part of an `@upstash/redis` client this source uses. */
export type PointerRedis = Pick<Redis, "get" | "mget"> & Partial<Pick<Redis, "strlen">>;

/** Options of {@linkcode UpstashPointerSource}. */
export interface PointerSourceOptions {
  /**
   * Origins (`https://registry.example.com`) `http(s)` package locations may
   * point at; empty (the default) refuses every HTTP location.
   */
  artifactOrigins?: readonly string[];
  /** Largest artifact read, bytes (default 256 MiB). */
  maxArtifactBytes?: number;
  /** Bearer token sent to those origins (the registry's `REGISTRY_EDGE_TOKEN`). */
  artifactToken?: string;
  /** Serve any model name that has a pointer, not only `models` (default false). */
  anyModel?: boolean;
  /** The fetch to use (tests). */
  fetch?: typeof fetch;
  /** Called with the (redacted) location of a failed fetch, for the log. */
  onFetchError?: (name: string, location: string, error: unknown) => void;
}

/** Default largest artifact, bytes. */
export const DEFAULT_MAX_ARTIFACT_BYTES = 256 * 1024 * 1024;

/** A model source that follows Redis model pointers. */
export class UpstashPointerSource implements ModelSource {
  readonly kind = "pointer";
  readonly #redis: PointerRedis;
  readonly #names: string[];
  readonly #pointers = new Map<string, ModelPointer>();
  readonly #origins: ReadonlySet<string>;
  readonly #maxBytes: number;
  readonly #options: PointerSourceOptions;

  /**
   * `models`: the names this edge serves; other names answer
   * `model_not_found` without a Redis read unless `anyModel` is set.
   */
  constructor(redis: PointerRedis, models: string[], options: PointerSourceOptions = {}) {
    this.#redis = redis;
    this.#names = [...new Set(models)];
    this.#origins = new Set((options.artifactOrigins ?? []).map((o) => new URL(o).origin));
    this.#maxBytes = options.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES;
    this.#options = options;
  }

  listModels(): Promise<string[]> {
    return Promise.resolve([...this.#names]);
  }

  async getRoute(name: string): Promise<ModelRoute> {
    if (!this.#options.anyModel && !this.#names.includes(name)) {
      throw new EdgeError("model_not_found", `Model not found '${name}'`);
    }
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
        `Cannot load model '${name}': unsupported artifact location`,
      );
    }
    const key = location.slice("redis:".length);
    let value: unknown;
    try {
      // Base64 is 4/3 of the bytes: refuse an oversized blob before reading it.
      const length = this.#redis.strlen ? await this.#redis.strlen(key) : 0;
      if (length > Math.ceil(this.#maxBytes / 3) * 4) throw this.#tooLarge(name);
      value = await this.#redis.get(key);
    } catch (cause) {
      if (cause instanceof EdgeError) throw cause;
      throw new EdgeError("model_load_failed", `Cannot read blob of model '${name}'`, { cause });
    }
    if (typeof value !== "string") {
      throw new EdgeError("model_load_failed", `Cannot load model '${name}': blob missing ${sha}`);
    }
    return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  }

  #tooLarge(name: string): EdgeError {
    return new EdgeError(
      "model_load_failed",
      `Cannot load model '${name}': artifact larger than ${this.#maxBytes} bytes`,
    );
  }

  /** Packages too large for Redis are served over HTTP by the registry's sync worker. */
  async #fetchBlob(name: string, url: string): Promise<Uint8Array> {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      origin = "";
    }
    if (!this.#origins.has(origin)) {
      this.#options.onFetchError?.(name, redactUrl(url), new Error("origin not allowed"));
      throw new EdgeError(
        "model_load_failed",
        `Cannot load model '${name}': artifact origin not allowed (EDGE_ARTIFACT_ORIGINS)`,
      );
    }
    try {
      const headers: Record<string, string> = this.#options.artifactToken
        ? { authorization: `Bearer ${this.#options.artifactToken}` }
        : {};
      const res = await (this.#options.fetch ?? fetch)(url, {
        headers,
        redirect: "error", // a redirect could leave the allowed origins
        signal: AbortSignal.timeout(30_000),
      });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      return await readResponseCapped(res, this.#maxBytes, () => this.#tooLarge(name));
    } catch (cause) {
      if (cause instanceof EdgeError) throw cause;
      this.#options.onFetchError?.(name, redactUrl(url), cause);
      throw new EdgeError(
        "model_load_failed",
        `Cannot load model '${name}': cannot fetch its artifact: ${
          redactText((cause as Error).message)
        }`,
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

/** The body of `res`, refused as soon as it passes `max` bytes (declared or streamed). */
async function readResponseCapped(
  res: Response,
  max: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  return res.body ? await readCapped(res.body, max, tooLarge) : new Uint8Array();
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
