/**
 * `FeaturePipeline`: raw messages in, exact windowed features out, durable
 * in the feature store and fresh in the online cache.
 *
 * @module
 */
import type { Registry } from "prom-client";
import { redisKeys } from "../schemas/pointer.ts";
import { DEFAULT_MAX_FUTURE_MS } from "../schemas/event.ts";
import {
  computeWindowFeatures,
  computeWindowFeaturesFromEvents,
  DEMO_VIEW,
  type FeatureView,
  mergeEvents,
  ONLINE_TTL_SECONDS,
  type OnlineEntityState,
  parseOnlineState,
  toWindowEvent,
  type WindowEvent,
} from "./features/mod.ts";
import type { DeadLetterInput, FeatureStore, StoredEvent } from "./store/port.ts";
import { type OnlineCache, revisionOf } from "./online/port.ts";
import { RetryableError } from "./errors.ts";
import { FeatureMetrics } from "./metrics.ts";
import { decodeEvent, toBase64 } from "./_decode.ts";

/** Compare-and-set rounds before a batch gives up with `RetryableError`. */
const MAX_CAS_ATTEMPTS = 8;

/** A raw message from any source. */
export interface PipelineMessage {
  payload: Uint8Array | string;
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
  /** Views kept up to date. Default `[DEMO_VIEW]`. */
  views?: readonly FeatureView[];
  /** Where the `features_*` metrics are registered; none when omitted. */
  registry?: Registry;
  /** Processing clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Accepted future skew of event timestamps. Default 5 minutes. */
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

/** The feature pipeline. Stateless between batches: safe to run in many workers. */
export class FeaturePipeline {
  readonly views: readonly FeatureView[];
  readonly #store: FeatureStore;
  readonly #cache: OnlineCache;
  readonly #metrics?: FeatureMetrics;
  readonly #now: () => number;
  readonly #maxFutureMs: number;
  readonly #online: boolean;

  constructor(options: FeaturePipelineOptions) {
    this.#store = options.store;
    this.#cache = options.cache;
    this.views = options.views ?? [DEMO_VIEW];
    this.#metrics = options.registry ? new FeatureMetrics(options.registry) : undefined;
    this.#now = options.now ?? Date.now;
    this.#maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
    this.#online = options.online ?? true;
  }

  /**
   * Validates, dead-letters, dedupes (first accepted `event_id` wins), updates
   * tiles in one transaction and pushes the changed entities online in one
   * pipeline. Replaying a batch changes nothing. Throws `RetryableError` when
   * the store or the cache is unavailable (nothing is acknowledged then).
   */
  async processBatch(messages: readonly PipelineMessage[]): Promise<BatchResult> {
    const started = performance.now();
    const nowMs = this.#now();
    const result: BatchResult = { accepted: 0, duplicate: 0, dead_lettered: 0, rejections: [] };
    const candidates: StoredEvent[] = [];
    const deadLetters: DeadLetterInput[] = [];
    const labels: string[] = [];
    const seen = new Set<string>();
    const view0 = this.views[0];
    messages.forEach((m, index) => {
      const d = decodeEvent(m.payload, nowMs, this.#maxFutureMs);
      if ("reason" in d) {
        result.rejections.push({ index, reason: d.reason });
        labels.push(d.label);
        deadLetters.push({
          reason: d.reason,
          payloadBase64: toBase64(m.payload),
          meta: m.meta ?? {},
        });
        return;
      }
      const id = d.event.event_id;
      if (seen.has(id)) {
        result.duplicate++;
        return;
      }
      seen.add(id);
      const w = toWindowEvent(view0, d.event, d.timeMs);
      candidates.push({
        eventId: id,
        entityId: String(d.event[view0.entityKey as "user_id"]),
        timeMs: d.timeMs,
        amount: w.amount,
        category: w.category,
        payload: d.event,
        payloadJson: d.json,
        acceptedAtMs: nowMs,
      });
    });
    if (!this.#online) {
      const stored = await this.#store.writeBatch(candidates, deadLetters, this.views);
      result.accepted = stored.length;
      result.duplicate += candidates.length - stored.length;
      result.dead_lettered = deadLetters.length;
      this.#record(result, labels, stored, started);
      return result;
    }
    // The online states first: the write then also tells, in the same
    // statement, which entities absent online have history in the store.
    const { current, absent } = await this.#readStates(candidates);
    let from = Infinity;
    for (const e of candidates) if (e.timeMs < from) from = e.timeMs;
    const { accepted, history } = await this.#store.writeBatchWithHistory(
      candidates,
      deadLetters,
      this.views,
      { entityIds: absent, fromMs: from - Math.max(...this.views.map(horizonMs)) },
    );
    result.accepted = accepted.length;
    result.duplicate += candidates.length - accepted.length;
    result.dead_lettered = deadLetters.length;
    const acceptedIds = new Set(accepted.map((e) => e.eventId));
    const replayed = candidates.filter((e) => !acceptedIds.has(e.eventId));
    await this.#pushOnline(accepted, replayed, current, history, nowMs);
    this.#record(result, labels, accepted, started);
    return result;
  }

  /** Stores a message a source gave up on, with the reason. */
  async deadLetter(
    payload: Uint8Array | string,
    reason: string,
    meta: Record<string, string> = {},
  ): Promise<void> {
    await this.#store.writeDeadLetters([{ reason, payloadBase64: toBase64(payload), meta }]);
    this.#metrics?.events.inc({ outcome: "dead_lettered" });
    this.#metrics?.deadLetters.inc({ reason: "source" });
  }

  /**
   * Pushes the new state of every entity touched by the batch with one
   * compare-and-set per key (one round trip). Entities whose state is
   * missing online, that had replayed events (a retry after a failed push,
   * or a crash between commit and push), or whose key another worker wrote
   * meanwhile, are rebuilt from the store, so the online state converges to
   * the truth whatever the number of workers. An entity absent online
   * without other events in the store starts from this batch alone.
   */
  async #pushOnline(
    accepted: readonly StoredEvent[],
    replayed: readonly StoredEvent[],
    current: Map<string, unknown>,
    history: ReadonlySet<string>,
    nowMs: number,
  ): Promise<void> {
    if (accepted.length === 0 && replayed.length === 0) return;
    const byEntity = new Map<string, WindowEvent[]>();
    for (const e of accepted) {
      let l = byEntity.get(e.entityId);
      if (!l) byEntity.set(e.entityId, l = []);
      l.push({ timeMs: e.timeMs, amount: e.amount, category: e.category });
    }
    const replayedIds = new Set(replayed.map((e) => e.entityId));
    for (const id of replayedIds) if (!byEntity.has(id)) byEntity.set(id, []);
    let oldest = Infinity;
    for (const e of accepted) if (e.timeMs < oldest) oldest = e.timeMs;
    for (const e of replayed) if (e.timeMs < oldest) oldest = e.timeMs;
    for (const view of this.views) {
      let pending = [...byEntity.keys()];
      let reads = current;
      let rebuild = replayedIds;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === MAX_CAS_ATTEMPTS) {
          throw new RetryableError(
            `Cannot update the online state of ${pending.length} entities: other writers kept changing them`,
          );
        }
        const keys = pending.map((id) => redisKeys.online(view.name, view.version, id));
        const raws = keys.map((k) => {
          const v = reads.get(k);
          return typeof v === "string" ? v : null;
        });
        const known = attempt === 0 ? history : null;
        const states = await this.#nextStates(
          view,
          pending,
          raws,
          rebuild,
          known,
          byEntity,
          oldest,
        );
        const entries = pending.map((id, i) => {
          const expectedRev = revisionOf(raws[i]);
          const state = states.get(id)!;
          state.rev = (expectedRev ?? 0) + 1;
          return { key: keys[i], value: JSON.stringify(state), expectedRev };
        });
        const conflicts = new Set(await this.#cache.compareAndSetMany(entries, ONLINE_TTL_SECONDS));
        if (this.#metrics && attempt === 0) {
          this.#metrics.observeStates(view, states.values(), accepted, nowMs);
        }
        pending = pending.filter((_, i) => conflicts.has(keys[i]));
        if (pending.length === 0) break;
        const again = pending.map((id) => redisKeys.online(view.name, view.version, id));
        const fresh = await this.#cache.getMany(again);
        reads = new Map(again.map((k, i) => [k, fresh[i]]));
        rebuild = new Set(pending);
      }
    }
  }

  /** The current online states of the candidates' entities, and the entities absent online. */
  async #readStates(
    candidates: readonly StoredEvent[],
  ): Promise<{ current: Map<string, unknown>; absent: string[] }> {
    const entityIds = [...new Set(candidates.map((e) => e.entityId))];
    const keys = this.views.flatMap((v) =>
      entityIds.map((id) => redisKeys.online(v.name, v.version, id))
    );
    const values = keys.length === 0 ? [] : await this.#cache.getMany(keys);
    const current = new Map(keys.map((k, i) => [k, values[i]]));
    const absent = new Set<string>();
    values.forEach((v, i) => v === null && absent.add(entityIds[i % entityIds.length]));
    return { current, absent: [...absent] };
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
    ids.forEach((id, i) => {
      const events = byEntity.get(id) ?? [];
      if (rebuild.has(id)) missing.push(id);
      else if (raws[i] === null && history && !history.has(id)) {
        states.set(id, mergeEvents(view, null, events)); // new entity: the batch is all it has
      } else {
        const s = parseOnlineState(raws[i]);
        if (s) states.set(id, mergeEvents(view, s, events));
        else missing.push(id);
      }
    });
    if (missing.length > 0) {
      const from = oldestMs - horizonMs(view);
      const loaded = await this.#store.loadEvents(view, missing, from, Number.MAX_SAFE_INTEGER);
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
  }

  /** Exact windowed features of an entity as of `asOfMs`, from the store's raw events. */
  async getOfflineFeatures(
    entityId: string,
    asOfMs: number,
    view: FeatureView = this.views[0],
  ): Promise<EntityFeatures> {
    const loaded = await this.#store.loadEvents(
      view,
      [entityId],
      asOfMs - horizonMs(view),
      asOfMs,
    );
    const features = computeWindowFeaturesFromEvents(view, loaded.get(entityId) ?? [], asOfMs);
    return entityFeatures(view, entityId, asOfMs, features);
  }

  /** Windowed features of an entity as the edge sees them at `asOfMs` (one cache read). */
  async getOnlineFeatures(
    entityId: string,
    asOfMs: number,
    view: FeatureView = this.views[0],
  ): Promise<EntityFeatures> {
    const [raw] = await this.#cache.getMany([redisKeys.online(view.name, view.version, entityId)]);
    const features = computeWindowFeatures(view, parseOnlineState(raw), asOfMs);
    return entityFeatures(view, entityId, asOfMs, features);
  }

  /**
   * Rebuilds the online state of every entity with events in the last
   * `horizon` before `nowMs` from the store (after a cache loss, or to warm
   * the in-memory cache at start). Returns the number of entities written.
   */
  async rebuildOnline(nowMs: number = this.#now(), pageSize = 1000): Promise<number> {
    let n = 0;
    for (const view of this.views) {
      const from = nowMs - horizonMs(view);
      let after: string | null = null;
      for (;;) {
        const ids = await this.#store.listEntities(from, after, pageSize);
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

/** How far back events can matter to a view's online state (longest window + tail + a tile). */
export function horizonMs(view: FeatureView): number {
  let h = 0;
  for (const f of view.windowFeatures) h = Math.max(h, f.windowMs + f.tileMs);
  return h + view.tailMs;
}

function entityFeatures(
  view: FeatureView,
  entityId: string,
  asOfMs: number,
  features: Record<string, number>,
): EntityFeatures {
  return {
    entity_type: view.entity,
    entity_id: entityId,
    as_of: new Date(asOfMs).toISOString(),
    features,
  };
}
