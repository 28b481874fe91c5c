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

const source = z.string().min(1).describe("Raw field the transform reads");

/** A declarative transform from a raw field to one numeric model input. */
export const TransformSpecSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("identity"), source }),
  z.object({ kind: z.literal("bool"), source }),
  z.object({ kind: z.literal("log1p"), source }),
  z.object({
    kind: z.literal("crc32_mod"),
    source,
    modulo: z.number().int().positive(),
    /** Value used when the raw field is missing or null (before hashing). */
    missing: z.string().optional(),
  }),
  z.object({ kind: z.literal("hour_of_day"), source }),
  z.object({ kind: z.literal("day_of_week"), source }),
  z.object({ kind: z.literal("is_weekend"), source }),
  z.object({ kind: z.literal("is_night"), source }),
]);
/** A declarative transform. */
export type TransformSpec = z.infer<typeof TransformSpecSchema>;
/** The names of the transform kinds. */
export type TransformKind = TransformSpec["kind"];

/** One ordered model input. */
export const ModelInputSchema = z.object({
  name: z.string().min(1),
  dtype: z.literal("float32").default("float32"),
  /** How to compute it from a raw field when the request lacks `name` itself. */
  transform: TransformSpecSchema.optional(),
  /** Explicit default; when used, the response lists it in `defaults_used`. */
  default: z.number().finite().optional(),
});
/** One ordered model input. */
export type ModelInput = z.infer<typeof ModelInputSchema>;

/** Training baseline of one feature for drift (population stability index). */
export const FeatureBaselineSchema = z.object({
  /** Bin edges, ascending; bins are (-inf, e0], (e0, e1], ..., (eN, +inf). */
  edges: z.array(z.number()),
  /** Fraction of training rows per bin (edges.length + 1 values). */
  frequencies: z.array(z.number().min(0)),
});

/** The manifest of a model package. */
export const ModelManifestSchema = z.object({
  format_version: z.literal(1).default(1),
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
  /** The feature view that supplies online features, when any. */
  feature_view: z.object({
    name: z.string(),
    version: z.number().int().positive(),
    entity_key: z.string(),
  }).optional(),
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
