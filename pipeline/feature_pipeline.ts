/**
 * `FeaturePipeline`: raw messages of any source of a feature repository in,
 * exact windowed features of every view out, durable in the feature store
 * and fresh in the online cache.
 *
 * @module
 */
import type { Registry } from "prom-client";
import { redisKeys } from "../schemas/pointer.ts";
import { EventValidator } from "../schemas/event.ts";
import {
  computeWindowFeatures,
  computeWindowFeaturesFromEvents,
  entityIdOf,
  type FeatureView,
  mergeEvents,
  ONLINE_TTL_SECONDS,
  type OnlineEntityState,
  parseOnlineState,
  toWindowEvent,
  type WindowEvent,
} from "./features/mod.ts";
import type { FeatureRepository } from "./definitions/repository.ts";
import { loadExample } from "./definitions/load.ts";
import type {
  DeadLetterInput,
  FeatureStore,
  HistoryKey,
  StoredEvent,
  ViewContribution,
} from "./store/port.ts";
import { historyKey } from "./store/port.ts";
import { type OnlineCache, revisionOf } from "./online/port.ts";
import { RetryableError } from "./errors.ts";
import { PlatformError } from "../schemas/errors.ts";
import { FeatureMetrics } from "./feature_metrics.ts";
import { decodeEvent, toBase64 } from "./_decode.ts";

/** Compare-and-set rounds before a batch gives up with `RetryableError`. */
const MAX_CAS_ATTEMPTS = 8;

/** A raw message from any source. */
export interface PipelineMessage {
  payload: Uint8Array | string;
  /** The repository source it carries; default the repository's default source. */
  source?: string;
  meta?: Record<string, string>;
}

/** What happened to a batch. */
export interface BatchResult {
  accepted: number;
  duplicate: number;
  dead_lettered: number;
  rejections: { index: number; reason: string }[];
}

/** Dependencies and options of {@linkcode FeaturePipeline}. */
export interface FeaturePipelineOptions {
  store: FeatureStore;
  cache: OnlineCache;
  /** The feature repository: sources, views, request features. Default the `fraud` example. */
  repository?: FeatureRepository;
  /** Where the `features_*` metrics are registered; none when omitted. */
  registry?: Registry;
  /**
   * Also export `features_value_min`/`_max` (raw values of recent events) on
   * `/metrics`; off by default (`FEATURES_METRICS_EXTREMES`).
   */
  metricsExtremes?: boolean;
  /** Processing clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Accepted future skew of event timestamps for every source (default each source's own). */
  maxFutureMs?: number;
  /**
   * Keep the online cache up to date (default true). An offline loader whose
   * cache is process-local (the ingest CLI on the embedded store) turns it
   * off: nobody reads that cache, the platform rebuilds its own from the
   * store at start, and rebuilding states of entities with history made a
   * re-ingest of known events 4-5x slower than new ones.
   */
  online?: boolean;
}

/** Feature values of one entity as of a time. */
export interface EntityFeatures {
  entity_type: string;
  entity_id: string;
  as_of: string;
  features: Record<string, number>;
}

/** The pipeline. Stateless between batches: safe to run in many workers. */
export class FeaturePipeline {
  /** The repository it computes. */
  readonly repository: FeatureRepository;
  /** Every view of the repository. */
  readonly views: readonly FeatureView[];
  readonly #store: FeatureStore;
  readonly #cache: OnlineCache;
  readonly #metrics?: FeatureMetrics;
  readonly #now: () => number;
  readonly #viewsBySource = new Map<string, FeatureView[]>();
  readonly #validators = new Map<string, EventValidator>();
  readonly #online: boolean;

  constructor(options: FeaturePipelineOptions) {
    this.#store = options.store;
    this.#cache = options.cache;
    this.repository = options.repository ?? loadExample("fraud");
    this.views = this.repository.views;
    for (const s of this.repository.sources) {
      this.#viewsBySource.set(s.name, this.repository.viewsOfSource(s.name));
      this.#validators.set(
        s.name,
        options.maxFutureMs === undefined
          ? this.repository.validator(s.name)
          : new EventValidator(s, { maxFutureMs: options.maxFutureMs }),
      );
    }
    this.#metrics = options.registry
      ? new FeatureMetrics(options.registry, {
        repository: this.repository,
        extremes: options.metricsExtremes,
      })
      : undefined;
    this.#now = options.now ?? Date.now;
    this.#online = options.online ?? true;
  }

  /**
   * Validates, dead-letters, dedupes (first accepted event id of a source
   * wins), stores the events and their tiles in one transaction and pushes
   * every changed (view, entity) online in one round trip. Replaying a batch
   * changes nothing. Throws `RetryableError` when the store or the cache is
   * unavailable (nothing is acknowledged then).
   */
  async processBatch(messages: readonly PipelineMessage[]): Promise<BatchResult> {
    const started = performance.now();
    const nowMs = this.#now();
    const result: BatchResult = { accepted: 0, duplicate: 0, dead_lettered: 0, rejections: [] };
    const candidates: StoredEvent[] = [];
    const deadLetters: DeadLetterInput[] = [];
    const labels: string[] = [];
    const seen = new Set<string>();
    const reject = (index: number, m: PipelineMessage, reason: string, label: string) => {
      result.rejections.push({ index, reason });
      labels.push(label);
      deadLetters.push({
        reason,
        payloadBase64: toBase64(m.payload),
        meta: m.meta ?? {},
        ...(m.source !== undefined ? { source: m.source } : {}),
      });
    };
    messages.forEach((m, index) => {
      const sourceName = m.source ?? this.repository.defaultSource.name;
      const validator = this.#validators.get(sourceName);
      if (!validator) {
        reject(index, m, `Unknown source '${sourceName}'`, "unknown_source");
        return;
      }
      const source = validator.source;
      const d = decodeEvent(m.payload, nowMs, validator);
      if ("reason" in d) {
        reject(index, { ...m, source: sourceName }, d.reason, d.label);
        return;
      }
      const id = String(d.event[source.eventId]);
      const key = `${sourceName}\u0000${id}`;
      if (seen.has(key)) {
        result.duplicate++;
        return;
      }
      seen.add(key);
      candidates.push(this.#stored(sourceName, id, d.event, d.timeMs, d.json, nowMs));
    });
    if (!this.#online) {
      const stored = await this.#store.writeBatch(candidates, deadLetters);
      result.accepted = stored.length;
      result.duplicate += candidates.length - stored.length;
      result.dead_lettered = deadLetters.length;
      this.#record(result, labels, stored, started);
      return result;
    }
    // The online states first: the write then also tells, in the same
    // transaction, which entities absent online have history in the store.
    const { current, absent } = await this.#readStates(candidates);
    let from = Infinity;
    for (const e of candidates) if (e.timeMs < from) from = e.timeMs;
    let horizon = 0;
    for (const v of this.views) horizon = Math.max(horizon, horizonMs(v));
    const { accepted, history } = await this.#store.writeBatchWithHistory(
      candidates,
      deadLetters,
      { keys: absent, fromMs: from - horizon },
    );
    result.accepted = accepted.length;
    result.duplicate += candidates.length - accepted.length;
    result.dead_lettered = deadLetters.length;
    const acceptedKeys = new Set(accepted.map((e) => `${e.source}\u0000${e.eventId}`));
    const replayed = candidates.filter((e) => !acceptedKeys.has(`${e.source}\u0000${e.eventId}`));
    await this.#pushOnline(accepted, replayed, current, history, nowMs);
    this.#record(result, labels, accepted, started);
    return result;
  }

  #stored(
    source: string,
    eventId: string,
    event: Record<string, unknown>,
    timeMs: number,
    json: string | undefined,
    nowMs: number,
  ): StoredEvent {
    return toStoredEvent(this.#viewsBySource.get(source) ?? [], {
      source,
      eventId,
      event,
      timeMs,
      json,
      acceptedAtMs: nowMs,
    });
  }

  /**
   * Why `payload` would be dead-lettered as an event of `source` (default
   * the repository's first) now, or null when it would be accepted. Writes
   * nothing.
   */
  validate(payload: Uint8Array | string, source?: string): string | null {
    const name = source ?? this.repository.defaultSource.name;
    const validator = this.#validators.get(name);
    if (!validator) return `Unknown source '${name}'`;
    const d = decodeEvent(payload, this.#now(), validator);
    return "reason" in d ? d.reason : null;
  }

  /** Stores a message a source gave up on, with the reason. */
  async deadLetter(
    payload: Uint8Array | string,
    reason: string,
    meta: Record<string, string> = {},
    source?: string,
  ): Promise<void> {
    await this.#store.writeDeadLetters([
      { reason, payloadBase64: toBase64(payload), meta, ...(source ? { source } : {}) },
    ]);
    this.#metrics?.events.inc({ outcome: "dead_lettered" });
    this.#metrics?.deadLetters.inc({ reason: "source" });
  }

  /**
   * Pushes the new state of every (view, entity) touched by the batch with
   * one compare-and-set per key (one round trip per view). Entities whose
   * state is missing online, that had replayed events (a retry after a
   * failed push, or a crash between commit and push), or whose key another
   * worker wrote meanwhile, are rebuilt from the store, so the online state
   * converges to the truth whatever the number of workers. An entity absent
   * online without other events in the store starts from this batch alone.
   */
  async #pushOnline(
    accepted: readonly StoredEvent[],
    replayed: readonly StoredEvent[],
    current: Map<string, unknown>,
    history: ReadonlySet<string>,
    nowMs: number,
  ): Promise<void> {
    if (accepted.length === 0 && replayed.length === 0) return;
    let oldest = Infinity;
    for (const e of accepted) if (e.timeMs < oldest) oldest = e.timeMs;
    for (const e of replayed) if (e.timeMs < oldest) oldest = e.timeMs;
    for (const view of this.views) {
      const byEntity = new Map<string, WindowEvent[]>();
      for (const e of accepted) {
        for (const c of e.views) {
          if (c.view !== view) continue;
          let l = byEntity.get(c.entityId);
          if (!l) byEntity.set(c.entityId, l = []);
          l.push(c.event);
        }
      }
      const replayedIds = new Set<string>();
      for (const e of replayed) {
        for (const c of e.views) if (c.view === view) replayedIds.add(c.entityId);
      }
      for (const id of replayedIds) if (!byEntity.has(id)) byEntity.set(id, []);
      if (byEntity.size === 0) continue;
      await this.#pushView(view, byEntity, replayedIds, current, history, oldest, nowMs);
    }
  }

  async #pushView(
    view: FeatureView,
    byEntity: Map<string, WindowEvent[]>,
    replayedIds: ReadonlySet<string>,
    current: Map<string, unknown>,
    history: ReadonlySet<string>,
    oldest: number,
    nowMs: number,
  ): Promise<void> {
    let pending = [...byEntity.keys()];
    let reads = current;
    let rebuild: ReadonlySet<string> = replayedIds;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === MAX_CAS_ATTEMPTS) {
        throw new RetryableError(
          `Cannot update the online state of ${pending.length} entities of view '${view.name}': ` +
            `other writers kept changing them`,
        );
      }
      const keys = pending.map((id) => redisKeys.online(view.name, view.version, id));
      const raws = keys.map((k) => {
        const v = reads.get(k);
        return typeof v === "string" ? v : null;
      });
      const known = attempt === 0 ? history : null;
      const states = await this.#nextStates(view, pending, raws, rebuild, known, byEntity, oldest);
      const entries = pending.map((id, i) => {
        const expectedRev = revisionOf(raws[i]);
        const state = states.get(id)!;
        state.rev = (expectedRev ?? 0) + 1;
        return { key: keys[i], value: JSON.stringify(state), expectedRev };
      });
      const conflicts = new Set(await this.#cache.compareAndSetMany(entries, ONLINE_TTL_SECONDS));
      if (this.#metrics && attempt === 0) this.#metrics.observeStates(view, states.values(), nowMs);
      pending = pending.filter((_, i) => conflicts.has(keys[i]));
      if (pending.length === 0) break;
      const again = pending.map((id) => redisKeys.online(view.name, view.version, id));
      const fresh = await this.#cache.getMany(again);
      reads = new Map(again.map((k, i) => [k, fresh[i]]));
      rebuild = new Set(pending);
    }
  }

  /** The current online states of the candidates' (view, entity) pairs, and the ones absent online. */
  async #readStates(
    candidates: readonly StoredEvent[],
  ): Promise<{ current: Map<string, unknown>; absent: HistoryKey[] }> {
    const keys: string[] = [];
    const owners: HistoryKey[] = [];
    const seen = new Set<string>();
    for (const e of candidates) {
      for (const c of e.views) {
        const key = redisKeys.online(c.view.name, c.view.version, c.entityId);
        if (seen.has(key)) continue;
        seen.add(key);
        keys.push(key);
        owners.push({ source: c.view.source, entity: c.view.entity, id: c.entityId });
      }
    }
    const values = keys.length === 0 ? [] : await this.#cache.getMany(keys);
    const current = new Map(keys.map((k, i) => [k, values[i]]));
    const absent = new Map<string, HistoryKey>();
    values.forEach((v, i) => {
      if (v === null) absent.set(historyKey(owners[i]), owners[i]);
    });
    return { current, absent: [...absent.values()] };
  }

  /** Merges the batch into each entity's state, or rebuilds it from the store. */
  async #nextStates(
    view: FeatureView,
    ids: readonly string[],
    raws: readonly (string | null)[],
    rebuild: ReadonlySet<string>,
    history: ReadonlySet<string> | null,
    byEntity: ReadonlyMap<string, WindowEvent[]>,
    oldestMs: number,
  ): Promise<Map<string, OnlineEntityState>> {
    const states = new Map<string, OnlineEntityState>();
    const missing: string[] = [];
    const missingFrom: number[] = [];
    const rebuildOf = (id: string, i: number) => {
      missing.push(id);
      missingFrom.push(rebuildFrom(view, byEntity.get(id), raws[i], oldestMs));
    };
    ids.forEach((id, i) => {
      const events = byEntity.get(id) ?? [];
      const hk = historyKey({ source: view.source, entity: view.entity, id });
      if (rebuild.has(id)) rebuildOf(id, i);
      else if (raws[i] === null && history && !history.has(hk)) {
        states.set(id, mergeEvents(view, null, events)); // new entity: the batch is all it has
      } else {
        const s = parseOnlineState(raws[i]);
        if (s) states.set(id, mergeEvents(view, s, events));
        else rebuildOf(id, i);
      }
    });
    if (missing.length > 0) {
      const loaded = await this.#store.loadEvents(
        view,
        missing,
        missingFrom,
        Number.MAX_SAFE_INTEGER,
      );
      for (const id of missing) states.set(id, mergeEvents(view, null, loaded.get(id) ?? []));
    }
    return states;
  }

  #record(result: BatchResult, labels: string[], accepted: StoredEvent[], started: number): void {
    const m = this.#metrics;
    if (!m) return;
    const seconds = (performance.now() - started) / 1000;
    m.events.inc({ outcome: "accepted" }, result.accepted);
    m.events.inc({ outcome: "duplicate" }, result.duplicate);
    m.events.inc({ outcome: "dead_lettered" }, result.dead_lettered);
    for (const l of labels) m.deadLetters.inc({ reason: l });
    m.batchSeconds.observe(seconds);
    m.observeFreshness(seconds, accepted.length);
    m.observeEvents(accepted);
  }

  /** The views of an entity type, or a 404 naming the known ones ({@linkcode entityViews}). */
  viewsOfEntity(entity: string): FeatureView[] {
    return entityViews(this.repository, entity);
  }

  /**
   * Exact windowed features of an entity as of `asOfMs` (every view of its
   * entity type), from the store's raw events.
   */
  async getOfflineFeatures(
    entity: string,
    entityId: string,
    asOfMs: number,
  ): Promise<EntityFeatures> {
    const features: Record<string, number> = {};
    for (const view of this.viewsOfEntity(entity)) {
      const loaded = await this.#store.loadEvents(
        view,
        [entityId],
        asOfMs - horizonMs(view),
        asOfMs,
      );
      Object.assign(
        features,
        computeWindowFeaturesFromEvents(view, loaded.get(entityId) ?? [], asOfMs),
      );
    }
    return entityFeatures(entity, entityId, asOfMs, features);
  }

  /** Windowed features of an entity as the edge sees them at `asOfMs` (one cache read). */
  async getOnlineFeatures(
    entity: string,
    entityId: string,
    asOfMs: number,
  ): Promise<EntityFeatures> {
    const views = this.viewsOfEntity(entity);
    const raws = await this.#cache.getMany(
      views.map((v) => redisKeys.online(v.name, v.version, entityId)),
    );
    const features: Record<string, number> = {};
    views.forEach((v, i) =>
      Object.assign(features, computeWindowFeatures(v, parseOnlineState(raws[i]), asOfMs))
    );
    return entityFeatures(entity, entityId, asOfMs, features);
  }

  /**
   * Rebuilds the online state of every entity with events in the last
   * horizon before `nowMs` from the store (after a cache loss, or to warm
   * the in-memory cache at start), for `views` (default all). Returns the
   * number of (view, entity) states written.
   */
  async rebuildOnline(
    nowMs: number = this.#now(),
    pageSize = 1000,
    views: readonly FeatureView[] = this.views,
  ): Promise<number> {
    let n = 0;
    for (const view of views) {
      const from = nowMs - horizonMs(view);
      let after: string | null = null;
      for (;;) {
        const ids = await this.#store.listEntities(view.source, view.entity, from, after, pageSize);
        if (ids.length === 0) break;
        const loaded = await this.#store.loadEvents(view, ids, from, Number.MAX_SAFE_INTEGER);
        const entries = ids.map((id) => ({
          key: redisKeys.online(view.name, view.version, id),
          value: JSON.stringify(mergeEvents(view, null, loaded.get(id) ?? [])),
        }));
        await this.#cache.setMany(entries, ONLINE_TTL_SECONDS);
        n += ids.length;
        after = ids[ids.length - 1];
      }
    }
    return n;
  }
}

/**
 * An accepted event as the store keeps it: its entities (one per entity type
 * a view of its source aggregates) and what each of `views` (the views of
 * its source) reads from it.
 */
export function toStoredEvent(
  views: readonly FeatureView[],
  e: {
    source: string;
    eventId: string;
    event: Record<string, unknown>;
    timeMs: number;
    json?: string;
    acceptedAtMs: number;
  },
): StoredEvent {
  const entities: { entity: string; id: string }[] = [];
  const contributions: ViewContribution[] = [];
  for (const view of views) {
    const entityId = entityIdOf(view.keys, e.event);
    if (entityId === undefined) continue;
    if (!entities.some((k) => k.entity === view.entity)) {
      entities.push({ entity: view.entity, id: entityId });
    }
    const w = toWindowEvent(view, e.event, e.timeMs);
    if (w) contributions.push({ view, entityId, event: w });
  }
  return {
    source: e.source,
    eventId: e.eventId,
    timeMs: e.timeMs,
    payload: e.event,
    payloadJson: e.json,
    acceptedAtMs: e.acceptedAtMs,
    entities,
    views: contributions,
  };
}

/** How far back events can matter to a view's online state (longest window + tail + a tile). */
export function horizonMs(view: FeatureView): number {
  let h = 0;
  for (const f of view.windowFeatures) h = Math.max(h, f.windowMs + f.tileMs);
  return h + view.tailMs;
}

function entityFeatures(
  entity: string,
  entityId: string,
  asOfMs: number,
  features: Record<string, number>,
): EntityFeatures {
  return {
    entity_type: entity,
    entity_id: entityId,
    as_of: new Date(asOfMs).toISOString(),
    features,
  };
}

/**
 * Where the rebuild of an entity's online state from the store may start
 * reading: a state keeps only what its windows can reach from its newest
 * event (`mergeEvents` drops older tiles), and its newest event is at least
 * the newest of the batch and of the state last seen online, so older events
 * would be read only to be dropped. (Reading from the batch's oldest event
 * instead made every rebuild of a site, whose readings span days in a batch
 * of 1000, read nearly every stored reading: 560 ms per rebuild.) Without
 * either, from the batch's oldest event.
 */
function rebuildFrom(
  view: FeatureView,
  events: readonly WindowEvent[] | undefined,
  raw: string | null | undefined,
  oldestMs: number,
): number {
  let newest = -Infinity;
  for (const e of events ?? []) if (e.timeMs > newest) newest = e.timeMs;
  const online = raw ? parseOnlineState(raw) : null;
  if (online && online.newest > newest) newest = online.newest;
  if (newest === -Infinity) return oldestMs - horizonMs(view);
  return newest - view.tailMs - horizonMs(view);
}

/**
 * The views of an entity type of `repository`; otherwise a `not_found`
 * error (404) naming the known entity types. The one rule of the pipeline,
 * the features API and the embedded platform's pipeline thread.
 */
export function entityViews(repository: FeatureRepository, entity: string): FeatureView[] {
  const views = repository.viewsOfEntity(entity);
  if (views.length > 0) return views;
  const known = [...new Set(repository.views.map((v) => v.entity))].join(", ");
  throw new PlatformError("not_found", `Cannot find entity type '${entity}' (known: ${known})`, {
    details: [{ path: "entity", message: `Expected one of ${known}` }],
  });
}
