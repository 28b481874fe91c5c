/**
 * The Web Worker of the embedded platform that runs the feature pipeline
 * and its store (PGlite under `DATA_DIR`, or Postgres with DATABASE_URL).
 * The online cache stays on the serving thread: the pipeline reads and
 * writes it through a {@linkcode ChannelOnlineCache}, keys and values as
 * opaque strings. Started by `PipelineThread`; not an entry point of its own.
 *
 * @module
 */
import { Gauge, Registry } from "prom-client";
import {
  ChannelOnlineCache,
  type FeaturePipeline,
  type FeatureRuntime,
  openFeatureRuntime,
} from "../../pipeline/mod.ts";
import type { PipelineCalls, ServingCalls } from "./calls.ts";
import { SERVING_CALLS } from "./calls.ts";
import { connectChannel, type MessageEndpoint } from "./channel.ts";
import { lowerThreadPriority } from "./_thread_priority.ts";

/** How long a call to the serving thread's cache may wait for its answer. */
const SERVING_TIMEOUT_MS = 30_000;

const scope = globalThis as unknown as MessageEndpoint & { close(): void };
const registry = new Registry();
new Gauge({
  name: "embedded_pipeline_heap_bytes",
  help: "V8 heap of the embedded platform's pipeline worker (used, total, external)",
  labelNames: ["kind"],
  registers: [registry],
  collect() {
    const m = Deno.memoryUsage();
    this.set({ kind: "used" }, m.heapUsed);
    this.set({ kind: "total" }, m.heapTotal);
    this.set({ kind: "external" }, m.external);
  },
});
let runtime: FeatureRuntime | null = null;
/**
 * Batches run one at a time. This worker is the only writer of the online
 * cache and PGlite runs one statement at a time anyway: batches run side by
 * side over the same entities only made compare-and-set conflicts, each
 * rebuilt from the store, and under load some ran out of attempts (503s in
 * `tests/integration/embedded_soak_test.ts` with 8 requests in flight).
 */
let batches: Promise<unknown> = Promise.resolve();

function pipeline(): FeaturePipeline {
  if (!runtime) throw new Error("The pipeline worker is not open");
  return runtime.pipeline;
}

function store(): FeatureRuntime["store"] {
  if (!runtime) throw new Error("The pipeline worker is not open");
  return runtime.store;
}

const calls: { [K in keyof PipelineCalls]: PipelineCalls[K] } = {
  async open(config, sharedCache, nice) {
    if (runtime) throw new Error("The pipeline worker is already open");
    const niceFailure = lowerThreadPriority(nice);
    runtime = await openFeatureRuntime(config, {
      registry,
      cache: { cache: new ChannelOnlineCache(channel.remote), shared: sharedCache },
    });
    return { repository: runtime.repository.name, niceFailure };
  },
  processBatch(messages) {
    const run = batches.then(() => pipeline().processBatch(messages));
    batches = run.catch(() => {});
    return run;
  },
  validate: (payload, source) => Promise.resolve(pipeline().validate(payload, source)),
  listDeadLetters: (limit) => store().listDeadLetters(limit),
  getDeadLetters: (ids) => store().getDeadLetters(ids),
  markDeadLettersReplayed: (replays, atMs) => store().markDeadLettersReplayed(replays, atMs),
  deadLetter: (payload, reason, meta, source) =>
    pipeline().deadLetter(payload, reason, meta, source),
  offlineFeatures: (entity, id, asOfMs) => pipeline().getOfflineFeatures(entity, id, asOfMs),
  onlineFeatures: (entity, id, asOfMs) => pipeline().getOnlineFeatures(entity, id, asOfMs),
  metrics: () => registry.metrics(),
  memory: () => {
    const m = Deno.memoryUsage();
    return Promise.resolve({ heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external });
  },
  async close() {
    const open = runtime;
    runtime = null;
    await open?.close();
  },
};

const channel = connectChannel<ServingCalls>(scope, calls, {
  remote: SERVING_CALLS,
  peer: "serving thread",
  timeoutMs: SERVING_TIMEOUT_MS,
});
