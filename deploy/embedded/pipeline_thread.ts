/**
 * `PipelineThread`: the feature pipeline of the embedded platform, run in a
 * Web Worker (`pipeline_worker.ts`) so ingest never holds the thread that
 * serves `/predict`, while the online cache stays on the serving thread.
 *
 * Why a worker: PGlite runs Postgres in WASM on the calling thread, so one
 * `processBatch` holds that thread for as long as its main SQL statement
 * runs, and smaller batches cost more per event without removing the stalls
 * (`tests/bench/soak/stall.ts` measures both; the figures are in the
 * README, "The embedded platform while it ingests"). In a worker the serving
 * thread only answers the cache calls (one read and one compare-and-set of
 * the batch's entities).
 *
 * The worker answers {@linkcode PipelineCalls}; the serving thread answers
 * its cache's data calls, so `FeaturePipeline` and `OnlineCache` stay black
 * boxes on either side and the online state crosses as opaque keys and
 * values. If the worker dies, every call fails with a `RetryableError`
 * naming why (ingest answers 503, `/ready` is not ready) and serving goes on.
 *
 * @module
 */
import type {
  BatchResult,
  DeadLetterRow,
  EntityFeatures,
  FeaturesConfig,
  FeatureView,
  OnlineCache,
  PipelineMessage,
} from "../../pipeline/mod.ts";
import {
  entityViews,
  type FeatureRepository,
  resolveRepository,
  RetryableError,
} from "../../pipeline/mod.ts";
import type { PipelineCalls, ServingCalls, WorkerMemory } from "./calls.ts";
import { PIPELINE_CALLS } from "./calls.ts";
import { type Channel, connectChannel } from "./channel.ts";

/**
 * How long a call to the worker may wait for its answer (a batch of 10 000
 * events, the HTTP limit, takes about a second on PGlite).
 */
const PIPELINE_TIMEOUT_MS = 120_000;

/**
 * The Web `Worker`, taken when this module loads: onnxruntime-web's
 * Emscripten loader, seeing Node compatibility, replaces `globalThis.Worker`
 * with `node:worker_threads`' once the first model loads.
 */
const WebWorker: typeof Worker = globalThis.Worker;

/** Options of {@linkcode PipelineThread.start}. */
export interface PipelineThreadOptions {
  /** The pipeline's configuration (store, tile sizes, validation). */
  config: FeaturesConfig;
  /** The online cache the pipeline writes, held by this thread. */
  cache: OnlineCache;
  /** Whether the cache's data outlives the process (Redis): then it is warmed only for new views. */
  sharedCache: boolean;
  /** Nice value of the worker thread (Linux; 0 keeps the process's). Default 0. */
  nice?: number;
  /** Where a failure of the worker is reported. */
  log?: (line: string) => void;
}

/** The pipeline in its worker, as the serving thread sees it. */
export class PipelineThread {
  /** The feature repository the worker computes (loaded on this thread too, from the same config). */
  readonly repository: FeatureRepository;
  /** The feature views the pipeline keeps up to date. */
  readonly views: readonly FeatureView[];
  readonly #worker: Worker;
  readonly #channel: Channel<PipelineCalls>;
  readonly #failure: { error: RetryableError | null };

  private constructor(
    worker: Worker,
    channel: Channel<PipelineCalls>,
    failure: { error: RetryableError | null },
    repository: FeatureRepository,
  ) {
    this.#worker = worker;
    this.#channel = channel;
    this.#failure = failure;
    this.repository = repository;
    this.views = repository.views;
  }

  /** Starts the worker and opens the pipeline in it (migrations, online cache warm-up). */
  static async start(options: PipelineThreadOptions): Promise<PipelineThread> {
    const log = options.log ?? (() => {});
    // Loaded before the worker starts: a repository that does not load fails here, with its reason.
    const repository = await resolveRepository(options.config.repository);
    if ("on" in WebWorker.prototype) {
      throw new Error("Cannot start the pipeline thread: globalThis.Worker is not the Web Worker");
    }
    const worker = new WebWorker(new URL("./pipeline_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const cache = options.cache;
    const serving: ServingCalls = {
      getMany: (keys) => cache.getMany(keys),
      setMany: (entries, ttl) => cache.setMany(entries, ttl),
      compareAndSetMany: (entries, ttl) => cache.compareAndSetMany(entries, ttl),
      deleteMany: (keys) => cache.deleteMany(keys),
    };
    const channel = connectChannel<PipelineCalls>(worker, serving, {
      remote: PIPELINE_CALLS,
      peer: "pipeline thread",
      timeoutMs: PIPELINE_TIMEOUT_MS,
    });
    const failure: { error: RetryableError | null } = { error: null };
    const fail = (why: string) => {
      if (failure.error) return;
      failure.error = new RetryableError(`The pipeline thread stopped: ${why}`);
      log(`Error: ${failure.error.message}; ingest answers 503 until a restart`);
      channel.close(failure.error);
    };
    worker.addEventListener("error", (event) => {
      event.preventDefault(); // serving goes on; every pipeline call now fails with the reason
      fail(event.message || String(event.error));
    });
    worker.addEventListener("messageerror", () => fail("a message could not be read"));
    try {
      const nice = options.nice ?? 0;
      const opened = await channel.remote.open(options.config, options.sharedCache, nice);
      if (opened.niceFailure) {
        log(
          `Warning: the pipeline thread runs at the serving thread's priority: ${opened.niceFailure}`,
        );
      }
      if (opened.repository !== repository.name) {
        throw new Error(
          `The pipeline thread loaded repository '${opened.repository}', this thread '${repository.name}'`,
        );
      }
      return new PipelineThread(worker, channel, failure, repository);
    } catch (error) {
      channel.close(new RetryableError("The pipeline thread did not open"));
      worker.terminate();
      throw error;
    }
  }

  /** The failure that stopped the worker, or `null` while it runs. */
  get failure(): Error | null {
    return this.#failure.error;
  }

  /** `FeaturePipeline.processBatch` in the worker. */
  processBatch(messages: readonly PipelineMessage[]): Promise<BatchResult> {
    return this.#channel.remote.processBatch(messages);
  }

  /** `FeaturePipeline.validate` in the worker. */
  validate(payload: Uint8Array | string, source?: string): Promise<string | null> {
    return this.#channel.remote.validate(payload, source);
  }

  /** The store's newest dead letters (`FeatureStore.listDeadLetters` in the worker). */
  listDeadLetters(limit: number): Promise<DeadLetterRow[]> {
    return this.#channel.remote.listDeadLetters(limit);
  }

  /** `FeatureStore.getDeadLetters` in the worker. */
  getDeadLetters(ids: readonly number[]): Promise<DeadLetterRow[]> {
    return this.#channel.remote.getDeadLetters(ids);
  }

  /** `FeatureStore.markDeadLettersReplayed` in the worker. */
  markDeadLettersReplayed(
    replays: readonly { id: number; eventId: string }[],
    atMs: number,
  ): Promise<void> {
    return this.#channel.remote.markDeadLettersReplayed(replays, atMs);
  }

  /** `FeaturePipeline.deadLetter` in the worker. */
  deadLetter(
    payload: Uint8Array | string,
    reason: string,
    meta: Record<string, string> = {},
    source?: string,
  ): Promise<void> {
    return this.#channel.remote.deadLetter(payload, reason, meta, source);
  }

  /** `FeaturePipeline.getOfflineFeatures` in the worker. */
  getOfflineFeatures(entity: string, entityId: string, asOfMs: number): Promise<EntityFeatures> {
    return this.#channel.remote.offlineFeatures(this.#entity(entity), entityId, asOfMs);
  }

  /** `FeaturePipeline.getOnlineFeatures` in the worker (it reads this thread's cache). */
  getOnlineFeatures(entity: string, entityId: string, asOfMs: number): Promise<EntityFeatures> {
    return this.#channel.remote.onlineFeatures(this.#entity(entity), entityId, asOfMs);
  }

  /** An entity type with views; otherwise the pipeline's 404 ({@linkcode entityViews}), thrown here. */
  #entity(entity: string): string {
    entityViews(this.repository, entity);
    return entity;
  }

  /** The pipeline's metrics (`features_*`), Prometheus text format. */
  metrics(): Promise<string> {
    return this.#channel.remote.metrics();
  }

  /** The worker isolate's heap. */
  memory(): Promise<WorkerMemory> {
    return this.#channel.remote.memory();
  }

  /** Closes the store in the worker, then stops the worker. */
  async close(): Promise<void> {
    try {
      if (!this.#failure.error) await this.#channel.remote.close();
    } finally {
      this.#channel.close(new RetryableError("The pipeline thread is closed"));
      this.#worker.terminate();
    }
  }
}
