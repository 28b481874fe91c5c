/**
 * The prediction API. Field names follow the reference platform so its
 * clients work unchanged (`features`, `model_name`, `return_probabilities`,
 * `prediction`, `probabilities`, `model_version`, `latency_ms`, ...).
 *
 * @module
 */
import { z } from "zod";

/** A raw feature value in a request. */
export const FeatureValueSchema = z.union([z.number(), z.string(), z.boolean(), z.null()]);

/** Features of one instance, by name. */
export const FeaturesSchema = z.record(z.string(), FeatureValueSchema);

/**
 * The entities of a request by key field (`{"device_id": "d1", "site_id":
 * "s1"}`): the edge reads each view's online features for its entity.
 */
export const EntitiesSchema = z.record(
  z.string().min(1).max(64),
  z.string().min(1).max(256),
).refine((e) => Object.keys(e).length <= 8, { message: "At most 8 entity keys" });

/** Which version to use: `champion` (default), an alias, a number or `latest`. */
export const VersionSelectorSchema = z.string().min(1).max(100);

/** Asks for the contribution of every input to the score, and the base value. */
export const ExplainFlagSchema = z.boolean().optional().meta({
  description: "Return each input's contribution to the score and the base value (`explanation`)",
});

/**
 * Asks for only the N inputs that moved the score most (by magnitude), with
 * their values: the "reason code" form. Implies `explain`.
 */
export const ExplainTopSchema = z.number().int().min(1).max(1000).optional().meta({
  description:
    "Return only the N inputs that moved the score most, with their values (reason codes)",
});

/** `POST /predict` request. */
export const PredictRequestSchema = z.object({
  features: FeaturesSchema.default({}),
  /** The entity of a single-entity model (the reference's field). */
  entity_id: z.string().min(1).max(256).optional(),
  /** The entities of the request by key field, for models reading several entity types. */
  entities: EntitiesSchema.optional(),
  model_name: z.string().min(1).max(100).optional(),
  version: VersionSelectorSchema.optional(),
  return_probabilities: z.boolean().default(true),
  timestamp: z.string().optional(),
  explain: ExplainFlagSchema,
  explain_top: ExplainTopSchema,
});
/** `POST /predict` request. */
export type PredictRequest = z.infer<typeof PredictRequestSchema>;

/** An input value outside the range the model saw in training. */
export const OutOfRangeSchema = z.object({
  feature: z.string(),
  value: z.number(),
  min: z.number(),
  max: z.number(),
});

/**
 * One feature's values outside its training range in a batch: the range
 * once, then the instances (indexes) and their values, in the same order.
 */
export const BatchOutOfRangeSchema = z.object({
  feature: z.string(),
  min: z.number(),
  max: z.number(),
  instances: z.array(z.number().int()),
  values: z.array(z.number()),
});

/** One feature's out-of-range values in a batch. */
export type BatchOutOfRange = z.infer<typeof BatchOutOfRangeSchema>;

/**
 * What the margin and the contributions are: `log_odds` (the probability is
 * its logistic), `probability` (the score itself, as in a random forest) or
 * `raw` (a regressor's output).
 */
export const ExplanationOutputSchema = z.enum(["log_odds", "probability", "raw"]);

/** One input among the N that moved the score most. */
export const ReasonSchema = z.object({
  feature: z.string(),
  /** The input's value as the model saw it. */
  value: z.number(),
  contribution: z.number(),
});
/** One input among the N that moved the score most. */
export type Reason = z.infer<typeof ReasonSchema>;

/**
 * Why the model scored what it did: `base_value` (the expected margin over
 * the training data) plus the contributions equals `margin`, the score
 * before the model's final transform. Tree ensembles: exact path-dependent
 * TreeSHAP; linear models: coefficient × (value − training mean).
 */
export const ExplanationSchema = z.object({
  method: z.enum(["tree_shap", "linear"]),
  output: ExplanationOutputSchema,
  base_value: z.number(),
  margin: z.number(),
  /** Every input's contribution, by name (with `explain: true`). */
  contributions: z.record(z.string(), z.number()).optional(),
  /** The `explain_top` inputs with the largest contributions by magnitude, largest first. */
  reasons: z.array(ReasonSchema).optional(),
});
/** Why the model scored what it did. */
export type Explanation = z.infer<typeof ExplanationSchema>;

/**
 * The explanations of a batch, column-wise (the names and the base value
 * once): instance `i` has margin `margins[i]` = `base_value` + the sum of
 * `contributions[i]` (one value per name of `features`, in that order), or,
 * with `explain_top`, its reasons in `reasons[i]`.
 */
export const BatchExplanationsSchema = z.object({
  method: z.enum(["tree_shap", "linear"]),
  output: ExplanationOutputSchema,
  base_value: z.number(),
  margins: z.array(z.number()),
  /** The model's inputs, in the order of each row of `contributions`. */
  features: z.array(z.string()).optional(),
  contributions: z.array(z.array(z.number())).optional(),
  reasons: z.array(z.array(ReasonSchema)).optional(),
});
/** The explanations of a batch, column-wise. */
export type BatchExplanations = z.infer<typeof BatchExplanationsSchema>;

/** `POST /predict` response. */
export const PredictResponseSchema = z.object({
  prediction: z.number(),
  probabilities: z.array(z.number()).nullable(),
  model_name: z.string(),
  model_version: z.string(),
  timestamp: z.string(),
  latency_ms: z.number(),
  features_used: z.record(z.string(), z.number()),
  request_id: z.string(),
  variant: z.string(),
  cached: z.boolean(),
  features_as_of: z.string().nullable(),
  defaults_used: z.array(z.string()).optional(),
  /** Inputs outside the range seen in training (the model's policy is to flag them). */
  out_of_range: z.array(OutOfRangeSchema).optional(),
  /** With `explain` or `explain_top`. */
  explanation: ExplanationSchema.optional(),
});
/** `POST /predict` response. */
export type PredictResponse = z.infer<typeof PredictResponseSchema>;

/** One instance of a batch: its features, optionally an entity id. */
export const BatchInstanceSchema = FeaturesSchema;

/** `POST /predict/batch` request. */
export const BatchPredictRequestSchema = z.object({
  instances: z.array(BatchInstanceSchema).min(1),
  /** Entities shared by every instance (an instance's own key fields win). */
  entities: EntitiesSchema.optional(),
  model_name: z.string().min(1).max(100).optional(),
  version: VersionSelectorSchema.optional(),
  return_probabilities: z.boolean().default(true),
  explain: ExplainFlagSchema,
  explain_top: ExplainTopSchema,
});
/** `POST /predict/batch` request. */
export type BatchPredictRequest = z.infer<typeof BatchPredictRequestSchema>;

/** `POST /predict/batch` response. */
export const BatchPredictResponseSchema = z.object({
  predictions: z.array(z.number()),
  probabilities: z.array(z.array(z.number())).nullable(),
  model_name: z.string(),
  model_version: z.string(),
  timestamp: z.string(),
  batch_size: z.number().int(),
  total_latency_ms: z.number(),
  avg_latency_ms: z.number(),
  request_id: z.string(),
  variant: z.string(),
  /**
   * Instance inputs outside the training range (the model's policy is to
   * flag them), one entry per feature: which instances, with which values.
   */
  out_of_range: z.array(BatchOutOfRangeSchema).optional(),
  /** With `explain` or `explain_top`: the explanations of every instance, column-wise. */
  explanations: BatchExplanationsSchema.optional(),
});
/** `POST /predict/batch` response. */
export type BatchPredictResponse = z.infer<typeof BatchPredictResponseSchema>;

/** The most candidates one `POST /rank` request may carry. */
export const RANK_MAX_CANDIDATES = 500;

/** One candidate of `POST /rank`: an item, its category and (optionally) its price. */
export const RankCandidateSchema = z.strictObject({
  item_id: z.string().min(1).max(256),
  item_category: z.string().min(1).max(256),
  price: z.number().optional(),
});

/**
 * `POST /rank` request: a user and the candidate items to rank for them.
 * Each candidate becomes one instance of the model with `user_id`,
 * `item_id`, `item_category` and `price` as its fields; the online
 * features of every entity those fields key are read in one round trip.
 */
export const RankRequestSchema = z.strictObject({
  user_id: z.string().min(1).max(256),
  candidates: z.array(RankCandidateSchema).min(1).max(RANK_MAX_CANDIDATES),
  model_name: z.string().min(1).max(100).optional(),
  /** Return only the best `top_k` candidates. Default: all. */
  top_k: z.number().int().min(1).max(RANK_MAX_CANDIDATES).optional(),
});
/** `POST /rank` request. */
export type RankRequest = z.infer<typeof RankRequestSchema>;

/** One ranked candidate. */
export const RankedCandidateSchema = z.object({
  item_id: z.string(),
  item_category: z.string(),
  /** The model's probability of the positive class (a click). */
  score: z.number(),
});

/** `POST /rank` response: the candidates by descending score. */
export const RankResponseSchema = z.object({
  candidates: z.array(RankedCandidateSchema),
  model_name: z.string(),
  model_version: z.string(),
  request_id: z.string(),
  variant: z.string(),
  /** Newest event behind the online features read, or null when none were found. */
  features_as_of: z.string().nullable(),
  timestamp: z.string(),
  latency_ms: z.number(),
  /** Candidate inputs outside the training range, one entry per feature (as `/predict/batch`). */
  out_of_range: z.array(BatchOutOfRangeSchema).optional(),
});
/** `POST /rank` response. */
export type RankResponse = z.infer<typeof RankResponseSchema>;

/** The one JSON error shape of every HTTP surface, whatever the status. */
export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    status: z.number().int(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
  request_id: z.string().optional(),
});
/** The one JSON error shape. */
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
