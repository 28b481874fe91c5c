/**
 * The prediction service behind the HTTP routes: picks the arm, assembles
 * features (request over online), consults the prediction cache, scores,
 * records metrics, rollout counters and drift, and scores the challenger
 * in shadow mode after the response is sent.
 *
 * @module
 */
import type { BatchPredictRequest, BatchPredictResponse } from "../schemas/prediction.ts";
import type {
  BatchOutOfRange,
  PredictRequest,
  PredictResponse,
  RankRequest,
  RankResponse,
} from "../schemas/prediction.ts";
import type { OutOfRange } from "../pipeline/features/mod.ts";
import { parseIsoUtc } from "../schemas/time.ts";
import type { EdgeConfig } from "./config.ts";
import type { DriftGauge } from "./drift.ts";
import { EdgeError } from "./errors.ts";
import { explainAsk, explainRow, explainRows, inputNamesOf, requireExplainer } from "./explain.ts";
import {
  type Assembled,
  checkAssembled,
  entityIdsOf,
  type FeatureValue,
  missingKeys,
  rowsOf,
  stringOrUndefined,
} from "./features.ts";
import type { Logger } from "./log.ts";
import type { EdgeMetrics } from "./metrics.ts";
import type { LoadedModel, ModelRoute, ModelStore } from "./models/mod.ts";
import type { OnlineLookup } from "./online/mod.ts";
import type { OnlineAccess } from "./online_access.ts";
import type { PredictionCache } from "./prediction_cache.ts";
import type { RolloutCounters } from "./rollout.ts";
import { chooseArm } from "./routing.ts";

/** Per-request context. */
export interface RequestContext {
  requestId: string;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
}

/** Dependencies of {@linkcode PredictionService}. */
export interface PredictionServiceDeps {
  config: EdgeConfig;
  store: ModelStore;
  online: OnlineAccess;
  metrics: EdgeMetrics;
  logger: Logger;
  cache: PredictionCache;
  rollout: RolloutCounters | null;
  drift: DriftGauge | null;
  now: () => number;
}

interface Instance {
  features: Record<string, FeatureValue>;
  /** The request's `entities`. */
  entities?: Readonly<Record<string, string>>;
  /** The request's `entity_id`. */
  entityId?: string;
  timeMs: number;
}

/** View values of an instance, by view (`name@version`), as read online. */
type ViewValues = Map<string, Record<string, number>>;

interface Prepared {
  assembled: Assembled[];
  online: ViewValues[];
  /** Newest event behind each instance's online values. */
  asOf: (number | null)[];
}

const viewKey = (v: { name: string; version: number }) => `${v.name}@${v.version}`;

const inputNames = new WeakMap<LoadedModel, string[]>();
/** Names of a model's inputs, in input order (computed once per loaded model). */
function namesOf(model: LoadedModel): string[] {
  let names = inputNames.get(model);
  if (!names) {
    names = inputNamesOf(model.manifest);
    inputNames.set(model, names);
  }
  return names;
}

// Explanations are computed synchronously: one scratch row serves every request.
let scratch = new Float64Array(64);
function scratchOf(width: number): Float64Array {
  if (scratch.length < width) scratch = new Float64Array(width);
  return scratch;
}

// Responses in the same millisecond share the timestamp text (formatting costs ~0.5 µs).
let isoMs = Number.NaN;
let isoText = "";
/** `new Date(ms).toISOString()`, remembered for the last millisecond asked. */
export function isoOf(ms: number): string {
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

function firstEntity(entities: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!entities) return undefined;
  for (const k in entities) return entities[k];
  return undefined;
}

/** Scores requests against the loaded models. */
export class PredictionService {
  readonly #d: PredictionServiceDeps;

  constructor(deps: PredictionServiceDeps) {
    this.#d = deps;
  }

  /** Serves `POST /predict`. */
  async predict(req: PredictRequest, ctx: RequestContext): Promise<PredictResponse> {
    const name = req.model_name ?? this.#d.config.defaultModel;
    const nowMs = this.#d.now();
    const timeMs = this.#requestTime(req.timestamp, "timestamp", nowMs);
    const explicit = req.version;
    const route = this.#d.store.routeNow(name) ?? await this.#d.store.routeOf(name);
    const sticky = req.entity_id ?? firstEntity(req.entities);
    const arm = this.#arm(route, explicit, sticky, req.features, ctx.requestId);
    const model = this.#d.store.tryAcquire(name, arm.selector) ??
      await this.#d.store.acquire(name, arm.selector);
    let ok = false;
    try {
      const ask = explainAsk(req);
      const explainer = ask ? requireExplainer(model) : null;
      const inst: Instance = {
        features: req.features,
        entities: req.entities,
        entityId: req.entity_id,
        timeMs,
      };
      const prep = this.#prepareSync(model, [inst], () => "features") ??
        await this.#prepare(model, [inst], () => "features", ctx.requestId);
      const a = prep.assembled[0];
      const cache = this.#d.cache;
      let score = cache.get(name, model.version, a.row);
      const cached = score !== undefined;
      this.#d.metrics.inc(
        cached ? this.#d.metrics.predictionCacheHits : this.#d.metrics.predictionCacheMisses,
        [name],
      );
      if (!score) {
        const p = await model.session.scoreRow(a.row);
        score = { p0: p[0], p1: p[1] };
        cache.set(name, model.version, a.row, score);
      }
      this.#observeDrift(model, a.row, 1);
      const latencyMs = performance.now() - ctx.startedAt;
      const res: PredictResponse = {
        prediction: this.#label(model, score.p1),
        probabilities: req.return_probabilities ? [score.p0, score.p1] : null,
        model_name: name,
        model_version: model.version,
        timestamp: isoOf(this.#d.now()),
        latency_ms: latencyMs,
        features_used: a.used,
        request_id: ctx.requestId,
        variant: arm.variant,
        cached,
        features_as_of: prep.asOf[0] === null ? null : new Date(prep.asOf[0]).toISOString(),
      };
      if (a.defaultsUsed.length > 0) res.defaults_used = a.defaultsUsed;
      if (a.outOfRange.length > 0) res.out_of_range = a.outOfRange;
      if (explainer && ask) {
        const w = explainer.width;
        res.explanation = explainRow(explainer, namesOf(model), a.row, 0, ask, scratchOf(w));
      }
      ok = true;
      this.#count(model, arm.variant, latencyMs, true);
      if (arm.shadow) {
        const online = prep.online[0];
        setTimeout(() => void this.#shadow(name, inst, online, res.prediction, ctx.requestId), 0);
      }
      return res;
    } finally {
      if (!ok) this.#count(model, arm.variant, performance.now() - ctx.startedAt, false);
      this.#d.store.release(model);
    }
  }

  /** Serves `POST /predict/batch`: one online round trip, one model run. */
  async predictBatch(req: BatchPredictRequest, ctx: RequestContext): Promise<BatchPredictResponse> {
    const name = req.model_name ?? this.#d.config.defaultModel;
    if (req.instances.length > this.#d.config.batchMax) {
      throw new EdgeError("validation_failed", `Too many instances: ${req.instances.length}`, {
        details: [{ path: "instances", message: `At most ${this.#d.config.batchMax} instances` }],
      });
    }
    const nowMs = this.#d.now();
    const route = await this.#d.store.routeOf(name);
    const arm = this.#arm(route, req.version, undefined, {}, ctx.requestId);
    const model = await this.#d.store.acquire(name, arm.selector);
    let status = "error";
    try {
      const ask = explainAsk(req);
      const explainer = ask ? requireExplainer(model) : null;
      const instances = req.instances.map((f, i): Instance => ({
        features: f,
        entities: req.entities,
        entityId: stringOrUndefined(f.entity_id),
        timeMs: typeof f.timestamp === "string"
          ? this.#requestTime(f.timestamp, `instances.${i}.timestamp`, nowMs)
          : nowMs,
      }));
      const prefix = (i: number) => `instances.${i}`;
      const w = model.session.width;
      const data = new Float32Array(instances.length * w);
      const rows = (i: number) => data.subarray(i * w, (i + 1) * w);
      const prep = this.#prepareSync(model, instances, prefix, rows) ??
        await this.#prepare(model, instances, prefix, ctx.requestId, rows);
      const { probabilities } = await model.session.score(data, instances.length);
      this.#observeDrift(model, data, instances.length);
      const predictions: number[] = new Array(instances.length);
      const probs: number[][] | null = req.return_probabilities ? [] : null;
      for (let i = 0; i < instances.length; i++) {
        predictions[i] = this.#label(model, probabilities[2 * i + 1]);
        probs?.push([probabilities[2 * i], probabilities[2 * i + 1]]);
      }
      const total = performance.now() - ctx.startedAt;
      status = "success";
      const flagged = outOfRangeByFeature(prep.assembled);
      const explanations = explainer && ask
        ? explainRows(
          explainer,
          namesOf(model),
          data,
          instances.length,
          ask,
          scratchOf(data.length),
        )
        : undefined;
      return {
        ...(flagged.length > 0 ? { out_of_range: flagged } : {}),
        ...(explanations ? { explanations } : {}),
        predictions,
        probabilities: probs,
        model_name: name,
        model_version: model.version,
        timestamp: new Date(this.#d.now()).toISOString(),
        batch_size: instances.length,
        total_latency_ms: total,
        avg_latency_ms: total / instances.length,
        request_id: ctx.requestId,
        variant: arm.variant,
      };
    } finally {
      this.#d.metrics.inc(this.#d.metrics.batchPredictions, [name, model.version, status]);
      this.#d.store.release(model);
    }
  }

  /**
   * The contributions of raw rows (Open Inference Protocol): per row, each
   * input's contribution then the base value (`n × (width + 1)`). A 422
   * when the model cannot be explained.
   */
  contributions(model: LoadedModel, data: Float32Array, n: number): Float64Array {
    const explainer = requireExplainer(model);
    const w = explainer.width;
    const out = new Float64Array(n * (w + 1));
    const phi = scratchOf(w);
    for (let i = 0; i < n; i++) {
      explainer.explain(data.subarray(i * w, (i + 1) * w), phi);
      out.set(phi.subarray(0, w), i * (w + 1));
      out[i * (w + 1) + w] = explainer.baseValue;
    }
    return out;
  }

  /**
   * Serves `POST /rank`: every candidate is one instance (`user_id`,
   * `item_id`, `item_category`, `price`); the online features of all of
   * them are read in one round trip (the user's once), all are scored in one
   * model run, and they come back by descending score.
   */
  async rank(req: RankRequest, ctx: RequestContext): Promise<RankResponse> {
    const name = req.model_name ?? this.#d.config.defaultModel;
    const nowMs = this.#d.now();
    const route = this.#d.store.routeNow(name) ?? await this.#d.store.routeOf(name);
    const arm = this.#arm(route, undefined, req.user_id, {}, ctx.requestId);
    const model = this.#d.store.tryAcquire(name, arm.selector) ??
      await this.#d.store.acquire(name, arm.selector);
    let ok = false;
    try {
      const seen = new Map<string, number>();
      const instances = req.candidates.map((c, i): Instance => {
        const first = seen.get(c.item_id);
        if (first !== undefined) {
          throw new EdgeError("validation_failed", `Duplicate candidate: ${c.item_id}`, {
            details: [{
              path: `candidates.${i}.item_id`,
              message: `Same item_id as candidates.${first}`,
            }],
          });
        }
        seen.set(c.item_id, i);
        const features: Record<string, FeatureValue> = {
          user_id: req.user_id,
          item_id: c.item_id,
          item_category: c.item_category,
        };
        if (c.price !== undefined) features.price = c.price;
        return { features, timeMs: nowMs };
      });
      const n = instances.length;
      const prefix = (i: number) => `candidates.${i}`;
      const w = model.session.width;
      const data = new Float32Array(n * w);
      const rows = (i: number) => data.subarray(i * w, (i + 1) * w);
      const prep = this.#prepareSync(model, instances, prefix, rows) ??
        await this.#prepare(model, instances, prefix, ctx.requestId, rows);
      const { probabilities } = await model.session.score(data, n);
      this.#observeDrift(model, data, n);
      const order = Array.from({ length: n }, (_, i) => i);
      order.sort((a, b) => probabilities[2 * b + 1] - probabilities[2 * a + 1] || a - b);
      const top = order.slice(0, Math.min(n, req.top_k ?? n));
      let asOf: number | null = null;
      for (const t of prep.asOf) if (t !== null && (asOf === null || t > asOf)) asOf = t;
      const latencyMs = performance.now() - ctx.startedAt;
      const flagged = outOfRangeByFeature(prep.assembled);
      ok = true;
      this.#count(model, arm.variant, latencyMs, true);
      return {
        candidates: top.map((i) => ({
          item_id: req.candidates[i].item_id,
          item_category: req.candidates[i].item_category,
          score: probabilities[2 * i + 1],
        })),
        model_name: name,
        model_version: model.version,
        request_id: ctx.requestId,
        variant: arm.variant,
        features_as_of: asOf === null ? null : new Date(asOf).toISOString(),
        timestamp: isoOf(this.#d.now()),
        latency_ms: latencyMs,
        ...(flagged.length > 0 ? { out_of_range: flagged } : {}),
      };
    } finally {
      if (!ok) this.#count(model, arm.variant, performance.now() - ctx.startedAt, false);
      this.#d.store.release(model);
    }
  }

  /** Scores raw rows (Open Inference Protocol); returns the model used and its scores. */
  async scoreRows(name: string, selector: string, data: Float32Array, n: number) {
    const model = await this.#d.store.acquire(name, selector);
    try {
      const scores = n === 1
        ? { n, probabilities: await model.session.scoreRow(data) }
        : await model.session.score(data, n);
      const labels = new Array<number>(n);
      for (let i = 0; i < n; i++) labels[i] = this.#label(model, scores.probabilities[2 * i + 1]);
      this.#observeDrift(model, data, n);
      return { model, labels, probabilities: scores.probabilities };
    } finally {
      this.#d.store.release(model);
    }
  }

  #arm(
    route: ModelRoute,
    explicit: string | undefined,
    sticky: string | undefined,
    features: Record<string, FeatureValue>,
    requestId: string,
  ): { selector: string; variant: string; shadow: boolean } {
    if (explicit !== undefined) {
      const variant = Object.hasOwn(route.aliases, explicit) ? explicit : "pinned";
      return { selector: explicit, variant, shadow: false };
    }
    const fallback = this.#d.config.defaultVersion;
    if (fallback !== "champion" || !route.aliases.champion) {
      return { selector: fallback, variant: fallback, shadow: false };
    }
    const key = sticky ?? stringOrUndefined(features.user_id) ?? requestId;
    const arm = chooseArm(route.traffic, route.aliases.challenger !== undefined, key);
    return { selector: arm.variant, variant: arm.variant, shadow: arm.shadow };
  }

  /** The assembly when no instance needs online features (no await), else `undefined`. */
  #prepareSync(
    model: LoadedModel,
    instances: Instance[],
    prefix: (i: number) => string,
    rows?: (i: number) => Float32Array,
  ): Prepared | undefined {
    const assembler = rowsOf(model.manifest);
    const views = assembler.views;
    if (views.length > 0 && instances.some((x) => !assembler.covers(x.features))) {
      return undefined;
    }
    const assembled = instances.map((inst, i) =>
      assembler.assemble(
        { fields: inst.features, timeMs: inst.timeMs },
        { prefix: prefix(i), into: rows?.(i), strict: true },
      )
    );
    checkAssembled(assembled, instances.map(() => []), prefix, false);
    return { assembled, online: instances.map(() => new Map()), asOf: instances.map(() => null) };
  }

  /** Reads every view of every instance that needs it in one round trip, then assembles. */
  async #prepare(
    model: LoadedModel,
    instances: Instance[],
    prefix: (i: number) => string,
    requestId: string,
    rows?: (i: number) => Float32Array,
  ): Promise<Prepared> {
    const assembler = rowsOf(model.manifest);
    const views = assembler.views;
    const ids = instances.map((inst) => entityIdsOf(views, inst));
    const lookups: OnlineLookup[] = [];
    // Owners of each lookup: instances sharing an entity (a ranking's user) read it once.
    const owners: [number, number][][] = [];
    const index = instances.length > 1 ? new Map<string, number>() : null;
    instances.forEach((inst, i) => {
      if (assembler.covers(inst.features)) return;
      views.forEach((view, v) => {
        const entityId = ids[i][v];
        if (entityId === undefined) return;
        const key = index && `${v}\u0000${inst.timeMs}\u0000${entityId}`;
        const j = key === null ? undefined : index!.get(key);
        if (j !== undefined) {
          owners[j].push([i, v]);
          return;
        }
        if (key !== null) index!.set(key, lookups.length);
        lookups.push({ view, entityId, asOfMs: inst.timeMs });
        owners.push([[i, v]]);
      });
    });
    const online: ViewValues[] = instances.map(() => new Map());
    const perView: (Record<string, number> | null)[][] = instances.map(() => views.map(() => null));
    const asOf: (number | null)[] = instances.map(() => null);
    let onlineFailed = false;
    if (lookups.length > 0) {
      const got = await this.#d.online.read(lookups, requestId);
      onlineFailed = got === null && this.#d.online.reader !== null;
      got?.forEach((f, j) => {
        for (const [i, v] of owners[j]) {
          perView[i][v] = f.values;
          online[i].set(viewKey(views[v]), f.values);
          if (f.asOfMs !== null && (asOf[i] === null || f.asOfMs > asOf[i]!)) asOf[i] = f.asOfMs;
        }
      });
    }
    const assembled = instances.map((inst, i) =>
      assembler.assemble(
        { fields: inst.features, views: perView[i], timeMs: inst.timeMs },
        { prefix: prefix(i), into: rows?.(i), strict: true },
      )
    );
    checkAssembled(assembled, ids.map((x) => missingKeys(views, x)), prefix, onlineFailed);
    return { assembled, online, asOf };
  }

  #label(model: LoadedModel, p1: number): number {
    const idx = p1 >= model.manifest.threshold ? 1 : 0;
    const c = model.manifest.classes[idx];
    return typeof c === "number" ? c : idx;
  }

  #observeDrift(model: LoadedModel, data: Float32Array, n: number): void {
    const monitor = this.#d.drift?.get(model.name, model.version);
    if (!monitor) return;
    const names = namesOf(model);
    if (n === 1) monitor.observe(data, names);
    else monitor.observeRows(data, n, names);
  }

  #count(model: LoadedModel, variant: string, latencyMs: number, ok: boolean): void {
    const m = this.#d.metrics;
    m.inc(m.predictions, [model.name, model.version, ok ? "success" : "error", variant]);
    m.observe(m.predictionDuration, [model.name, variant], latencyMs / 1000);
    this.#d.rollout?.record(model.name, variant, latencyMs, !ok);
  }

  #requestTime(text: string | undefined, path: string, nowMs: number): number {
    if (text === undefined) return nowMs;
    const t = parseIsoUtc(text);
    if (t === null) {
      throw new EdgeError("validation_failed", `Invalid ${path}: ${JSON.stringify(text)}`, {
        details: [{ path, message: "Must be an ISO 8601 timestamp" }],
      });
    }
    return t;
  }

  async #shadow(
    name: string,
    inst: Instance,
    online: ViewValues,
    served: number,
    requestId: string,
  ): Promise<void> {
    const started = performance.now();
    let model: LoadedModel | undefined;
    try {
      model = await this.#d.store.acquire(name, "challenger");
      const rows = rowsOf(model.manifest);
      const a = rows.assemble({
        fields: inst.features,
        views: rows.views.map((v) => online.get(viewKey(v)) ?? null),
        timeMs: inst.timeMs,
      });
      if (a.missing.length > 0 || a.issues.length > 0) {
        throw new Error(
          `Challenger lacks features: ${[...a.missing, ...a.issues.map((i) => i.path)].join(", ")}`,
        );
      }
      const p = await model.session.scoreRow(a.row);
      const disagreed = this.#label(model, p[1]) !== served;
      this.#d.metrics.inc(this.#d.metrics.shadowPredictions, [
        name,
        disagreed ? "disagree" : "agree",
      ]);
      this.#d.rollout?.shadow(name, "challenger", disagreed);
      this.#count(model, "challenger_shadow", performance.now() - started, true);
    } catch (error) {
      this.#d.metrics.inc(this.#d.metrics.shadowPredictions, [name, "error"]);
      this.#d.rollout?.record(name, "challenger_shadow", performance.now() - started, true);
      this.#d.logger.log("warn", "Shadow prediction failed", {
        request_id: requestId,
        model_name: name,
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      if (model) this.#d.store.release(model);
    }
  }
}

/**
 * A batch's out-of-range values grouped by feature (the range once per
 * feature, not once per value: a batch of unusual traffic stays small).
 */
function outOfRangeByFeature(
  assembled: readonly { outOfRange: readonly OutOfRange[] }[],
): BatchOutOfRange[] {
  const byFeature = new Map<string, BatchOutOfRange>();
  for (let i = 0; i < assembled.length; i++) {
    for (const o of assembled[i].outOfRange) {
      let g = byFeature.get(o.feature);
      if (!g) {
        g = { feature: o.feature, min: o.min, max: o.max, instances: [], values: [] };
        byFeature.set(o.feature, g);
      }
      g.instances.push(i);
      g.values.push(o.value);
    }
  }
  return [...byFeature.values()];
}
