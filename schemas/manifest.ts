/**
 * The model package manifest (`manifest.json` beside `model.onnx`) and the
 * declarative input transforms it may carry.
 *
 * The transform code itself lives in `pipeline/features/transforms.ts` and
 * runs at training and at serving time, so the two cannot skew.
 *
 * @module
 */
import { z } from "zod";
import { EntityDefinitionSchema, FeatureViewDefinitionSchema } from "./definitions.ts";
import { TransformSpecSchema } from "./transform.ts";

export {
  type TransformKind,
  transformOperands,
  type TransformSpec,
  TransformSpecSchema,
} from "./transform.ts";

/**
 * The JSON type a value of an input takes: `float32` a number; `bool` a
 * boolean, or the number 0 or 1.
 */
export const InputDtypeSchema = z.enum(["float32", "bool"]);

/** Valid values of an input; a value outside is refused (422). */
export const InputDomainSchema = z.object({
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
});

/** One ordered model input. */
export const ModelInputSchema = z.object({
  name: z.string().min(1),
  dtype: InputDtypeSchema.default("float32"),
  /** How to compute it (from a raw field or other features) when the request lacks `name` itself. */
  transform: TransformSpecSchema.optional(),
  /** Explicit default; when used, the response lists it in `defaults_used`. */
  default: z.number().finite().optional(),
  /** Declared valid values (e.g. hour_of_day 0–23): a value outside is a 422. */
  domain: InputDomainSchema.optional(),
  /**
   * The range seen in training. A value outside is flagged in the response
   * (`out_of_range`), or refused when the manifest's `out_of_range` is `refuse`.
   */
  training_range: z.object({ min: z.number(), max: z.number() }).optional(),
  /** The mean seen in training: a linear model's explanation measures from it. */
  training_mean: z.number().optional(),
});
/** One ordered model input. */
export type ModelInput = z.infer<typeof ModelInputSchema>;

/** Training baseline of one feature for drift (population stability index). */
export const FeatureBaselineSchema = z.object({
  /** Bin edges, ascending; bins are (-inf, e0], (e0, e1], ..., (eN, +inf) (`binIndex` in `pipeline/drift_bins.ts`). */
  edges: z.array(z.number()),
  /** Fraction of training rows per bin (edges.length + 1 values). */
  frequencies: z.array(z.number().min(0)),
});

/** The manifest of a model package. */
export const ModelManifestSchema = z.object({
  /**
   * 1: inputs typed only `float32` (a JSON boolean reads as 0/1); 2: inputs
   * carry their dtype and domain, and coercion follows them strictly.
   */
  format_version: z.union([z.literal(1), z.literal(2)]).default(1),
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/),
  version: z.string().min(1),
  created_at: z.string(),
  /** sha256 (hex) of `model.onnx`. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Who produced the graph: `platform-gbdt`, `platform-logreg`, `sklearn`, ... */
  framework: z.string().default("unknown"),
  /** Name of the ONNX input tensor, fed as float32 `[N, inputs.length]`. */
  input_name: z.string().default("input"),
  inputs: z.array(ModelInputSchema).min(1),
  outputs: z.object({
    label: z.string(),
    probabilities: z.string(),
  }),
  classes: z.array(z.union([z.number(), z.string()])).length(2).default([0, 1]),
  threshold: z.number().min(0).max(1).default(0.5),
  metrics: z.record(z.string(), z.unknown()).default({}),
  training_data: z.object({
    /** sha256 over the canonical training rows. */
    fingerprint: z.string(),
    rows: z.number().int().nonnegative(),
    source: z.string().optional(),
    label: z.string().optional(),
  }),
  /**
   * The feature view that supplies online features, when any (format 1;
   * resolved by name among the shipped examples). Newer manifests carry
   * `feature_views` instead.
   */
  feature_view: z.object({
    name: z.string(),
    version: z.number().int().positive(),
    entity_key: z.string(),
  }).optional(),
  /**
   * The definitions of every feature view the inputs read, with their
   * entities, so that the edge needs no feature repository: it computes
   * online values from these.
   */
  feature_views: z.array(z.object({
    view: FeatureViewDefinitionSchema,
    entity: EntityDefinitionSchema,
  })).optional(),
  /** Request-time features that inputs' transforms read but that are not inputs themselves. */
  request_features: z.array(ModelInputSchema).default([]),
  /**
   * Names a request may carry that the inputs do not read: every field and
   * feature of the feature repository the model was trained from. Clients of
   * an A/B split or a canary send what every version reads, and keep sending
   * it after a rollback; a name outside this list and the inputs' is a 422
   * (a typo). Absent: only the inputs' own names.
   */
  accepted_fields: z.array(z.string()).optional(),
  /** What a value outside an input's `training_range` does: `flag` it (default) or `refuse` (422). */
  out_of_range: z.enum(["flag", "refuse"]).default("flag"),
  /** Rows (model-input order) and the probabilities the trainer computed. */
  golden: z.object({
    rows: z.array(z.array(z.number())),
    probabilities: z.array(z.array(z.number())),
  }).optional(),
  baseline: z.record(z.string(), FeatureBaselineSchema).optional(),
  params: z.record(z.string(), z.unknown()).default({}),
});
/** The manifest of a model package. */
export type ModelManifest = z.infer<typeof ModelManifestSchema>;
/** A manifest as written (defaults not yet applied). */
export type ModelManifestInput = z.input<typeof ModelManifestSchema>;

/**
 * A model package: the ONNX bytes and their manifest. Training builds it
 * (`pipeline/`), registries store it (`registry/`), the edge loads it.
 */
export interface ModelPackage {
  manifest: ModelManifest;
  /** The bytes of `model.onnx`; their sha256 equals `manifest.sha256`. */
  onnx: Uint8Array;
}
