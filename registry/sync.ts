/**
 * The sync worker: follows the `champion` and `challenger` aliases of the
 * configured models in a `ModelRegistry` (MLflow or the local folder), by
 * polling and on webhook triggers. Each new version is validated before
 * anything changes; a version that fails is reported and never published,
 * so the pointer keeps what it had. When the registry is unreachable the
 * pointer is left alone and the edge keeps serving the last good model.
 *
 * @module
 */
import type { ModelPointer, PackageRef, TrafficSplit } from "../schemas/pointer.ts";
import { PlatformError } from "../schemas/errors.ts";
import type { ModelRegistry } from "./port.ts";
import { type ModelPublisher, type PointerContent, sameRef } from "./publish.ts";
import { validatePackage, type ValidationOptions, type ValidationResult } from "./validate.ts";
import type { RegistryLog, RegistryMetrics } from "./registry_metrics.ts";

/** How a new challenger is exposed. */
export type ChallengerMode = "canary" | "shadow" | "off";

/** Options of {@linkcode SyncWorker}. */
export interface SyncWorkerOptions {
  registry: ModelRegistry;
  publisher: ModelPublisher;
  models: string[];
  pollIntervalMs?: number;
  validation?: ValidationOptions;
  metrics: RegistryMetrics;
  log: RegistryLog;
  /** Traffic given to a newly published challenger (default canary at `firstCanaryPercent`). */
  challengerMode?: ChallengerMode;
  firstCanaryPercent?: number;
  /** A refused version is re-checked after this long (ms, default 60 s). */
  retryRefusedMs?: number;
  now?: () => number;
}

/** What one model's sync did. */
export interface SyncOutcome {
  model: string;
  changed: boolean;
  pointer: ModelPointer | null;
  refused: ValidationResult[];
}

/** What the status endpoint shows per model. */
export interface ModelSyncStatus {
  model: string;
  aliases: Record<string, string>;
  pointer: ModelPointer | null;
  lastSyncAt: string | null;
  lastError: { code: string; message: string; at: string } | null;
  refused: ValidationResult[];
}

interface Refused {
  result: ValidationResult;
  at: number;
}

/** Follows aliases and publishes validated versions. */
export class SyncWorker {
  readonly #o: Required<Omit<SyncWorkerOptions, "validation">> & { validation: ValidationOptions };
  readonly #published = new Map<string, PackageRef>();
  readonly #refused = new Map<string, Refused>();
  readonly #status = new Map<string, ModelSyncStatus>();
  readonly #running = new Map<string, Promise<SyncOutcome>>();
  readonly #again = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = true;
  #firstCycle: Promise<void> | undefined;

  constructor(options: SyncWorkerOptions) {
    this.#o = {
      ...options,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      challengerMode: options.challengerMode ?? "canary",
      firstCanaryPercent: options.firstCanaryPercent ?? 5,
      retryRefusedMs: options.retryRefusedMs ?? 60_000,
      now: options.now ?? Date.now,
      validation: options.validation ?? {},
    };
    for (const model of options.models) {
      this.#status.set(model, {
        model,
        aliases: {},
        pointer: null,
        lastSyncAt: null,
        lastError: null,
        refused: [],
      });
    }
  }

  /** The models this worker follows. */
  get models(): string[] {
    return [...this.#o.models];
  }

  /** Starts polling; resolves after the first cycle. */
  start(): Promise<void> {
    this.#stopped = false;
    this.#firstCycle = this.#cycle("poll");
    return this.#firstCycle;
  }

  /** Stops polling and waits for running syncs. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#running.values()]);
  }

  /**
   * True once every model was synced, or found to have nothing to publish
   * yet (not registered), at least once.
   */
  get ready(): boolean {
    return [...this.#status.values()].every((s) =>
      s.lastSyncAt !== null || s.lastError?.code === "model_not_found"
    );
  }

  /** Per-model status. */
  status(): ModelSyncStatus[] {
    return [...this.#status.values()].map((s) => ({ ...s, refused: this.#refusedOf(s.model) }));
  }

  /**
   * Syncs one model now (a webhook or a person asked). Concurrent calls for
   * the same model share the run in flight and schedule one more after it,
   * so a change made during a sync is never missed.
   */
  sync(model: string, trigger = "manual"): Promise<SyncOutcome> {
    const running = this.#running.get(model);
    if (running) {
      this.#again.add(model);
      return running.then(() => this.#running.get(model) ?? this.sync(model, trigger));
    }
    const run = this.#syncOnce(model, trigger).finally(() => {
      this.#running.delete(model);
      if (this.#again.delete(model)) void this.sync(model, trigger).catch(() => {});
    });
    this.#running.set(model, run);
    return run;
  }

  /** Forgets a refusal so the next sync re-validates the version. */
  forgetRefusal(model: string, version: string): void {
    this.#refused.delete(`${model}@${version}`);
  }

  async #cycle(trigger: string): Promise<void> {
    await Promise.allSettled(this.#o.models.map((m) => this.sync(m, trigger)));
    if (this.#stopped) return;
    const timer = setTimeout(() => void this.#cycle("poll"), this.#o.pollIntervalMs);
    Deno.unrefTimer(timer as unknown as number);
    this.#timer = timer;
  }

  async #syncOnce(model: string, trigger: string): Promise<SyncOutcome> {
    const end = this.#o.metrics.syncDuration.startTimer({ trigger });
    const status = this.#statusOf(model);
    try {
      const aliases = await this.#o.registry.getAliases(model);
      status.aliases = aliases;
      const before = await this.#o.publisher.readPointer(model);
      const refused: ValidationResult[] = [];
      const champion = aliases.champion
        ? await this.#ensurePublished(model, aliases.champion, refused, before)
        : null;
      const challengerVersion = aliases.challenger !== aliases.champion
        ? aliases.challenger
        : undefined;
      const challenger = challengerVersion
        ? await this.#ensurePublished(model, challengerVersion, refused, before)
        : null;
      const pointer = await this.#o.publisher.updatePointer(
        model,
        (current) => this.#decide(current, champion, challenger, challengerVersion),
      );
      const effective = pointer ?? await this.#o.publisher.readPointer(model);
      status.pointer = effective;
      status.lastSyncAt = new Date(this.#o.now()).toISOString();
      if (status.lastError) this.#o.log("info", `Sync of model '${model}' recovered`, { model });
      status.lastError = null;
      this.#o.metrics.lastSync.set({ model }, this.#o.now() / 1000);
      if (effective) this.#o.metrics.pointerRevision.set({ model }, effective.revision);
      if (pointer) {
        this.#o.metrics.publishes.inc({ model });
        this.#o.log("info", `Published model '${model}' revision ${pointer.revision}`, {
          model,
          revision: pointer.revision,
          champion: pointer.champion.version,
          challenger: pointer.challenger?.version ?? null,
          traffic: pointer.traffic,
          trigger,
        });
      }
      return { model, changed: pointer !== null, pointer: effective, refused };
    } catch (error) {
      const code = error instanceof PlatformError ? error.code : "internal";
      const message = error instanceof Error ? error.message : String(error);
      const repeated = status.lastError?.code === code && status.lastError.message === message;
      status.lastError = { code, message, at: new Date(this.#o.now()).toISOString() };
      this.#o.metrics.syncErrors.inc({ model, code });
      // Log a failure when it starts or changes, not on every poll.
      if (!repeated) {
        this.#o.log("warn", `Cannot sync model '${model}': ${message}`, { model, code, trigger });
      }
      throw error;
    } finally {
      end();
    }
  }

  /** The next pointer content, or null when nothing changes. */
  #decide(
    current: ModelPointer | null,
    champion: PackageRef | null,
    challenger: PackageRef | null,
    challengerVersion: string | undefined,
  ): PointerContent | null {
    // A refused or missing champion never replaces the one being served.
    const nextChampion = champion ?? current?.champion ?? null;
    if (!nextChampion) return null;
    let nextChallenger: PackageRef | null;
    if (!challengerVersion) nextChallenger = null;
    else if (challenger) nextChallenger = challenger;
    else if (current?.challenger?.version === challengerVersion) {
      nextChallenger = current.challenger;
    } else nextChallenger = null;
    if (nextChallenger?.version === nextChampion.version) nextChallenger = null;

    let traffic: TrafficSplit = current?.traffic ?? { mode: "single", challenger_percent: 0 };
    if (!nextChallenger) traffic = { mode: "single", challenger_percent: 0 };
    else if (!sameRef(nextChallenger, current?.challenger ?? null)) {
      traffic = this.#newChallengerTraffic();
    }
    const unchanged = current !== null && sameRef(current.champion, nextChampion) &&
      sameRef(current.challenger, nextChallenger) &&
      current.traffic.mode === traffic.mode &&
      current.traffic.challenger_percent === traffic.challenger_percent;
    return unchanged ? null : { champion: nextChampion, challenger: nextChallenger, traffic };
  }

  #newChallengerTraffic(): TrafficSplit {
    switch (this.#o.challengerMode) {
      case "canary":
        return { mode: "canary", challenger_percent: this.#o.firstCanaryPercent };
      case "shadow":
        return { mode: "shadow", challenger_percent: 0 };
      default:
        return { mode: "single", challenger_percent: 0 };
    }
  }

  /** Validates and stores a version once; null when it is refused. */
  async #ensurePublished(
    model: string,
    version: string,
    refused: ValidationResult[],
    before: ModelPointer | null,
  ): Promise<PackageRef | null> {
    const key = `${model}@${version}`;
    const known = this.#published.get(key);
    if (known) {
      const served = [before?.champion, before?.challenger].some((r) => sameRef(r, known));
      // Blobs of a version that left the pointer expire, and a restarted or
      // flushed Redis loses them all: check before pointing at them again.
      if (served || await this.#o.publisher.ensureStored(known)) return known;
      this.#published.delete(key);
    }
    const previous = this.#refused.get(key);
    if (previous && this.#o.now() - previous.at < this.#o.retryRefusedMs) {
      refused.push(previous.result);
      return null;
    }
    const result = await this.#loadAndValidate(model, version);
    if (!result.ok) {
      this.#refused.set(key, { result, at: this.#o.now() });
      refused.push(result);
      this.#o.metrics.validations.inc({ model, result: "failed" });
      this.#o.metrics.validationFailures.inc({ model, reason: result.reason ?? "unknown" });
      this.#o.log("error", result.message ?? `Model '${model}' version ${version} refused`, {
        model,
        version,
        reason: result.reason,
      });
      return null;
    }
    this.#o.metrics.validations.inc({ model, result: "passed" });
    const pkg = result.pkg!;
    const ref = await this.#o.publisher.putPackage(pkg);
    this.#published.set(key, ref);
    this.#refused.delete(key);
    this.#o.log("info", `Validated model '${model}' version ${version}`, {
      model,
      version,
      sha256: ref.sha256,
      max_golden_error: result.maxGoldenError,
      latency_p99_ms: result.latency?.p99_ms,
    });
    return ref;
  }

  async #loadAndValidate(
    model: string,
    version: string,
  ): Promise<ValidationResult & { pkg?: Awaited<ReturnType<ModelRegistry["getPackage"]>> }> {
    let pkg;
    try {
      pkg = await this.#o.registry.getPackage(model, version);
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      const reason = error.code === "artifact_corrupt"
        ? "sha256_mismatch"
        : error.code === "artifact_invalid"
        ? "manifest_invalid"
        : undefined;
      if (!reason) throw error;
      return { ok: false, model, version, sha256: "", reason, message: error.message };
    }
    const result = await validatePackage(pkg, this.#o.validation);
    return { ...result, pkg };
  }

  /**
   * The status entry of a model; a model outside `models` (synced on demand
   * by an operator command) gets a transient one, so it neither shows in
   * `status()` nor holds up `ready`.
   */
  #statusOf(model: string): ModelSyncStatus {
    return this.#status.get(model) ?? {
      model,
      aliases: {},
      pointer: null,
      lastSyncAt: null,
      lastError: null,
      refused: [],
    };
  }

  #refusedOf(model: string): ValidationResult[] {
    return [...this.#refused.entries()].filter(([k]) => k.startsWith(`${model}@`)).map(([, r]) =>
      r.result
    );
  }
}
