/**
 * What the console shows, read from the platform's own parts: the model
 * operations' status (aliases, versions, pointer, live split), the registry's
 * manifests, the per-variant rollout counters the edges write (traffic,
 * latency, errors over time), the rollout controller's decisions, the feature pipeline
 * (online and offline values, view definitions, dead letters) and the
 * processes' Prometheus metrics (drift, ingest throughput and lag).
 *
 * @module
 */
import type { FeaturePipeline, FeatureStore } from "../../pipeline/mod.ts";

/**
 * The pipeline calls the console makes: `FeaturePipeline`'s, with
 * `validate` allowed to answer asynchronously (the embedded platform's
 * pipeline runs in a worker thread, `deploy/embedded/pipeline_thread.ts`).
 */
export type ConsolePipeline =
  & Pick<
    FeaturePipeline,
    "repository" | "views" | "processBatch" | "getOnlineFeatures" | "getOfflineFeatures"
  >
  & {
    validate(payload: Uint8Array | string, source?: string): string | null | Promise<string | null>;
  };

/** The dead-letter calls of a `FeatureStore` the console makes. */
export type DeadLetterStore = Pick<
  FeatureStore,
  "listDeadLetters" | "getDeadLetters" | "markDeadLettersReplayed"
>;
import type { ModelControl, ModelRegistry } from "../../registry/mod.ts";
import type { RolloutDecision } from "../../registry/rollout_controller.ts";
import type { SyncService } from "../../registry/wiring.ts";
import {
  type ModelPointer,
  redisKeys,
  rolloutCounters,
  type TrafficSplit,
} from "../../schemas/pointer.ts";
import { histogramQuantile, type MetricsSampler } from "./prom.ts";

/** Everything the console reads and acts through. */
export interface ConsoleDeps {
  /** Version manifests (evaluation metrics, inputs). */
  registry: ModelRegistry;
  /**
   * The model operations: what the buttons run and where the model state is
   * read (the one implementation, `registry/operations.ts`, as `deno task model:*`).
   */
  models: ModelControl;
  /** The edges' per-variant counters and the rollout controller's decisions. */
  rollouts: Pick<SyncService, "store" | "rollout">;
  /** The feature pipeline, in this thread or (embedded) its worker thread. */
  pipeline: ConsolePipeline;
  /** Where the dead letters are read and marked replayed. */
  featureStore: DeadLetterStore;
  sampler: MetricsSampler;
  /** Canary steps of the rollout policy, percent. */
  canarySteps: number[];
  /** PSI above which the drift alert fires. */
  driftThreshold: number;
  /** Required on every console request when set (always set outside the embedded default). */
  adminToken?: string;
  /** `embedded` or `services`, shown in the header. */
  mode: string;
  now?: () => number;
}

/** One model in the overview. */
export interface ModelSummary {
  name: string;
  aliases: Record<string, string>;
  versions: number;
  pointer: ModelPointer | null;
  traffic: TrafficSplit;
}

/** Models with their aliases and the live traffic split. */
export async function listModels(d: ConsoleDeps): Promise<ModelSummary[]> {
  const names = (await d.models.list()).map((m) => m.model).sort();
  return await Promise.all(names.map(async (name) => {
    const s = await d.models.status(name);
    return {
      name,
      aliases: s.aliases,
      versions: s.versions.length,
      pointer: s.pointer,
      traffic: s.traffic,
    };
  }));
}

/** Per-variant series of one model, one point per counter bucket (10 s). */
export interface TrafficSeries {
  /** Bucket start times, epoch seconds. */
  t: number[];
  variants: Record<string, {
    rps: (number | null)[];
    p50: (number | null)[];
    p99: (number | null)[];
    errorRate: (number | null)[];
  }>;
}

const LATENCY = rolloutCounters.latencyFields;

/** Latency quantile (ms) of one counter hash, interpolated inside its bucket. */
export function counterQuantile(q: number, hash: Record<string, string>): number | null {
  let cumulative = 0;
  const buckets: [number, number][] = LATENCY.map(([le, field]) => {
    cumulative += Number(hash[field] ?? 0);
    return [le, cumulative];
  });
  return histogramQuantile(q, buckets);
}

/** Requests per second, p50/p99 latency and error rate per variant over the last `minutes`. */
export async function trafficSeries(
  d: ConsoleDeps,
  model: string,
  minutes = 15,
): Promise<TrafficSeries> {
  const width = rolloutCounters.bucketSeconds;
  const nowS = (d.now ?? Date.now)() / 1000;
  const last = Math.floor(nowS / width);
  const count = Math.ceil((minutes * 60) / width);
  const buckets = Array.from({ length: count }, (_, i) => last - count + 1 + i);
  const variants = ["champion", "challenger"];
  const keys = variants.flatMap((v) => buckets.map((b) => redisKeys.rolloutCounters(model, v, b)));
  const hashes = await d.rollouts.store.hgetallMany(keys);
  const out: TrafficSeries = { t: buckets.map((b) => b * width), variants: {} };
  variants.forEach((v, vi) => {
    const series = {
      rps: [],
      p50: [],
      p99: [],
      errorRate: [],
    } as TrafficSeries["variants"][string];
    buckets.forEach((b, bi) => {
      const h = hashes[vi * buckets.length + bi];
      const requests = Number(h.requests ?? 0);
      // The current bucket is still filling: its rate is over the time elapsed so far.
      const seconds = b === last ? Math.max(1, nowS - b * width) : width;
      series.rps.push(requests > 0 ? requests / seconds : 0);
      series.p50.push(requests > 0 ? counterQuantile(0.5, h) : null);
      series.p99.push(requests > 0 ? counterQuantile(0.99, h) : null);
      series.errorRate.push(requests > 0 ? Number(h.errors ?? 0) / requests : null);
    });
    out.variants[v] = series;
  });
  return out;
}

/** One version with its evaluation metrics. */
export interface VersionDetail {
  version: string;
  created_at: string;
  aliases: string[];
  framework: string | null;
  inputs: number | null;
  metrics: Record<string, number>;
}

interface ManifestFacts {
  framework: string;
  inputs: number;
  metrics: Record<string, number>;
}

/** Per registry: `name@version` → what its manifest says (a registered version never changes). */
const manifests = new WeakMap<ModelRegistry, Map<string, Promise<ManifestFacts>>>();

function versionInfo(d: ConsoleDeps, name: string, version: string): Promise<ManifestFacts> {
  let cache = manifests.get(d.registry);
  if (!cache) manifests.set(d.registry, cache = new Map());
  const key = `${name}@${version}`;
  let facts = cache.get(key);
  if (!facts) {
    facts = d.registry.getPackage(name, version).then((pkg) => ({
      framework: pkg.manifest.framework,
      inputs: pkg.manifest.inputs.length,
      metrics: numericMetrics(pkg.manifest.metrics ?? {}),
    }));
    const own = cache;
    facts.catch(() => own.delete(key)); // a failed read is retried next time
    cache.set(key, facts);
  }
  return facts;
}

/** Flattens numeric metrics one level deep (`validation.roc_auc`). */
export function numericMetrics(m: Record<string, unknown>, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === "number" && Number.isFinite(v)) out[prefix + k] = v;
    else if (v && typeof v === "object" && !Array.isArray(v) && prefix === "") {
      Object.assign(out, numericMetrics(v as Record<string, unknown>, `${k}.`));
    }
  }
  return out;
}

/** The model page's data. */
export interface ModelDetail {
  name: string;
  aliases: Record<string, string>;
  versions: VersionDetail[];
  pointer: ModelPointer | null;
  traffic: TrafficSplit;
  decision: RolloutDecision | null;
  steps: number[];
  /** Where the buttons' changes take effect, for people. */
  target: string;
}

/** Versions with metrics, aliases, the live split (canary state) and the controller's last decision. */
export async function modelDetail(d: ConsoleDeps, name: string): Promise<ModelDetail> {
  const [status, listed, statuses] = await Promise.all([
    d.models.status(name),
    d.registry.listVersions(name),
    d.rollouts.rollout.status().catch(() => []),
  ]);
  const versions = await Promise.all(listed.map(async (v) => {
    const info = await versionInfo(d, name, v.version).catch(() => null);
    return {
      version: v.version,
      created_at: v.created_at,
      aliases: v.aliases,
      framework: info?.framework ?? null,
      inputs: info?.inputs ?? null,
      metrics: info?.metrics ?? {},
    };
  }));
  const decision = (statuses as RolloutDecision[]).find((s) => s.model === name) ?? null;
  return {
    name,
    aliases: status.aliases,
    versions,
    pointer: status.pointer,
    traffic: status.traffic,
    decision,
    steps: d.canarySteps,
    target: status.target,
  };
}

/**
 * Online now vs offline as of a time, of every feature of the entity type
 * (all its views, as `/features/{entity}/{id}` answers).
 */
export async function featureLookup(d: ConsoleDeps, entity: string, id: string, asOfMs: number) {
  const views = d.pipeline.views.filter((v) => v.entity === entity);
  if (views.length === 0) return [];
  const nowMs = (d.now ?? Date.now)();
  const [online, offline] = await Promise.all([
    d.pipeline.getOnlineFeatures(entity, id, nowMs),
    d.pipeline.getOfflineFeatures(entity, id, asOfMs),
  ]);
  const names = [...new Set([...Object.keys(online.features), ...Object.keys(offline.features)])]
    .sort();
  const rows = names.map((feature) => {
    const on = online.features[feature] ?? null;
    const off = offline.features[feature] ?? null;
    return { feature, online: on, offline: off, differs: !sameValue(on, off) };
  });
  return [{
    view: views.map((v) => `${v.name} v${v.version}`).join(", "),
    online_as_of: online.as_of,
    as_of: offline.as_of,
    rows,
  }];
}

function sameValue(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Entity types and view definitions, as the pipeline runs them. */
export function viewDefinitions(d: ConsoleDeps) {
  return d.pipeline.views.map((v) => ({
    name: v.name,
    version: v.version,
    entity: v.entity,
    definition: JSON.stringify(v, null, 2),
  }));
}

/** A dead letter as shown: payload decoded as UTF-8 (lossy) for editing. */
export interface DeadLetterView {
  id: number;
  reason: string;
  payload: string;
  source: string;
  created_at: string;
  replayed_at: string | null;
  replayed_event_id: string | null;
}

/** The most recent dead letters. */
export async function deadLetters(d: ConsoleDeps, limit = 50): Promise<DeadLetterView[]> {
  const rows = await d.featureStore.listDeadLetters(limit);
  return rows.map((r) => ({
    id: r.id,
    reason: r.reason,
    payload: decodeBase64(r.payloadBase64),
    source: r.meta.source ?? "",
    created_at: r.createdAt.toISOString(),
    replayed_at: r.meta.replayed_at ?? null,
    replayed_event_id: r.meta.replayed_event_id ?? null,
  }));
}

/** Base64 to text (invalid UTF-8 becomes U+FFFD). */
export function decodeBase64(b64: string): string {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
