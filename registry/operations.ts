/**
 * Model operations for people: list, status, promote, canary and rollback,
 * the one implementation behind `deno task model:*`, the embedded
 * platform's `/admin/models` routes and the operator console's buttons.
 *
 * Every operation checks everything it can before it changes anything
 * (the model and version exist, the version passes validation, the inputs
 * clients send stay the same unless `force`), then changes the aliases and
 * moves the pointer. When the pointer cannot move, the aliases are put back,
 * so an operation either completes or changes nothing, and its error says
 * which.
 *
 * `ModelControl` (`model_control.ts`) is the interface; {@linkcode ModelOperations}
 * implements it on a sync service (in the process that serves, or against
 * shared MLflow + Redis state); `admin_client.ts` implements it over HTTP
 * against a running platform.
 *
 * @module
 */
import type { ModelPointer, TrafficSplit } from "../schemas/pointer.ts";
import { PlatformError } from "../schemas/errors.ts";
import { readVariantStats } from "./_counters.ts";
import { RegistryError } from "./errors.ts";
import { compareInputs, describeInputChanges, type InputChange } from "./input_changes.ts";
import type {
  CanaryOptions,
  ModelControl,
  ModelListing,
  ModelStatus,
  OperationResult,
  PromoteOptions,
  RollbackOptions,
  VersionListing,
} from "./model_control.ts";
import type { ModelPackage, ModelRegistry } from "./port.ts";
import type { ModelPublisher } from "./publish.ts";
import type { RolloutController } from "./rollout_controller.ts";
import type { RegistryStore } from "./store/port.ts";
import type { SyncWorker } from "./sync.ts";
import { validatePackage, type ValidationOptions } from "./validate.ts";

/** What {@linkcode ModelOperations} works on. */
export interface ModelOperationsDeps {
  registry: ModelRegistry;
  publisher: ModelPublisher;
  store: RegistryStore;
  worker: SyncWorker;
  rollout: RolloutController;
  validation?: ValidationOptions;
  /** Canary steps in percent; the first is the default share. */
  canarySteps: number[];
  /** Models the sync worker follows. */
  followed: string[];
  /**
   * Whether the pointer this process moves is the one serving edges read
   * (the running platform's own, or a shared Redis). When false, aliases
   * still change in the registry, but a traffic split has nowhere to live.
   */
  pointerIsLive: boolean;
  /** Where changes take effect, for people (`the running platform`, ...). */
  target: string;
  /** Runs after each change (the embedded platform refreshes its edge route). */
  afterChange?: (model: string) => Promise<void>;
  now?: () => number;
}

const MANAGED_ALIASES = ["champion", "challenger", "previous_champion", "rolled_back"];
const STATUS_WINDOW_MS = 300_000;

/** The model operations on a sync service. */
export class ModelOperations implements ModelControl {
  readonly #d: ModelOperationsDeps;
  readonly target: string;

  constructor(deps: ModelOperationsDeps) {
    this.#d = deps;
    this.target = deps.target;
  }

  async list(): Promise<ModelListing[]> {
    const names = await this.#d.registry.listModels();
    return await Promise.all(
      names.map(async (model) => ({ model, versions: await this.#versions(model) })),
    );
  }

  async status(model: string): Promise<ModelStatus> {
    const [aliases, versions, pointer] = await Promise.all([
      this.#d.registry.getAliases(model),
      this.#versions(model),
      this.#d.publisher.readPointer(model),
    ]);
    const now = (this.#d.now ?? Date.now)();
    const stats = await readVariantStats(
      this.#d.store,
      model,
      ["champion", "challenger", "challenger_shadow"],
      now - STATUS_WINDOW_MS,
      now,
    );
    return {
      model,
      aliases,
      versions,
      pointer,
      traffic: pointer?.traffic ?? { mode: "single", challenger_percent: 0 },
      window_seconds: STATUS_WINDOW_MS / 1000,
      requests: {
        champion: stats.champion,
        challenger: stats.challenger,
        challenger_shadow: stats.challenger_shadow,
      },
      followed: this.#d.followed.includes(model),
      target: this.target,
    };
  }

  async promote(model: string, options: PromoteOptions = {}): Promise<OperationResult> {
    const before = await this.#d.registry.getAliases(model);
    const version = options.version ?? before.challenger;
    if (!version) {
      throw refused(
        "invalid_request",
        `Cannot promote model '${model}': it has no challenger; name a version with --version`,
      );
    }
    await this.#checkVersion(model, version);
    if (before.champion === version) {
      return this.#result(
        model,
        "none",
        `Version ${version} of model '${model}' is already the champion: nothing changed`,
        [],
        before,
      );
    }
    const changes = await this.#checkCandidate(
      model,
      version,
      before.champion,
      "promote",
      options.force,
    );
    await this.#applying(model, before, async () => {
      if (before.challenger !== version) {
        await this.#d.registry.setAlias(model, "challenger", version);
      }
      await this.#d.rollout.promote(model);
    });
    const after = await this.#d.registry.getAliases(model);
    return this.#result(
      model,
      "promote",
      `Promoted model '${model}' version ${version} to champion (previous champion ${
        before.champion ?? "none"
      })${forcedNote(changes)}${this.#where(model)}`,
      changes,
      after,
    );
  }

  async canary(model: string, options: CanaryOptions): Promise<OperationResult> {
    const { version } = options;
    const traffic = this.#traffic(options);
    if (!this.#d.pointerIsLive) {
      throw refused(
        "no_running_platform",
        `Cannot start a canary of model '${model}': a traffic split lives in the pointer the serving edges read, and this command reaches none (no running platform found, and UPSTASH_REDIS_REST_URL is not set); start the platform with deno task start, or set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN for edges that follow the Redis pointer`,
      );
    }
    const before = await this.#d.registry.getAliases(model);
    await this.#checkVersion(model, version);
    if (before.champion === version) {
      throw refused(
        "invalid_request",
        `Cannot start a canary of model '${model}' version ${version}: it is the champion`,
      );
    }
    if (!before.champion) {
      throw refused(
        "invalid_request",
        `Cannot start a canary of model '${model}': it has no champion to compare with; promote a version first`,
      );
    }
    const changes = await this.#checkCandidate(
      model,
      version,
      before.champion,
      "canary",
      options.force,
    );
    const pointer = await this.#applying(model, before, async () => {
      await this.#d.registry.setAlias(model, "challenger", version);
      const outcome = await this.#d.worker.sync(model, "canary");
      if (outcome.refused.some((r) => r.version === version)) {
        throw new RegistryError(
          "artifact_invalid",
          outcome.refused.map((r) => r.message).join("; "),
        );
      }
      const moved = await this.#d.publisher.updatePointer(
        model,
        (c) => c?.challenger?.version === version ? { ...c, traffic } : null,
      );
      const now = moved ?? await this.#d.publisher.readPointer(model);
      if (now?.challenger?.version !== version) {
        throw new RegistryError(
          "publish_failed",
          `the pointer of model '${model}' does not name version ${version} as challenger`,
        );
      }
      return now;
    });
    const split = traffic.mode === "shadow"
      ? "in shadow (scored, not served)"
      : `at ${traffic.challenger_percent} % of traffic`;
    return this.#result(
      model,
      "canary",
      `Canary of model '${model}' version ${version} ${split} against champion ${before.champion}${
        forcedNote(changes)
      }${this.#where(model)}`,
      changes,
      await this.#d.registry.getAliases(model),
      pointer,
    );
  }

  async rollback(model: string, options: RollbackOptions = {}): Promise<OperationResult> {
    const before = await this.#d.registry.getAliases(model);
    let removed: string;
    let restored: string;
    if (before.challenger && before.challenger !== before.champion) {
      [removed, restored] = [before.challenger, before.champion];
    } else if (before.previous_champion && before.previous_champion !== before.champion) {
      [removed, restored] = [before.champion, before.previous_champion];
    } else {
      throw refused(
        "invalid_request",
        `Cannot roll back model '${model}': it has no challenger and no previous champion`,
      );
    }
    const changes = restored && removed === before.champion
      ? compareInputs(
        (await this.#package(model, removed)).manifest,
        (await this.#package(model, restored)).manifest,
      )
      : [];
    await this.#applying(model, before, async () => {
      await this.#d.rollout.rollback(model, `manual: ${options.reason ?? "requested"}`);
    });
    const note = changes.length > 0
      ? `; the inputs change back (${describeInputChanges(changes)})`
      : "";
    return this.#result(
      model,
      "rollback",
      `Rolled back model '${model}': removed version ${removed}, serving ${restored}${note}${
        this.#where(model)
      }`,
      changes,
      await this.#d.registry.getAliases(model),
    );
  }

  #traffic(options: CanaryOptions): TrafficSplit {
    if (options.shadow) {
      if (options.percent !== undefined) {
        throw refused("invalid_request", "Use either a percent or shadow, not both");
      }
      return { mode: "shadow", challenger_percent: 0 };
    }
    const percent = options.percent ?? this.#d.canarySteps[0] ?? 5;
    if (!(Number.isFinite(percent) && percent > 0 && percent <= 100)) {
      throw refused("invalid_request", `The canary percent must be in (0, 100], got ${percent}`);
    }
    return { mode: "canary", challenger_percent: percent };
  }

  async #versions(model: string): Promise<VersionListing[]> {
    return (await this.#d.registry.listVersions(model)).map((v) => ({
      version: v.version,
      created_at: v.created_at,
      sha256: v.sha256,
      aliases: v.aliases,
    }));
  }

  async #checkVersion(model: string, version: string): Promise<void> {
    const versions = await this.#d.registry.listVersions(model);
    if (!versions.some((v) => v.version === version)) {
      throw new RegistryError(
        "version_not_found",
        `Version not found for model '${model}': ${version} (versions: ${
          versions.map((v) => v.version).join(", ") || "none"
        })`,
      );
    }
  }

  #package(model: string, version: string): Promise<ModelPackage> {
    return this.#d.registry.getPackage(model, version);
  }

  /** Validates `version` and compares its inputs with the champion's; refuses before any change. */
  async #checkCandidate(
    model: string,
    version: string,
    champion: string | undefined,
    verb: "promote" | "canary",
    force = false,
  ): Promise<InputChange[]> {
    const pkg = await this.#package(model, version);
    const doing = verb === "promote"
      ? `promote model '${model}' version ${version}`
      : `start a canary of model '${model}' version ${version}`;
    const changes = champion
      ? compareInputs((await this.#package(model, champion)).manifest, pkg.manifest)
      : [];
    if (changes.length > 0 && !force) {
      throw refused(
        "input_schema_changed",
        `Cannot ${doing}: its inputs differ from champion version ${champion}'s (${
          describeInputChanges(changes)
        }), so clients sending version ${champion}'s inputs could get 422; pass --force to go ahead`,
        { details: changes },
      );
    }
    const result = await validatePackage(pkg, this.#d.validation);
    if (!result.ok) {
      throw refused("artifact_invalid", `Cannot ${doing}: ${result.message ?? result.reason}`);
    }
    return changes;
  }

  /**
   * Runs the change; when it fails, puts the aliases back as they were so
   * the operation changes nothing, and says whether that worked.
   */
  async #applying<T>(
    model: string,
    before: Record<string, string>,
    change: () => Promise<T>,
  ): Promise<T> {
    let out: T;
    try {
      out = await change();
    } catch (error) {
      const restored = await this.#restore(model, before).then(() => true, () => false);
      const message = error instanceof Error ? error.message : String(error);
      throw new RegistryError(
        error instanceof PlatformError && error.code === "registry_unavailable"
          ? "registry_unavailable"
          : "publish_failed",
        `Cannot change model '${model}': ${message}; ${
          restored
            ? "its aliases were put back, nothing changed"
            : "its aliases could not be put back: check them with deno task model:status"
        }`,
        { cause: error },
      );
    }
    await this.#d.afterChange?.(model);
    return out;
  }

  async #restore(model: string, before: Record<string, string>): Promise<void> {
    const now = await this.#d.registry.getAliases(model);
    for (const alias of MANAGED_ALIASES) {
      if (before[alias] === now[alias]) continue;
      if (before[alias]) await this.#d.registry.setAlias(model, alias, before[alias]);
      else await this.#d.registry.deleteAlias(model, alias);
    }
    await this.#d.worker.sync(model, "restore").catch(() => {});
  }

  #where(model: string): string {
    const unfollowed = this.#d.followed.includes(model)
      ? ""
      : ` (note: REGISTRY_MODELS does not list '${model}', so registry:sync does not follow its aliases)`;
    return ` — ${this.target}${unfollowed}`;
  }

  async #result(
    model: string,
    action: OperationResult["action"],
    message: string,
    changes: InputChange[],
    aliases: Record<string, string>,
    pointer?: ModelPointer | null,
  ): Promise<OperationResult> {
    return {
      model,
      action,
      message,
      aliases,
      pointer: pointer === undefined ? await this.#d.publisher.readPointer(model) : pointer,
      input_changes: changes,
    };
  }
}

function refused(
  code: ConstructorParameters<typeof RegistryError>[0],
  message: string,
  options?: { details?: unknown },
): RegistryError {
  return new RegistryError(code, `${message}; nothing changed`, options);
}

function forcedNote(changes: InputChange[]): string {
  return changes.length > 0 ? `; forced, inputs change: ${describeInputChanges(changes)}` : "";
}

export type {
  CanaryOptions,
  ModelControl,
  ModelListing,
  ModelStatus,
  OperationResult,
  PromoteOptions,
  RollbackOptions,
  VersionListing,
};
