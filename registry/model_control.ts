/**
 * The interface of the model operations ({@linkcode ModelControl}) and its
 * option and result types, shared by the in-process implementation
 * (`operations.ts`), the HTTP client (`admin_client.ts`) and the routes
 * (`admin_http.ts`).
 *
 * @module
 */
import type { ModelPointer, TrafficSplit } from "../schemas/pointer.ts";
import type { VariantStats } from "./_counters.ts";
import type { InputChange } from "./input_changes.ts";

/** Options of a promotion. */
export interface PromoteOptions {
  /** Version to promote (default: the challenger). */
  version?: string;
  /** Promote although the inputs change. */
  force?: boolean;
}

/** Options of a canary. */
export interface CanaryOptions {
  version: string;
  /** Challenger share in percent (default: the first canary step). */
  percent?: number;
  /** Score the challenger beside the champion without serving it. */
  shadow?: boolean;
  /** Start although the inputs change. */
  force?: boolean;
}

/** Options of a rollback. */
export interface RollbackOptions {
  reason?: string;
}

/** What an operation did. */
export interface OperationResult {
  model: string;
  action: "promote" | "canary" | "rollback" | "none";
  /** One line for people. */
  message: string;
  aliases: Record<string, string>;
  /** The published pointer after the change, when there is one. */
  pointer: ModelPointer | null;
  /** How the inputs of the served version changed (forced, or by a rollback). */
  input_changes: InputChange[];
}

/** One version in a listing. */
export interface VersionListing {
  version: string;
  created_at: string;
  sha256: string;
  aliases: string[];
}

/** A model with its versions. */
export interface ModelListing {
  model: string;
  versions: VersionListing[];
}

/** The state of one model. */
export interface ModelStatus {
  model: string;
  aliases: Record<string, string>;
  versions: VersionListing[];
  pointer: ModelPointer | null;
  traffic: TrafficSplit;
  /** Requests per variant over the last `window_seconds`, from the edges' rollout counters. */
  window_seconds: number;
  requests: Record<"champion" | "challenger" | "challenger_shadow", VariantStats>;
  /** Whether the sync worker follows this model's aliases (`REGISTRY_MODELS`). */
  followed: boolean;
  /** Where changes take effect. */
  target: string;
}

/** The operations, wherever they run. */
export interface ModelControl {
  /** Where the operations act, for people. */
  readonly target: string;
  list(): Promise<ModelListing[]>;
  status(model: string): Promise<ModelStatus>;
  promote(model: string, options?: PromoteOptions): Promise<OperationResult>;
  canary(model: string, options: CanaryOptions): Promise<OperationResult>;
  rollback(model: string, options?: RollbackOptions): Promise<OperationResult>;
}
