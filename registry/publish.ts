/**
 * Publishing: puts a validated package where every edge isolate can read it
 * without MLflow credentials or a filesystem, and moves the model pointer.
 *
 * - `model.onnx` goes into Redis content-addressed (`redisKeys.blob(sha)`,
 *   base64) when it is at most `blobMaxBytes`; a larger one is served over
 *   HTTP by the sync worker (`<publicUrl>/packages/<sha>`).
 * - `manifest.json` always goes into Redis at `redisKeys.blob(manifest_sha)`.
 * - The pointer (`redisKeys.pointer(name)`, `ModelPointer` JSON) is replaced
 *   by compare-and-set; its revision increases by one on every change.
 *
 * @module
 */
import {
  type ModelPointer,
  ModelPointerSchema,
  type PackageRef,
  redisKeys,
} from "../schemas/pointer.ts";
import { RegistryError } from "./errors.ts";
import type { ModelPackage } from "./port.ts";
import type { RegistryStore } from "./store/port.ts";
import { sha256Hex } from "../pipeline/sha256.ts";

/** Options of {@linkcode ModelPublisher}. */
export interface ModelPublisherOptions {
  store: RegistryStore;
  /** Largest `model.onnx` stored in Redis (bytes, default 5 MiB). */
  blobMaxBytes?: number;
  /** Base URL under which larger packages are served (`/packages/<sha>`). */
  publicUrl?: string;
  /** Holds large packages for the HTTP route (sha → bytes). */
  largePackages?: Map<string, Uint8Array>;
  /** Blobs no pointer references any more expire after this long (s, default 1 day). */
  retiredBlobTtlSeconds?: number;
  now?: () => Date;
}

/** The pointer fields a change decides; the publisher fills name, revision and time. */
export type PointerContent = Pick<ModelPointer, "champion" | "challenger" | "traffic">;

/** Stores packages and moves model pointers. */
export class ModelPublisher {
  readonly store: RegistryStore;
  readonly largePackages: Map<string, Uint8Array>;
  readonly #blobMaxBytes: number;
  readonly #publicUrl?: string;
  readonly #now: () => Date;
  readonly #retiredTtl: number;

  constructor(options: ModelPublisherOptions) {
    this.store = options.store;
    this.#blobMaxBytes = options.blobMaxBytes ?? 5 * 1024 * 1024;
    this.#publicUrl = options.publicUrl?.replace(/\/+$/, "");
    this.largePackages = options.largePackages ?? new Map();
    this.#now = options.now ?? (() => new Date());
    this.#retiredTtl = options.retiredBlobTtlSeconds ?? 86_400;
  }

  /**
   * True when every blob of `ref` is still stored (any pending expiry is
   * lifted), so a reference published earlier can go back into a pointer.
   */
  async ensureStored(ref: PackageRef): Promise<boolean> {
    if (!ref.location.startsWith("redis:") && !this.largePackages.has(ref.sha256)) return false;
    const present = await Promise.all(blobKeys(ref).map((k) => this.store.persist(k)));
    return present.every(Boolean);
  }

  /** Stores the package's blobs (idempotent) and returns the reference to put in a pointer. */
  async putPackage(pkg: ModelPackage): Promise<PackageRef> {
    const { manifest, onnx } = pkg;
    const sha256 = await sha256Hex(onnx);
    if (sha256 !== manifest.sha256) {
      throw new RegistryError(
        "artifact_corrupt",
        `Cannot publish model '${manifest.name}' version ${manifest.version}: artifact sha256 does not match`,
      );
    }
    const manifestText = JSON.stringify(manifest);
    const manifestSha = await sha256Hex(manifestText);
    await this.store.setIfAbsent(
      redisKeys.blob(manifestSha),
      toBase64(new TextEncoder().encode(manifestText)),
    );
    let location: string;
    if (onnx.byteLength <= this.#blobMaxBytes) {
      await this.store.setIfAbsent(redisKeys.blob(sha256), toBase64(onnx));
      location = `redis:${redisKeys.blob(sha256)}`;
    } else if (this.#publicUrl) {
      this.largePackages.set(sha256, onnx);
      location = `${this.#publicUrl}/packages/${sha256}`;
    } else {
      throw new RegistryError(
        "publish_failed",
        `Cannot publish model '${manifest.name}' version ${manifest.version}: ${onnx.byteLength} bytes exceed the Redis limit ${this.#blobMaxBytes} and REGISTRY_PUBLIC_URL is not set`,
      );
    }
    return { version: manifest.version, sha256, location, manifest_sha256: manifestSha };
  }

  /** The current pointer of a model, or null when none is published. */
  async readPointer(name: string): Promise<ModelPointer | null> {
    const raw = await this.store.get(redisKeys.pointer(name));
    return raw === null ? null : parsePointer(name, raw);
  }

  /**
   * Applies `change` to the current pointer (null when none) and writes the
   * result with the next revision. `change` returning null means no change.
   * Retries when another writer moved the pointer in between.
   */
  async updatePointer(
    name: string,
    change: (current: ModelPointer | null) => PointerContent | null,
  ): Promise<ModelPointer | null> {
    const key = redisKeys.pointer(name);
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = await this.store.get(key);
      const current = raw === null ? null : parsePointer(name, raw);
      const content = change(current);
      if (content === null) return null;
      // Only the three decided fields are taken: a change that spreads the
      // current pointer must not carry its old revision along.
      const next = ModelPointerSchema.parse({
        model_name: name,
        revision: (current?.revision ?? 0) + 1,
        updated_at: this.#now().toISOString(),
        champion: content.champion,
        challenger: content.challenger,
        traffic: content.traffic,
      });
      if (await this.store.compareAndSet(key, raw, JSON.stringify(next))) {
        await this.#retire(current, next);
        return next;
      }
    }
    throw new RegistryError(
      "registry_conflict",
      `Cannot move the pointer of model '${name}': it kept changing under concurrent writers`,
    );
  }

  /** Lets the blobs the new pointer no longer references expire (edges mid-load still find them). */
  async #retire(before: ModelPointer | null, after: ModelPointer): Promise<void> {
    if (!before) return;
    const kept = new Set([after.champion, after.challenger].flatMap((r) => (r ? blobKeys(r) : [])));
    const dropped = [before.champion, before.challenger].flatMap((r) => (r ? blobKeys(r) : []))
      .filter((k) => !kept.has(k));
    await Promise.all([...new Set(dropped)].map((k) => this.store.expire(k, this.#retiredTtl)));
  }
}

/** The Redis keys holding the blobs of a reference. */
function blobKeys(ref: PackageRef): string[] {
  const keys = ref.manifest_sha256 ? [redisKeys.blob(ref.manifest_sha256)] : [];
  if (ref.location.startsWith("redis:")) keys.push(ref.location.slice("redis:".length));
  return keys;
}

function parsePointer(name: string, raw: string): ModelPointer {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  const parsed = ModelPointerSchema.safeParse(value);
  if (!parsed.success) {
    throw new RegistryError(
      "artifact_invalid",
      `Cannot read the pointer of model '${name}': it is not a valid pointer`,
    );
  }
  return parsed.data;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** True when two package references name the same bytes and version. */
export function sameRef(
  a: PackageRef | null | undefined,
  b: PackageRef | null | undefined,
): boolean {
  if (!a || !b) return !a && !b;
  return a.version === b.version && a.sha256 === b.sha256 &&
    a.manifest_sha256 === b.manifest_sha256;
}
