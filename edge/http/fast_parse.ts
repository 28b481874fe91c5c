/**
 * Fast paths for the two hot request bodies. They accept only what the zod
 * schemas accept and return the same value (defaults applied, unknown keys
 * dropped); anything else returns `undefined` and the zod schema then
 * produces the detailed 422. zod stays the single definition (and the
 * source of `/openapi.json`); this only skips its generic machinery for the
 * common, valid case.
 *
 * @module
 */
import type { BatchPredictRequest, PredictRequest } from "../../schemas/prediction.ts";

type Features = Record<string, number | string | boolean | null>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function features(v: unknown): Features | undefined {
  if (!isPlainObject(v)) return undefined;
  for (const key in v) {
    const x = v[key];
    const t = typeof x;
    if (x !== null && t !== "number" && t !== "string" && t !== "boolean") return undefined;
  }
  return v as Features;
}

/** `EntitiesSchema` for a valid value, `undefined` when absent, `false` otherwise. */
function entities(v: unknown): Record<string, string> | undefined | false {
  if (v === undefined) return undefined;
  if (!isPlainObject(v)) return false;
  let n = 0;
  for (const key in v) {
    const x = v[key];
    if (++n > 8 || key.length < 1 || key.length > 64) return false;
    if (typeof x !== "string" || x.length < 1 || x.length > 256) return false;
  }
  return v as Record<string, string>;
}

function optString(v: unknown, min: number, max: number): string | undefined | false {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length < min || v.length > max) return false;
  return v;
}

function common(o: Record<string, unknown>) {
  const model_name = optString(o.model_name, 1, 100);
  const version = optString(o.version, 1, 100);
  const rp = o.return_probabilities;
  if (model_name === false || version === false) return undefined;
  if (rp !== undefined && typeof rp !== "boolean") return undefined;
  const explain = o.explain;
  const top = o.explain_top;
  if (explain !== undefined && typeof explain !== "boolean") return undefined;
  if (
    top !== undefined && !(Number.isInteger(top) && (top as number) >= 1 && (top as number) <= 1000)
  ) {
    return undefined;
  }
  return {
    model_name,
    version,
    return_probabilities: rp ?? true,
    explain: explain as boolean | undefined,
    explain_top: top as number | undefined,
  };
}

/** Copies the optional fields `common()` read onto a request. */
function setCommon(
  out: PredictRequest | BatchPredictRequest,
  c: NonNullable<ReturnType<typeof common>>,
) {
  if (c.model_name !== undefined) out.model_name = c.model_name;
  if (c.version !== undefined) out.version = c.version;
  if (c.explain !== undefined) out.explain = c.explain;
  if (c.explain_top !== undefined) out.explain_top = c.explain_top;
}

/** `PredictRequestSchema.parse(v)` for valid bodies, else `undefined`. */
export function fastPredictRequest(v: unknown): PredictRequest | undefined {
  if (!isPlainObject(v)) return undefined;
  const f = v.features === undefined ? {} : features(v.features);
  const c = common(v);
  const entity_id = optString(v.entity_id, 1, 256);
  const e = entities(v.entities);
  const timestamp = optString(v.timestamp, 0, Number.MAX_SAFE_INTEGER);
  if (!f || !c || entity_id === false || e === false || timestamp === false) return undefined;
  const out: PredictRequest = { features: f, return_probabilities: c.return_probabilities };
  if (entity_id !== undefined) out.entity_id = entity_id;
  if (e !== undefined) out.entities = e;
  setCommon(out, c);
  if (timestamp !== undefined) out.timestamp = timestamp;
  return out;
}

/** `BatchPredictRequestSchema.parse(v)` for valid bodies, else `undefined`. */
export function fastBatchRequest(v: unknown): BatchPredictRequest | undefined {
  if (!isPlainObject(v) || !Array.isArray(v.instances) || v.instances.length === 0) {
    return undefined;
  }
  for (const inst of v.instances) if (!features(inst)) return undefined;
  const c = common(v);
  const e = entities(v.entities);
  if (!c || e === false) return undefined;
  const out: BatchPredictRequest = {
    instances: v.instances as Features[],
    return_probabilities: c.return_probabilities,
  };
  if (e !== undefined) out.entities = e;
  setCommon(out, c);
  return out;
}
