/**
 * The operator's model commands, shared by `deno task model:*` and the
 * console so both run the same code: promote (champion := challenger, or a
 * named version), roll back, and start a canary or shadow of a version.
 *
 * @module
 */
import type { ModelPointer, TrafficSplit } from "../schemas/pointer.ts";
import type { ModelRegistry } from "./port.ts";
import type { ModelPublisher } from "./publish.ts";
import type { RolloutController } from "./rollout.ts";
import type { SyncWorker } from "./sync.ts";

/** What the commands act through (a `SyncService` has all of it). */
export interface ModelOperationsDeps {
  registry: ModelRegistry;
  publisher: ModelPublisher;
  worker: SyncWorker;
  rollout: Pick<RolloutController, "promote" | "rollback">;
}

/** Makes `version` (default: the current challenger) the champion. */
export async function promoteModel(
  s: ModelOperationsDeps,
  name: string,
  version?: string,
): Promise<{ champion: string; previous: string | null }> {
  if (version) await s.registry.setAlias(name, "challenger", version);
  return await s.rollout.promote(name);
}

/** Removes the challenger, or restores the previous champion. */
export function rollbackModel(
  s: ModelOperationsDeps,
  name: string,
  reason: string,
): Promise<{ restored: string; removed: string }> {
  return s.rollout.rollback(name, `manual: ${reason}`);
}

/** What {@linkcode startCanary} did. */
export type CanaryOutcome =
  | {
    ok: true;
    challenger: string;
    traffic: TrafficSplit | undefined;
    pointer: ModelPointer | null;
  }
  | { ok: false; refused: string[] };

/**
 * Makes `version` the challenger, syncs it (validation included) and sets
 * the split: `percent` of traffic in canary, or shadow; neither keeps what
 * the sync decided.
 */
export async function startCanary(
  s: ModelOperationsDeps,
  name: string,
  version: string,
  split: { percent?: number; shadow?: boolean },
): Promise<CanaryOutcome> {
  await s.registry.setAlias(name, "challenger", version);
  const outcome = await s.worker.sync(name, "manual");
  if (outcome.refused.length > 0) {
    return { ok: false, refused: outcome.refused.map((r) => r.message ?? r.reason ?? "refused") };
  }
  const traffic = split.shadow
    ? { mode: "shadow" as const, challenger_percent: 0 }
    : split.percent !== undefined
    ? { mode: "canary" as const, challenger_percent: split.percent }
    : null;
  const pointer = traffic
    ? await s.publisher.updatePointer(name, (c) => c?.challenger ? { ...c, traffic } : null)
    : outcome.pointer;
  return { ok: true, challenger: version, traffic: pointer?.traffic, pointer };
}
