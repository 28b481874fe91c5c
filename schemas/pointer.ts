/**
 * The model pointer the registry publishes and every edge isolate follows,
 * and the Redis key layout shared by the pipeline, the registry and the
 * edge.
 *
 * @module
 */
import { z } from "zod";

/** Where a published package can be read without MLflow credentials. */
export const PackageRefSchema = z.object({
  version: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** `redis:<key>` for content-addressed blobs, or an `http(s)://` URL. */
  location: z.string(),
  /** sha256 of manifest.json as published (integrity of the pair). */
  manifest_sha256: z.string().optional(),
});
/** Where a published package can be read. */
export type PackageRef = z.infer<typeof PackageRefSchema>;

/** How requests are split between the arms of one model. */
export const TrafficSplitSchema = z.object({
  /** `single`: champion only; `canary`: split by percent; `shadow`: challenger scored, not returned. */
  mode: z.enum(["single", "canary", "shadow"]).default("single"),
  /** Share of traffic for the challenger in `canary` mode, 0..100. */
  challenger_percent: z.number().min(0).max(100).default(0),
});
/** How requests are split between arms. */
export type TrafficSplit = z.infer<typeof TrafficSplitSchema>;

/** The pointer of one model, JSON at {@linkcode redisKeys.pointer}. */
export const ModelPointerSchema = z.object({
  model_name: z.string(),
  /** Increases on every change; edges swap when it moves. */
  revision: z.number().int().nonnegative(),
  updated_at: z.string(),
  champion: PackageRefSchema,
  challenger: PackageRefSchema.nullable().default(null),
  traffic: TrafficSplitSchema.default({ mode: "single", challenger_percent: 0 }),
});
/** The pointer of one model. */
export type ModelPointer = z.infer<typeof ModelPointerSchema>;

/**
 * The prefix of each kind of Redis key: what the gateway's per-role
 * allow-lists are written against (`deploy/upstash_gateway/roles.ts`).
 */
export const redisKeyPrefixes = {
  online: "fv:",
  pointer: "model:pointer:",
  blob: "model:blob:",
  rollout: "rollout:",
} as const;

const P = redisKeyPrefixes;

/** Redis keys used across parts. One place, so writers and readers agree. */
export const redisKeys = {
  /** Online state of one entity of a feature view (JSON string). */
  online: (view: string, viewVersion: number, entityId: string): string =>
    `${P.online}${view}:v${viewVersion}:${entityId}`,
  /** The model pointer (JSON string). */
  pointer: (modelName: string): string => `${P.pointer}${modelName}`,
  /** A published package blob, content-addressed (base64 of the bytes). */
  blob: (sha256: string): string => `${P.blob}${sha256}`,
  /** Per-variant rollout counters in a time bucket (hash). */
  rolloutCounters: (modelName: string, variant: string, bucket: number): string =>
    `${P.rollout}${modelName}:${variant}:${bucket}`,
} as const;

/**
 * The per-variant rollout counters the edge writes and the rollout
 * controller reads: one hash per `(model, variant, bucket)` at
 * {@linkcode redisKeys.rolloutCounters}, bucket = floor(epoch_s / width),
 * fields `requests`, `errors`, `latency_sum_us`, one per-bucket (not
 * cumulative) latency count per bound below, `shadow_compared`,
 * `shadow_disagreed`.
 */
export const rolloutCounters = {
  /** Bucket width in seconds. */
  bucketSeconds: 10,
  /** Seconds a bucket hash lives. */
  ttlSeconds: 3600,
  /** Latency bucket upper bounds in ms, with their field names, ascending. */
  latencyFields: [
    [0.5, "le_0.5"],
    [1, "le_1"],
    [2, "le_2"],
    [5, "le_5"],
    [10, "le_10"],
    [25, "le_25"],
    [50, "le_50"],
    [100, "le_100"],
    [250, "le_250"],
    [Infinity, "le_inf"],
  ] as readonly (readonly [number, string])[],
} as const;
