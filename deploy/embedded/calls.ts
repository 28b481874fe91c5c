/**
 * What the serving thread and the pipeline worker of the embedded platform
 * ask of each other (see `pipeline_thread.ts` and `pipeline_worker.ts`).
 *
 * @module
 */
import type {
  BatchResult,
  DeadLetterRow,
  EntityFeatures,
  FeaturesConfig,
  OnlineCacheCalls,
  PipelineMessage,
} from "../../pipeline/mod.ts";

/** Memory of the worker's isolate, bytes (`Deno.memoryUsage()` minus the process-wide RSS). */
export interface WorkerMemory {
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** The calls the pipeline worker answers. */
export interface PipelineCalls {
  /**
   * Opens the store (with the repository `config` names, which the serving
   * thread loads too: definitions cross threads by name, not by value),
   * applies migrations, warms the online cache; returns the repository's
   * name and why the worker's priority could not be lowered to `nice`
   * (`null` when it was).
   */
  open(
    config: FeaturesConfig,
    sharedCache: boolean,
    nice: number,
  ): Promise<{ repository: string; niceFailure: string | null }>;
  processBatch(messages: readonly PipelineMessage[]): Promise<BatchResult>;
  /** Why a payload would be dead-lettered, or `null` when it is valid. */
  validate(payload: Uint8Array | string, source?: string): Promise<string | null>;
  listDeadLetters(limit: number): Promise<DeadLetterRow[]>;
  getDeadLetters(ids: readonly number[]): Promise<DeadLetterRow[]>;
  markDeadLettersReplayed(
    replays: readonly { id: number; eventId: string }[],
    atMs: number,
  ): Promise<void>;
  deadLetter(
    payload: Uint8Array | string,
    reason: string,
    meta: Record<string, string>,
    source?: string,
  ): Promise<void>;
  offlineFeatures(entity: string, entityId: string, asOfMs: number): Promise<EntityFeatures>;
  onlineFeatures(entity: string, entityId: string, asOfMs: number): Promise<EntityFeatures>;
  /** The worker's Prometheus metrics (`features_*`) in the text exposition format. */
  metrics(): Promise<string>;
  memory(): Promise<WorkerMemory>;
  /** Closes the store; the worker may be terminated once this resolves. */
  close(): Promise<void>;
}

/** The calls the serving thread answers: its online cache's data operations. */
export type ServingCalls = { [K in keyof OnlineCacheCalls]: OnlineCacheCalls[K] };

/** Names of {@linkcode PipelineCalls}, for the caller. */
export const PIPELINE_CALLS = [
  "open",
  "processBatch",
  "validate",
  "listDeadLetters",
  "getDeadLetters",
  "markDeadLettersReplayed",
  "deadLetter",
  "offlineFeatures",
  "onlineFeatures",
  "metrics",
  "memory",
  "close",
] as const satisfies readonly (keyof PipelineCalls)[];

/** Names of {@linkcode ServingCalls}, for the caller. */
export const SERVING_CALLS = [
  "getMany",
  "setMany",
  "compareAndSetMany",
  "deleteMany",
] as const satisfies readonly (keyof ServingCalls)[];
