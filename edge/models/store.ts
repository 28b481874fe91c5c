/**
 * `ModelStore`: the versions of each model held in memory as warmed ONNX
 * sessions, and the route (aliases, traffic) requests resolve against.
 *
 * A route change is applied only after every version it names has been
 * built and warmed beside the old ones; then the route is swapped in one
 * assignment. Requests in flight hold their version (reference counted), so
 * they finish on the old session; unreferenced versions beyond `maxVersions`
 * are released.
 *
 * Bounded against request-driven work: a version that failed to load is
 * not tried again before a backoff (1 s doubling to 60 s) runs out, a
 * selector that names no version is answered from a short negative cache
 * (one route check per `pollMs`) instead of a source read per request, and
 * the per-model error maps keep at most {@linkcode MAX_TRACKED_MODELS}
 * names, so neither memory nor source reads grow with the names clients
 * send.
 *
 * @module
 */
import type { ModelManifest } from "../../schemas/manifest.ts";
import { EdgeError } from "../errors.ts";
import { type ModelExplainer, prepareExplainer } from "../explain.ts";
import { OnnxSession } from "../../pipeline/onnx/session.ts";
import { ModelSessionError } from "../../pipeline/errors.ts";
import type { ModelRoute, ModelSource } from "./port.ts";

/** One warmed version of a model. */
export interface LoadedModel {
  name: string;
  version: string;
  manifest: ModelManifest;
  session: OnnxSession;
  /** Its explainer (built at load), or why it cannot be explained. */
  explain: ModelExplainer;
  sha256: string;
  /** ISO time it finished warming. */
  loadedAt: string;
  /** Requests currently using it. */
  inflight: number;
  /** Evicted; released when `inflight` drops to 0. */
  retired: boolean;
  /** Last time it served (for eviction order). */
  lastUsedMs: number;
}

/** Options of {@linkcode ModelStore}. */
export interface ModelStoreOptions {
  source: ModelSource;
  /** Versions per model in memory at most (aliased versions are always kept). */
  maxVersions?: number;
  /** Least time between two route checks of one model (ms). */
  pollMs?: number;
  /** Longest wait for one answer of the model source (ms, default 15000). */
  timeoutMs?: number;
  /** Epoch ms clock. */
  now?: () => number;
  /** Coalescing options of the sessions. */
  coalesce?: boolean;
  maxRows?: number;
  /** Called with the row count of every coalesced ONNX run. */
  onRun?: (rows: number) => void;
  /** Called after each load attempt (for metrics and logs). */
  onLoad?: (name: string, version: string, ok: boolean, error?: unknown) => void;
  /** Called when a background route check fails. */
  onRefreshError?: (name: string, error: unknown) => void;
  /** Called after a model is unloaded or loaded. */
  onChange?: (loaded: LoadedModel[]) => void;
}

const MODEL_NAME = /^(?!\.)[A-Za-z0-9_.-]{1,100}$/;

/** Most model names (or versions) each error and miss map keeps. */
export const MAX_TRACKED_MODELS = 256;
/** First wait after a failed load, ms; doubles per failure up to {@linkcode LOAD_BACKOFF_MAX_MS}. */
export const LOAD_BACKOFF_MS = 1000;
/** Longest wait between two load attempts of one version, ms. */
export const LOAD_BACKOFF_MAX_MS = 60_000;

/** Sets `key` in `map`, dropping the oldest entries beyond `max` (insertion order). */
function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max = MAX_TRACKED_MODELS): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

interface LoadFailure {
  error: unknown;
  retryAt: number;
  waitMs: number;
}

interface ModelState {
  route: ModelRoute;
  checkedAt: number;
}

/** Loaded model versions and their routes. */
export class ModelStore {
  readonly source: ModelSource;
  readonly #opts: Required<Pick<ModelStoreOptions, "maxVersions" | "pollMs" | "now">>;
  readonly #options: ModelStoreOptions;
  readonly #states = new Map<string, ModelState>();
  readonly #loaded = new Map<string, LoadedModel>();
  readonly #loading = new Map<string, Promise<LoadedModel>>();
  readonly #refreshing = new Map<string, Promise<ModelRoute>>();
  /** Last error of a route check, per model (for /health); at most MAX_TRACKED_MODELS. */
  readonly lastErrors = new Map<string, string>();
  readonly #failures = new Map<string, LoadFailure>();
  /** `name\0selector` → revision of the route that did not resolve it, and when. */
  readonly #misses = new Map<string, { revision: string; at: number }>();
  readonly #timeoutMs: number;

  constructor(options: ModelStoreOptions) {
    this.source = options.source;
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#opts = {
      maxVersions: options.maxVersions ?? 4,
      pollMs: options.pollMs ?? 1000,
      now: options.now ?? Date.now,
    };
  }

  /** The current route of a model, if it was resolved once. */
  route(name: string): ModelRoute | undefined {
    return this.#states.get(name)?.route;
  }

  /** Loaded versions, optionally of one model. */
  loaded(name?: string): LoadedModel[] {
    return [...this.#loaded.values()].filter((m) => !m.retired && (!name || m.name === name));
  }

  /** Whether `selector` of `name` resolves to a warmed version without I/O. */
  isReady(name: string, selector: string): boolean {
    const route = this.route(name);
    if (!route) return false;
    const version = resolveSelector(route, selector);
    return version !== undefined && this.#loaded.has(key(name, version));
  }

  /**
   * Resolves `selector` (alias, version number or `latest`) of model `name`
   * to a warmed version, loading it if needed, and marks it in use. Call
   * {@linkcode ModelStore.release} when done.
   */
  async acquire(name: string, selector: string): Promise<LoadedModel> {
    let route = await this.#currentRoute(name);
    let version = resolveSelector(route, selector);
    const missKey = key(name, selector);
    if (version === undefined) {
      const miss = this.#misses.get(missKey);
      const fresh = miss !== undefined && miss.revision === route.revision &&
        this.#opts.now() - miss.at < this.#opts.pollMs;
      if (!fresh) {
        // A version published since the last check: look once more (concurrent misses share it).
        route = await this.refresh(name);
        version = resolveSelector(route, selector);
      }
    }
    if (version === undefined) {
      setBounded(this.#misses, missKey, { revision: route.revision, at: this.#opts.now() });
      throw new EdgeError(
        "version_not_found",
        `Version not found for model '${name}': ${selector.slice(0, 100)}`,
      );
    }
    const model = this.#loaded.get(key(name, version)) ?? await this.#load(name, version);
    model.inflight++;
    model.lastUsedMs = this.#opts.now();
    return model;
  }

  /** Marks a version acquired with {@linkcode ModelStore.acquire} as no longer in use. */
  release(model: LoadedModel): void {
    model.inflight--;
    if (model.retired && model.inflight === 0) void model.session.release();
  }

  /**
   * Checks the route of `name` now; versions it names are built and warmed
   * before the route is swapped in.
   */
  refresh(name: string): Promise<ModelRoute> {
    const running = this.#refreshing.get(name);
    if (running) return running;
    const p = this.#doRefresh(name).finally(() => this.#refreshing.delete(name));
    this.#refreshing.set(name, p);
    return p;
  }

  /** Releases every session. */
  async close(): Promise<void> {
    const all = [...this.#loaded.values()];
    this.#loaded.clear();
    await Promise.all(all.map((m) => m.session.release()));
  }

  /**
   * The route of `name` as the source has it now, without loading anything
   * or changing what is served (for listings; the served route may follow
   * a moment later, once its versions are warmed).
   */
  inspect(name: string): Promise<ModelRoute> {
    if (!MODEL_NAME.test(name)) {
      return Promise.reject(
        new EdgeError("model_not_found", `Model not found '${name.slice(0, 100)}'`),
      );
    }
    return this.#deadline(this.source.getRoute(name), name);
  }

  /** The route of `name`, checked at most every `pollMs` (the check runs beside requests). */
  routeOf(name: string): Promise<ModelRoute> {
    return this.#currentRoute(name);
  }

  /**
   * The current route without waiting, when the model was resolved before
   * (a stale route starts a check beside the request); else `undefined`.
   */
  routeNow(name: string): ModelRoute | undefined {
    const state = this.#states.get(name);
    if (!state) return undefined;
    if (this.#opts.now() - state.checkedAt >= this.#opts.pollMs && !this.#refreshing.has(name)) {
      // Serve from the current route; the check (and any swap) runs beside it.
      this.refresh(name).catch(() => {});
    }
    return state.route;
  }

  /**
   * {@linkcode ModelStore.acquire} without waiting, when the version is
   * already warmed; else `undefined` (then call `acquire`).
   */
  tryAcquire(name: string, selector: string): LoadedModel | undefined {
    const route = this.routeNow(name);
    const version = route && resolveSelector(route, selector);
    const model = version === undefined ? undefined : this.#loaded.get(key(name, version));
    if (!model) return undefined;
    model.inflight++;
    model.lastUsedMs = this.#opts.now();
    return model;
  }

  async #currentRoute(name: string): Promise<ModelRoute> {
    if (!MODEL_NAME.test(name)) {
      throw new EdgeError("model_not_found", `Model not found '${name.slice(0, 100)}'`);
    }
    return this.routeNow(name) ?? await this.refresh(name);
  }

  async #doRefresh(name: string): Promise<ModelRoute> {
    const previous = this.#states.get(name);
    let route: ModelRoute;
    try {
      route = await this.#deadline(this.source.getRoute(name), name);
      if (!previous || previous.route.revision !== route.revision) {
        // Build and warm every aliased version before the route points at it.
        const wanted = new Set(Object.values(route.aliases));
        if (wanted.size === 0 && route.versions.length > 0) wanted.add(route.versions.at(-1)!);
        await Promise.all(
          [...wanted].map((v) => this.#loaded.get(key(name, v)) ?? this.#load(name, v)),
        );
      }
      this.lastErrors.delete(name);
    } catch (error) {
      if (previous) previous.checkedAt = this.#opts.now();
      if (!(error instanceof EdgeError && error.code === "model_not_found")) {
        setBounded(this.lastErrors, name, error instanceof Error ? error.message : String(error));
        this.#options.onRefreshError?.(name, error);
      }
      throw error;
    }
    this.#states.set(name, { route, checkedAt: this.#opts.now() });
    this.#evict(name);
    return route;
  }

  #load(name: string, version: string): Promise<LoadedModel> {
    const k = key(name, version);
    const running = this.#loading.get(k);
    if (running) return running;
    const failed = this.#failures.get(k);
    if (failed && this.#opts.now() < failed.retryAt) {
      // Refused without touching the source: a bad artifact costs one load per backoff.
      const cause = failed.error;
      return Promise.reject(
        cause instanceof EdgeError || cause instanceof ModelSessionError ? cause : new EdgeError(
          "model_load_failed",
          `Cannot load model '${name}' version ${version}`,
          { cause },
        ),
      );
    }
    const p = (async () => {
      try {
        const pkg = await this.#deadline(this.source.getPackage(name, version), name);
        const session = await OnnxSession.create(pkg.onnx, pkg.manifest, {
          coalesce: this.#options.coalesce,
          maxRows: this.#options.maxRows,
          onRun: this.#options.onRun,
        });
        const explain = await prepareExplainer(pkg.onnx, pkg.manifest, session);
        const model: LoadedModel = {
          name,
          version,
          manifest: pkg.manifest,
          session,
          explain,
          sha256: pkg.manifest.sha256,
          loadedAt: new Date(this.#opts.now()).toISOString(),
          inflight: 0,
          retired: false,
          lastUsedMs: this.#opts.now(),
        };
        this.#loaded.set(k, model);
        this.#failures.delete(k);
        this.#options.onLoad?.(name, version, true);
        this.#evict(name);
        this.#options.onChange?.(this.loaded());
        return model;
      } catch (error) {
        const waitMs = failed ? Math.min(failed.waitMs * 2, LOAD_BACKOFF_MAX_MS) : LOAD_BACKOFF_MS;
        setBounded(this.#failures, k, { error, waitMs, retryAt: this.#opts.now() + waitMs });
        this.#options.onLoad?.(name, version, false, error);
        throw error;
      } finally {
        this.#loading.delete(k);
      }
    })();
    this.#loading.set(k, p);
    return p;
  }

  /** A source that never answers must not block later checks or hang requests. */
  #deadline<T>(p: Promise<T>, name: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new EdgeError(
            "model_not_ready",
            `Model not ready '${name}': the model source did not answer within ${this.#timeoutMs} ms`,
          ),
        );
      }, this.#timeoutMs);
    });
    return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
  }

  /** Drops least recently used, unaliased versions beyond `maxVersions`. */
  #evict(name: string): void {
    const pinned = new Set(Object.values(this.route(name)?.aliases ?? {}));
    const mine = this.loaded(name);
    let excess = mine.length - this.#opts.maxVersions;
    if (excess <= 0) return;
    const candidates = mine.filter((m) => !pinned.has(m.version))
      .sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    for (const m of candidates) {
      if (excess-- <= 0) break;
      this.#loaded.delete(key(name, m.version));
      m.retired = true;
      if (m.inflight === 0) void m.session.release();
    }
    this.#options.onChange?.(this.loaded());
  }
}

/** Resolves an alias, a version number or `latest` against a route. */
export function resolveSelector(route: ModelRoute, selector: string): string | undefined {
  if (Object.hasOwn(route.aliases, selector)) return route.aliases[selector];
  if (selector === "latest") return route.versions.at(-1);
  if (route.versions.includes(selector)) return selector;
  return undefined;
}

function key(name: string, version: string): string {
  return `${name}\u0000${version}`;
}
