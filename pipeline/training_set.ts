/**
 * Point-in-time training sets: for each labelled point (an event, or
 * entity keys and a time), the windowed features of every view the point's
 * entities have, as of that time (events strictly before it), computed by
 * the same code as the offline API; the event's raw fields when known; and
 * the repository's request-time features, built by the one row assembler.
 * From the store (`pointInTimeRows`) or from events in memory
 * (`pointInTimeFromEvents`, for demos built before anything is stored).
 *
 * @module
 */
import {
  computeWindowFeaturesFromEvents,
  entityIdOf,
  type FeatureView,
  type RawValue,
  RowAssembler,
  toWindowEvent,
  type WindowEvent,
} from "./features/mod.ts";
import type { FeatureRepository } from "./definitions/repository.ts";
import type { FeatureStore } from "./store/port.ts";
import { horizonMs } from "./feature_pipeline.ts";

/** One labelled point in time. */
export interface LabelRow {
  /** Entity key values by key field (`user_id`, `device_id`, ...), as given by the labels. */
  keys: Record<string, string>;
  /** As-of time, epoch ms. */
  timeMs: number;
  label: number;
  /** When given, the event's stored raw fields are added to the row (and supply its keys). */
  eventId?: string;
}

/** A point-in-time row: time, label, keys, the event's raw fields when known, features. */
export type TrainingRecord = Record<string, string | number | boolean | null>;

/** Options of {@linkcode pointInTimeRows}. */
export interface PointInTimeOptions {
  /** Labels per chunk of store queries. Default 5000. */
  chunk?: number;
  /** Source of the labels' event ids. Default the repository's default source. */
  source?: string;
  /** Called after each chunk with rows done and total. */
  onProgress?: (done: number, total: number) => void;
}

/** Builds training records of one repository (its views and request features). */
class RecordBuilder {
  readonly #rows: RowAssembler;
  readonly #names: readonly string[];

  constructor(readonly repository: FeatureRepository) {
    const inputs = repository.requestFeatures.map((f) => ({ ...f }));
    this.#rows = new RowAssembler({ inputs, views: repository.views });
    this.#names = inputs.map((i) => i.name);
  }

  /** The fields a point knows: its keys and the event's scalar raw fields. */
  fields(
    keys: Record<string, string>,
    payload: Record<string, unknown> | undefined,
  ): TrainingRecord {
    const out: TrainingRecord = {};
    if (payload) {
      for (const [k, v] of Object.entries(payload)) {
        if (
          typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v === null
        ) {
          out[k] = v;
        }
      }
    }
    Object.assign(out, keys);
    return out;
  }

  /** One record: `as_of`, `label`, the fields, every view's features, the request features. */
  record(
    base: TrainingRecord,
    timeMs: number,
    label: number,
    perView: (Record<string, number> | null)[],
  ): TrainingRecord {
    const r: TrainingRecord = { as_of: new Date(timeMs).toISOString(), label, ...base };
    const first = this.repository.views.find((_, i) => perView[i] !== null);
    if (first && r.entity_id === undefined) r.entity_id = entityIdOf(first.keys, base) ?? null;
    this.repository.views.forEach((v, i) => {
      const values = perView[i];
      for (const f of v.windowFeatures) r[f.name] = values ? values[f.name] : null;
    });
    const a = this.#rows.assemble({
      fields: base as Record<string, RawValue>,
      views: perView,
      timeMs,
    }, { float64: true });
    const bad = new Set([...a.missing, ...a.issues.map((i) => i.path.split(".").pop()!)]);
    this.#names.forEach((name, i) => (r[name] = bad.has(name) ? null : a.row[i]));
    return r;
  }
}

/**
 * Builds point-in-time rows for `labels` from the store (label order within
 * each chunk), yielded chunk by chunk (bounded memory for large label
 * files). The next chunk's events load while this one is computed.
 */
export async function* pointInTimeRows(
  store: FeatureStore,
  repository: FeatureRepository,
  labels: readonly LabelRow[],
  options: PointInTimeOptions = {},
): AsyncGenerator<TrainingRecord[]> {
  const chunk = options.chunk ?? 5000;
  const source = options.source ?? repository.defaultSource.name;
  const builder = new RecordBuilder(repository);
  const views = repository.views;
  // Labels of one entity together: its events load once per chunk.
  const primary = views[0];
  const order = labels.map((_, i) => i).sort((a, b) => {
    const ka = entityIdOf(primary.keys, labels[a].keys) ?? "";
    const kb = entityIdOf(primary.keys, labels[b].keys) ?? "";
    return ka < kb ? -1 : ka > kb ? 1 : labels[a].timeMs - labels[b].timeMs;
  });
  const load = async (start: number) => {
    const idx = order.slice(start, start + chunk).sort((a, b) => a - b);
    const ids = idx.map((j) => labels[j].eventId).filter((x) => x !== undefined);
    const payloads = ids.length > 0
      ? await store.loadPayloads(source, ids)
      : new Map<string, Record<string, unknown>>();
    const fields = idx.map((j) => {
      const l = labels[j];
      return builder.fields(l.keys, l.eventId === undefined ? undefined : payloads.get(l.eventId));
    });
    const events = await Promise.all(views.map((v) => {
      const entityIds = new Set<string>();
      let lo = Infinity, hi = -Infinity;
      idx.forEach((j, k) => {
        const id = entityIdOf(v.keys, fields[k]);
        if (id === undefined) return;
        entityIds.add(id);
        lo = Math.min(lo, labels[j].timeMs);
        hi = Math.max(hi, labels[j].timeMs);
      });
      return entityIds.size === 0
        ? new Map<string, WindowEvent[]>()
        : store.loadEvents(v, [...entityIds], lo - horizonMs(v), hi);
    }));
    return { idx, fields, events };
  };
  let done = 0;
  let next = order.length > 0 ? load(0) : null;
  for (let i = 0; next; i += chunk) {
    const { idx, fields, events } = await next;
    next = i + chunk < order.length ? load(i + chunk) : null;
    // A rejected prefetch is rethrown by the next await; avoid an unhandled rejection meanwhile.
    next?.catch(() => {});
    const out = idx.map((j, k) => {
      const l = labels[j];
      const perView = views.map((v, vi) => {
        const id = entityIdOf(v.keys, fields[k]);
        if (id === undefined) return null;
        return computeWindowFeaturesFromEvents(v, events[vi].get(id) ?? [], l.timeMs);
      });
      const base = { ...fields[k], ...(l.eventId !== undefined ? { event_id: l.eventId } : {}) };
      return builder.record(base, l.timeMs, l.label, perView);
    });
    done += out.length;
    options.onProgress?.(done, labels.length);
    yield out;
  }
}

/** An event in memory with its time. */
export interface TimedEvent {
  event: Record<string, unknown>;
  timeMs: number;
}

/**
 * Point-in-time rows of events held in memory, each labelled by `labelOf`:
 * every event's raw fields, every view's features as of its own time
 * (strictly before it) and the request features: what `pointInTimeRows`
 * gives for the same events once stored, with their event ids as labels.
 */
export function pointInTimeFromEvents(
  repository: FeatureRepository,
  source: string,
  events: readonly TimedEvent[],
  labelOf: (e: TimedEvent, index: number) => number,
): TrainingRecord[] {
  const builder = new RecordBuilder(repository);
  const views = repository.viewsOfSource(source);
  const def = repository.source(source)!;
  const sorted = [...events].sort((a, b) =>
    a.timeMs - b.timeMs || String(a.event[def.eventId]).localeCompare(String(b.event[def.eventId]))
  );
  const byEntity = views.map(() => new Map<string, WindowEvent[]>());
  views.forEach((v: FeatureView, vi) => {
    for (const e of sorted) {
      const id = entityIdOf(v.keys, e.event);
      const w = id === undefined ? null : toWindowEvent(v, e.event, e.timeMs);
      if (id === undefined || !w) continue;
      const list = byEntity[vi].get(id) ?? [];
      list.push(w);
      byEntity[vi].set(id, list);
    }
  });
  return sorted.map((e, i) => {
    const perView = repository.views.map((v) => {
      const vi = views.indexOf(v);
      const id = entityIdOf(v.keys, e.event);
      if (vi < 0 || id === undefined) return null;
      return computeWindowFeaturesFromEvents(v, byEntity[vi].get(id) ?? [], e.timeMs);
    });
    const base = builder.fields({}, e.event);
    return builder.record(base, e.timeMs, labelOf(e, i), perView);
  });
}
