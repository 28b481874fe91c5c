/**
 * The rollout controller: reads the per-variant counters the edge writes,
 * advances a canary step by step (e.g. 5 → 25 → 50 → 100 %, each with a
 * minimum number of challenger requests and a minimum time), promotes the
 * challenger after the last step, and rolls back by itself when the
 * challenger's error rate or p99 latency exceeds the champion's by the
 * configured margins, or its shadow predictions disagree too often.
 *
 * Promotion and rollback are alias changes in the registry (MLflow or the
 * local folder), followed by a sync so the pointer moves at once:
 * promotion sets `champion` to the challenger and keeps the old champion as
 * `previous_champion`; rollback removes `challenger` (or, with no canary
 * running, restores `champion` to `previous_champion`) and marks the bad
 * version with alias `rolled_back`.
 *
 * @module
 */
import type { ModelPointer, TrafficSplit } from "../schemas/pointer.ts";
import { readVariantStats, type VariantStats } from "./_counters.ts";
import type { RegistryLog, RegistryMetrics } from "./registry_metrics.ts";
import type { ModelRegistry } from "./port.ts";
import type { ModelPublisher } from "./publish.ts";
import type { RegistryStore } from "./store/port.ts";
import type { SyncWorker } from "./sync.ts";

/** Thresholds of the canary. */
export interface RolloutPolicy {
  /** Ascending percentages ending at 100. */
  steps: number[];
  /** Challenger requests needed before a step is judged. */
  minRequests: number;
  /** Least time spent on a step (ms). */
  minStepMs: number;
  /** Roll back when challenger error rate > champion's + this. */
  errorMargin: number;
  /** Roll back when challenger p99 > champion's p99 × this ... */
  p99Factor: number;
  /** ... and exceeds it by at least this many ms (latency buckets are coarse). */
  p99MinDeltaMs: number;
  /** Roll back when shadow disagreement exceeds this fraction. */
  shadowDisagreement: number;
}

/** What one evaluation decided. */
export interface RolloutDecision {
  model: string;
  action: "none" | "wait" | "advance" | "promote" | "rollback";
  reason: string;
  traffic?: TrafficSplit;
  champion?: VariantStats;
  challenger?: VariantStats;
}

/** Options of {@linkcode RolloutController}. */
export interface RolloutControllerOptions {
  registry: ModelRegistry;
  publisher: ModelPublisher;
  store: RegistryStore;
  worker: SyncWorker;
  models: string[];
  policy: RolloutPolicy;
  metrics: RegistryMetrics;
  log: RegistryLog;
  intervalMs?: number;
  now?: () => number;
}

/** Advances canaries, promotes and rolls back. */
export class RolloutController {
  readonly #o: RolloutControllerOptions & { now: () => number };
  /** model → when the current step (challenger version + percent) started. */
  readonly #stepStart = new Map<string, { key: string; at: number }>();
  readonly #last = new Map<string, RolloutDecision>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = true;

  constructor(options: RolloutControllerOptions) {
    this.#o = { ...options, now: options.now ?? Date.now };
  }

  /** Evaluates every model periodically. */
  start(): void {
    this.#stopped = false;
    const tick = async () => {
      await Promise.allSettled(this.#o.models.map((m) => this.evaluate(m)));
      if (this.#stopped) return;
      this.#timer = setTimeout(tick, this.#o.intervalMs ?? 5000);
      Deno.unrefTimer(this.#timer as unknown as number);
    };
    this.#timer = setTimeout(tick, this.#o.intervalMs ?? 5000);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  /** Stops the loop. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /** The last decision per model, with the pointer's traffic. */
  async status(): Promise<(RolloutDecision & { pointer: ModelPointer | null })[]> {
    return await Promise.all(this.#o.models.map(async (model) => ({
      ...(this.#last.get(model) ?? { model, action: "none" as const, reason: "not evaluated yet" }),
      pointer: await this.#o.publisher.readPointer(model),
    })));
  }

  /** Judges the running canary or shadow of one model and acts on it. */
  async evaluate(model: string): Promise<RolloutDecision> {
    const decision = await this.#judge(model);
    this.#last.set(model, decision);
    if (decision.action === "rollback") await this.rollback(model, decision.reason);
    else if (decision.action === "promote") await this.promote(model);
    else if (decision.action === "advance" && decision.traffic) {
      const traffic = decision.traffic;
      await this.#o.publisher.updatePointer(
        model,
        (current) => current?.challenger ? { ...current, traffic } : null,
      );
      this.#o.metrics.canaryPercent.set({ model }, traffic.challenger_percent);
      this.#o.log(
        "info",
        `Canary of model '${model}' advanced to ${traffic.challenger_percent} %`,
        {
          model,
          traffic,
          reason: decision.reason,
        },
      );
    }
    return decision;
  }

  async #judge(model: string): Promise<RolloutDecision> {
    const pointer = await this.#o.publisher.readPointer(model);
    if (!pointer?.challenger || pointer.traffic.mode === "single") {
      this.#stepStart.delete(model);
      return { model, action: "none", reason: "no canary or shadow running" };
    }
    const { traffic } = pointer;
    const key = `${pointer.challenger.version}:${traffic.mode}:${traffic.challenger_percent}`;
    const now = this.#o.now();
    let step = this.#stepStart.get(model);
    if (step?.key !== key) {
      step = { key, at: now };
      this.#stepStart.set(model, step);
    }
    this.#o.metrics.canaryPercent.set(
      { model },
      traffic.mode === "canary" ? traffic.challenger_percent : 0,
    );
    const shadow = traffic.mode === "shadow";
    const challengerVariant = shadow ? "challenger_shadow" : "challenger";
    const stats = await readVariantStats(
      this.#o.store,
      model,
      ["champion", challengerVariant, "challenger"],
      step.at,
      now,
    );
    const champion = stats.champion;
    const challenger = { ...stats[challengerVariant] };
    if (shadow) {
      challenger.shadowCompared = stats.challenger.shadowCompared;
      challenger.shadowDisagreed = stats.challenger.shadowDisagreed;
      challenger.disagreementRate = stats.challenger.disagreementRate;
    }
    const base = { model, champion, challenger };
    const p = this.#o.policy;
    if (challenger.requests < p.minRequests && challenger.shadowCompared < p.minRequests) {
      return {
        ...base,
        action: "wait",
        reason: `${challenger.requests} of ${p.minRequests} requests`,
      };
    }
    const why = this.#failure(champion, challenger);
    if (why) return { ...base, action: "rollback", reason: why };
    if (now - step.at < p.minStepMs) {
      return { ...base, action: "wait", reason: `step younger than ${p.minStepMs} ms` };
    }
    if (shadow) {
      return {
        ...base,
        action: "advance",
        reason: "shadow agreed",
        traffic: { mode: "canary", challenger_percent: p.steps[0] },
      };
    }
    const next = p.steps.find((s) => s > traffic.challenger_percent);
    if (next === undefined) return { ...base, action: "promote", reason: "last step passed" };
    return {
      ...base,
      action: "advance",
      reason: `step ${traffic.challenger_percent} % passed`,
      traffic: { mode: "canary", challenger_percent: next },
    };
  }

  #failure(champion: VariantStats, challenger: VariantStats): string | null {
    const p = this.#o.policy;
    if (
      challenger.requests >= p.minRequests &&
      challenger.errorRate > champion.errorRate + p.errorMargin
    ) {
      return `error_rate: challenger ${fmt(challenger.errorRate)} > champion ${
        fmt(champion.errorRate)
      } + ${p.errorMargin}`;
    }
    if (
      challenger.requests >= p.minRequests && challenger.p99Ms !== null &&
      champion.p99Ms !== null &&
      challenger.p99Ms > champion.p99Ms * p.p99Factor &&
      challenger.p99Ms - champion.p99Ms >= p.p99MinDeltaMs
    ) {
      return `p99_latency: challenger ${challenger.p99Ms} ms > champion ${champion.p99Ms} ms × ${p.p99Factor}`;
    }
    if (
      challenger.shadowCompared >= p.minRequests &&
      challenger.disagreementRate > p.shadowDisagreement
    ) {
      return `shadow_disagreement: ${fmt(challenger.disagreementRate)} > ${p.shadowDisagreement}`;
    }
    return null;
  }

  /** Tags the rolled-back version with the reason where the registry supports tags. */
  async #recordWhy(model: string, version: string, reason: string): Promise<void> {
    const registry = this.#o.registry as Partial<TaggingRegistry>;
    if (typeof registry.setVersionTag !== "function") return;
    try {
      await registry.setVersionTag(model, version, "platform.rollback_reason", reason);
      await registry.setVersionTag(
        model,
        version,
        "platform.rolled_back_at",
        new Date(this.#o.now()).toISOString(),
      );
    } catch (error) {
      // The alias change is what matters; a missing tag is only logged.
      this.#o.log(
        "warn",
        `Cannot tag model '${model}' version ${version} with the rollback reason`,
        {
          model,
          version,
          error: error instanceof Error ? error.message : String(error),
        },
      );
    }
  }

  /** Makes the challenger the champion (old champion kept as `previous_champion`). */
  async promote(model: string): Promise<{ champion: string; previous: string | null }> {
    const aliases = await this.#o.registry.getAliases(model);
    const challenger = aliases.challenger;
    if (!challenger) throw new Error(`Cannot promote model '${model}': no challenger alias`);
    const previous = aliases.champion ?? null;
    if (previous) await this.#o.registry.setAlias(model, "previous_champion", previous);
    await this.#o.registry.setAlias(model, "champion", challenger);
    await this.#o.registry.deleteAlias(model, "challenger");
    this.#o.metrics.promotions.inc({ model });
    this.#o.log("info", `Promoted model '${model}' version ${challenger} to champion`, {
      model,
      champion: challenger,
      previous_champion: previous,
    });
    await this.#o.worker.sync(model, "promote");
    return { champion: challenger, previous };
  }

  /**
   * Rolls back: with a challenger running, removes it; otherwise restores
   * `champion` to `previous_champion`. Records why in metrics and logs.
   */
  async rollback(model: string, reason: string): Promise<{ restored: string; removed: string }> {
    const aliases = await this.#o.registry.getAliases(model);
    let removed: string;
    let restored: string;
    if (aliases.challenger && aliases.challenger !== aliases.champion) {
      removed = aliases.challenger;
      restored = aliases.champion;
      await this.#o.registry.deleteAlias(model, "challenger");
    } else if (aliases.previous_champion && aliases.previous_champion !== aliases.champion) {
      removed = aliases.champion;
      restored = aliases.previous_champion;
      await this.#o.registry.setAlias(model, "champion", restored);
    } else {
      throw new Error(`Cannot roll back model '${model}': no challenger and no previous champion`);
    }
    await this.#o.registry.setAlias(model, "rolled_back", removed);
    await this.#recordWhy(model, removed, reason);
    const label = reason.split(":")[0].trim() || "manual";
    this.#o.metrics.rollbacks.inc({ model, reason: label });
    this.#o.metrics.canaryPercent.set({ model }, 0);
    this.#o.log("warn", `Rolled back model '${model}' version ${removed}: ${reason}`, {
      model,
      removed,
      restored,
      reason,
    });
    this.#stepStart.delete(model);
    await this.#o.worker.sync(model, "rollback");
    return { restored, removed };
  }
}

/** A registry that can tag versions (MLflow does; the local folder does not). */
interface TaggingRegistry {
  setVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
}

function fmt(rate: number): string {
  return rate.toFixed(4);
}
