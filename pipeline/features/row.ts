/**
 * The one row assembler: turns (model inputs, request or event fields, view
 * features, time) into the float32 row a model is fed. The edge, the
 * trainer, training-set export, evaluation and drift all build rows here,
 * so serving and training cannot disagree on a value.
 *
 * A name resolves, in order, to: the request's (or record's) own value of
 * it, coerced by its declared dtype; the view feature of that name; its
 * transform (of a raw field, or over other names); its explicit default.
 * Otherwise it is missing. Nothing is filled silently.
 *
 * Coercion by dtype: `float32` takes a JSON number; `bool` takes a boolean
 * or the number 0 or 1 (an input computed by a flag transform — `bool`,
 * `is_weekend`, `is_night` — is a `bool`). A string or boolean where a number belongs is an
 * issue naming the field and the expected type. In `text` mode (CSV cells)
 * a cell is parsed by the same rule: numeric text for `float32`,
 * `true`/`false` (any case) or 0/1 for `bool`, and an empty cell is missing.
 *
 * @module
 */
import type { FieldIssue } from "../../schemas/errors.ts";
import type { ModelInput } from "../../schemas/manifest.ts";
import { transformOperands, type TransformSpec } from "../../schemas/transform.ts";
import {
  applyCombine,
  applyTransform,
  type CombineTransform,
  type RawValue,
  SCALAR_KINDS,
  type ScalarTransform,
  TIME_KINDS,
  TransformError,
} from "./transforms.ts";
import type { FeatureView } from "./view.ts";

/** What the assembler needs of a model (a manifest, or a model being trained). */
export interface RowModel {
  /** The ordered model inputs. */
  readonly inputs: readonly ModelInput[];
  /** Named request-time features that inputs' transforms read without being inputs. */
  readonly requestFeatures?: readonly ModelInput[];
  /** The views whose features names may resolve to. */
  readonly views?: readonly FeatureView[];
  /** A value outside an input's `training_range`: `flag` (default) or `refuse`. */
  readonly outOfRange?: "flag" | "refuse";
  /** Read a JSON boolean as 0/1 where a number belongs (models of manifest format 1). */
  readonly booleansAsNumbers?: boolean;
  /** Names a request may carry that the inputs do not read (strict mode refuses others). */
  readonly acceptedFields?: readonly string[];
}

/** One instance to assemble. */
export interface RowSource {
  /** Request features, or a record's fields (raw event fields and feature values). */
  readonly fields: Readonly<Record<string, RawValue>>;
  /** Window feature values per view of the assembler's `views` (null: not read). */
  readonly views?: readonly (Readonly<Record<string, number>> | null)[] | null;
  /** Instant of time-derived features when the fields lack their source (epoch ms). */
  readonly timeMs: number;
}

/** Options of {@linkcode RowAssembler.assemble}. */
export interface AssembleOptions {
  /** Prepended to issue paths: `features`, `instances.3`, `row 12`. Default `features`. */
  prefix?: string;
  /** Receives the row (a view of a batch buffer) instead of a new array. */
  into?: Float32Array;
  /**
   * Keep values at double precision (a `Float64Array` row) instead of
   * rounding to float32 as a model sees them: for exported feature values.
   */
  float64?: boolean;
  /** Fields are CSV text cells: parse each by its consumer's type. */
  text?: boolean;
  /** Field names the model does not know are issues (requests). */
  strict?: boolean;
}

/** A value outside the range seen in training. */
export interface OutOfRange {
  feature: string;
  value: number;
  min: number;
  max: number;
}

/** The assembled row and how it was made. */
export interface Assembled<R extends Float32Array | Float64Array = Float32Array> {
  /** The model input row (input order); float64 only when asked. */
  row: R;
  /** The row by input name (empty when written `into` a batch). */
  used: Record<string, number>;
  /** Names that took their explicit default. */
  defaultsUsed: string[];
  /** Inputs found nowhere. */
  missing: string[];
  /** Values present but invalid (wrong type, outside the declared domain, unknown name). */
  issues: FieldIssue[];
  /** Inputs outside their training range (policy `flag`). */
  outOfRange: OutOfRange[];
}

/** Thrown inside resolution; becomes one issue. */
class Issue {
  constructor(readonly field: string, readonly message: string) {}
}

interface Ctx {
  src: RowSource;
  text: boolean;
  defaults: string[];
}

type Resolver = (ctx: Ctx) => number | undefined;

const TRUE_TEXT = /^true$/i, FALSE_TEXT = /^false$/i;
const FLAG_KINDS: ReadonlySet<string> = new Set(["bool", "is_weekend", "is_night"]);

// The instances of a batch share the request time: derive each time feature once.
let memoTime = Number.NaN;
const memo = new Map<string, number>();
function timeFeature(kind: string, timeMs: number): number {
  if (timeMs !== memoTime) {
    memo.clear();
    memoTime = timeMs;
  }
  let v = memo.get(kind);
  if (v === undefined) {
    v = applyTransform({ kind, source: "timestamp" } as ScalarTransform, timeMs);
    memo.set(kind, v);
  }
  return v;
}

// Categories repeat: remember their codes (bounded) instead of hashing every time.
const categoryCodes = new Map<string, number>();
function hashedCategory(spec: Extract<TransformSpec, { kind: "crc32_mod" }>, raw: string): number {
  const k = `${spec.modulo}\u0000${raw}`;
  let v = categoryCodes.get(k);
  if (v === undefined) {
    v = applyTransform(spec, raw);
    if (categoryCodes.size >= 10_000) categoryCodes.clear();
    categoryCodes.set(k, v);
  }
  return v;
}

function describe(v: unknown): string {
  return typeof v === "string" ? `the string ${JSON.stringify(v)}` : `${typeof v} ${String(v)}`;
}

/** Coerces a present value by a dtype, or throws an issue naming `name`. */
function coerce(
  dtype: "float32" | "bool",
  raw: RawValue,
  name: string,
  text: boolean,
  booleans: boolean,
): number {
  if (text && typeof raw === "string") {
    const s = raw.trim();
    if (dtype === "bool" || (booleans && (TRUE_TEXT.test(s) || FALSE_TEXT.test(s)))) {
      if (TRUE_TEXT.test(s) || s === "1") return 1;
      if (FALSE_TEXT.test(s) || s === "0") return 0;
      throw new Issue(name, `Expected a boolean (true/false or 0/1), got ${JSON.stringify(raw)}`);
    }
    const n = Number(s);
    if (s !== "" && Number.isFinite(n)) return n;
    throw new Issue(name, `Expected a number, got ${JSON.stringify(raw)}`);
  }
  if (dtype === "bool") {
    if (typeof raw === "boolean") return raw ? 1 : 0;
    if (raw === 0 || raw === 1) return raw;
    throw new Issue(name, `Expected a boolean (or 0/1), got ${describe(raw)}`);
  }
  if (typeof raw === "number" && Number.isFinite(raw)) return raw;
  if (booleans && typeof raw === "boolean") return raw ? 1 : 0;
  throw new Issue(name, `Expected a number, got ${describe(raw)}`);
}

/** A CSV cell read by a transform of `kind`: numeric text becomes a number where one is read. */
function fromText(kind: string, raw: string): RawValue {
  const s = raw.trim();
  if (kind === "crc32_mod") return raw;
  if (kind === "bool") {
    if (TRUE_TEXT.test(s) || s === "1") return true;
    if (FALSE_TEXT.test(s) || s === "0") return false;
    return raw;
  }
  const n = Number(s);
  if (s !== "" && Number.isFinite(n) && !TIME_KINDS.has(kind)) return n;
  return raw;
}

function isMissing(v: RawValue, text: boolean): boolean {
  return v === undefined || v === null || (text && v === "");
}

/**
 * Builds model rows for one model. Compile once per model (it resolves
 * names and checks the definitions once), then assemble many rows.
 *
 * @example
 * ```ts
 * const rows = new RowAssembler({ inputs: manifest.inputs, views });
 * const a = rows.assemble({ fields: { amount: 950 }, views: [online], timeMs: Date.now() });
 * ```
 */
export class RowAssembler {
  /** The views names may resolve to (order of `RowSource.views`). */
  readonly views: readonly FeatureView[];
  /** Input names, in row order. */
  readonly names: readonly string[];
  readonly #model: RowModel;
  readonly #defs = new Map<string, ModelInput>();
  readonly #viewOf = new Map<string, number>();
  readonly #resolvers = new Map<string, Resolver>();
  readonly #inputs: Resolver[];
  readonly #known: ReadonlySet<string>;

  /** Throws `TransformError` when a transform reads a name that cycles back to itself. */
  constructor(model: RowModel) {
    this.#model = model;
    this.views = model.views ?? [];
    this.names = model.inputs.map((i) => i.name);
    for (const d of model.requestFeatures ?? []) this.#defs.set(d.name, d);
    for (const d of model.inputs) this.#defs.set(d.name, d);
    this.views.forEach((v, i) => {
      for (const f of v.windowFeatures) if (!this.#viewOf.has(f.name)) this.#viewOf.set(f.name, i);
    });
    this.#inputs = model.inputs.map((i) => this.#resolver(i.name, []));
    const known = new Set<string>(["timestamp", "entity_id", "event_id"]);
    for (const [name, def] of this.#defs) {
      known.add(name);
      if (def.transform) { for (const o of transformOperands(def.transform)) known.add(o); }
    }
    for (const name of this.#viewOf.keys()) known.add(name);
    for (const v of this.views) for (const k of v.keys) known.add(k);
    for (const name of model.acceptedFields ?? []) known.add(name);
    this.#known = known;
  }

  /** Number of inputs (the row width). */
  get width(): number {
    return this.#inputs.length;
  }

  /** Whether `name` is a field the model reads (an input, a feature, an operand, a key). */
  knows(name: string): boolean {
    return this.#known.has(name);
  }

  #resolver(name: string, path: string[]): Resolver {
    const done = this.#resolvers.get(name);
    if (done) return done;
    if (path.includes(name)) {
      throw new TransformError(
        name,
        `Transforms read each other in a cycle: ${[...path, name].join(" → ")}`,
      );
    }
    const def = this.#defs.get(name);
    const viewIdx = this.#viewOf.get(name) ?? -1;
    // A transform that yields a flag (bool, is_weekend, is_night) takes a flag when given directly.
    const flag = def?.transform !== undefined && FLAG_KINDS.has(def.transform.kind);
    const dtype = flag ? "bool" : def?.dtype ?? "float32";
    const domain = def?.domain;
    const transform = def?.transform ? this.#transform(name, def.transform, [...path, name]) : null;
    const dflt = def?.default;
    const booleans = this.#model.booleansAsNumbers ?? false;
    const r: Resolver = (ctx) => {
      const raw = ctx.src.fields[name];
      if (!isMissing(raw, ctx.text)) {
        const v = coerce(dtype, raw, name, ctx.text, booleans);
        if (
          domain && ((domain.min !== undefined && v < domain.min) ||
            (domain.max !== undefined && v > domain.max))
        ) {
          throw new Issue(
            name,
            `Out of its domain [${domain.min ?? "-inf"}, ${domain.max ?? "inf"}]: ${v}`,
          );
        }
        return v;
      }
      if (viewIdx >= 0) {
        const rec = ctx.src.views?.[viewIdx];
        const v = rec ? rec[name] : undefined;
        if (v !== undefined) return v;
      }
      if (transform) {
        const v = transform(ctx);
        if (v !== undefined) return v;
      }
      if (dflt !== undefined) {
        ctx.defaults.push(name);
        return dflt;
      }
      return undefined;
    };
    this.#resolvers.set(name, r);
    return r;
  }

  #isName(name: string): boolean {
    return this.#defs.has(name) || this.#viewOf.has(name);
  }

  #transform(owner: string, spec: TransformSpec, path: string[]): Resolver {
    if (!SCALAR_KINDS.has(spec.kind)) {
      const c = spec as CombineTransform;
      const ops = transformOperands(c).map((o) => this.#resolver(o, path));
      return (ctx) => {
        const values: number[] = [];
        for (const op of ops) {
          const v = op(ctx);
          if (v === undefined) return undefined;
          values.push(v);
        }
        return applyCombine(c, values);
      };
    }
    const s = spec as ScalarTransform;
    const source = s.source;
    // The source may itself be a feature (a view feature, another request feature).
    const inner = source !== owner && this.#isName(source) ? this.#resolver(source, path) : null;
    const time = TIME_KINDS.has(s.kind);
    return (ctx) => {
      let raw: RawValue = ctx.src.fields[source];
      if (isMissing(raw, ctx.text)) {
        if (inner) {
          raw = inner(ctx);
          if (raw === undefined) return undefined;
        } else if (time) return timeFeature(s.kind, ctx.src.timeMs);
        else if (s.kind === "crc32_mod" && s.missing !== undefined) {
          return hashedCategory(s, s.missing);
        } else return undefined;
      } else if (ctx.text && typeof raw === "string") raw = fromText(s.kind, raw);
      try {
        return s.kind === "crc32_mod" && typeof raw === "string"
          ? hashedCategory(s, raw)
          : applyTransform(s, raw);
      } catch (error) {
        if (error instanceof TransformError) throw new Issue(source, error.message);
        throw error;
      }
    };
  }

  /**
   * Whether `fields` alone give every input (directly, by a transform of a
   * raw field, a time, or a default): then no view feature is needed.
   */
  covers(fields: Readonly<Record<string, RawValue>>): boolean {
    for (const name of this.names) if (!this.#coverable(name, fields, 0)) return false;
    return true;
  }

  #coverable(name: string, fields: Readonly<Record<string, RawValue>>, depth: number): boolean {
    const raw = fields[name];
    if (raw !== undefined && raw !== null) return true;
    const def = this.#defs.get(name);
    if (!def || depth > 32) return false;
    if (def.default !== undefined) return true;
    const t = def.transform;
    if (!t) return false;
    if (!SCALAR_KINDS.has(t.kind)) {
      return transformOperands(t).every((o) => this.#coverable(o, fields, depth + 1));
    }
    const s = t as ScalarTransform;
    const v = fields[s.source];
    if (v !== undefined && v !== null) return true;
    if (TIME_KINDS.has(s.kind) || (s.kind === "crc32_mod" && s.missing !== undefined)) return true;
    return s.source !== name && this.#coverable(s.source, fields, depth + 1);
  }

  /** Builds the row of one instance (float32, as the model reads it). */
  assemble(src: RowSource, options?: AssembleOptions & { float64?: false }): Assembled;
  /** Builds the row of one instance at double precision. */
  assemble(src: RowSource, options: AssembleOptions & { float64: true }): Assembled<Float64Array>;
  assemble(
    src: RowSource,
    options: AssembleOptions = {},
  ): Assembled<Float32Array> | Assembled<Float64Array> {
    const prefix = options.prefix ?? "features";
    const n = this.#inputs.length;
    const row = options.into ?? (options.float64 ? new Float64Array(n) : new Float32Array(n));
    const used: Record<string, number> = {};
    const missing: string[] = [];
    const issues: FieldIssue[] = [];
    const outOfRange: OutOfRange[] = [];
    const ctx: Ctx = { src, text: options.text ?? false, defaults: [] };
    if (options.strict) {
      for (const k in src.fields) {
        if (!this.#known.has(k)) {
          issues.push({
            path: `${prefix}.${k}`,
            message: `Unknown feature: the model reads ${this.names.join(", ")}`,
          });
        }
      }
    }
    const inputs = this.#model.inputs;
    for (let i = 0; i < n; i++) {
      let value: number | undefined;
      try {
        value = this.#inputs[i](ctx);
      } catch (error) {
        if (!(error instanceof Issue)) throw error;
        issues.push({ path: `${prefix}.${error.field}`, message: error.message });
        continue;
      }
      const name = inputs[i].name;
      if (value === undefined) {
        missing.push(name);
        continue;
      }
      row[i] = value;
      if (!Number.isFinite(row[i])) {
        issues.push({ path: `${prefix}.${name}`, message: "Out of the float32 range" });
        continue;
      }
      const range = inputs[i].training_range;
      if (range && (value < range.min || value > range.max)) {
        const o = { feature: name, value, min: range.min, max: range.max };
        if (this.#model.outOfRange === "refuse") {
          issues.push({
            path: `${prefix}.${name}`,
            message: `Outside the training range [${range.min}, ${range.max}]: ${value}`,
          });
        } else outOfRange.push(o);
      }
      if (!options.into) used[name] = row[i];
    }
    return { row, used, defaultsUsed: ctx.defaults, missing, issues, outOfRange } as
      | Assembled<Float32Array>
      | Assembled<Float64Array>;
  }
}
