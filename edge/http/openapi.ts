/**
 * The edge's route definitions ({@linkcode EDGE_ROUTES}): `routes.ts`
 * registers every handler from them and `/openapi.json` is generated from
 * them with `@hono/zod-openapi`, so the document lists exactly what is
 * served. Request examples are the demo requests of
 * `pipeline/demo_data/requests/`.
 *
 * @module
 */
import { z } from "zod";
import {
  type ApiRoute,
  apiRoute,
  buildOpenApiDocument,
  DOCS_ROUTES,
  errorResponses,
  jsonBody,
  okJson,
  okText,
} from "../../schemas/api.ts";
import {
  BatchPredictRequestSchema,
  BatchPredictResponseSchema,
  PredictRequestSchema,
  PredictResponseSchema,
  RankRequestSchema,
  RankResponseSchema,
} from "../../schemas/prediction.ts";
import fraudTransaction from "../../pipeline/demo_data/requests/fraud_transaction.json" with {
  type: "json",
};
import legitimateTransaction from "../../pipeline/demo_data/requests/legitimate_transaction.json" with {
  type: "json",
};
import * as s from "./schemas.ts";

/** The reference's fraud request body, the first `/predict` example. */
export const PREDICT_EXAMPLE = fraudTransaction;

/** The `/predict` examples: the demo requests, by file name. */
export const PREDICT_EXAMPLES = {
  fraud_transaction: fraudTransaction,
  legitimate_transaction: legitimateTransaction,
  by_entity: {
    entity_id: "user_1",
    features: { amount: 950, merchant_category: "electronics", payment_method: "credit_card" },
  },
  reason_codes: { ...fraudTransaction, explain_top: 3 },
};

const NAME = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/).meta({ example: "fraud_detector" });
const VERSION = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/).meta({ example: "champion" });
const PREDICT_ERRORS = [400, 401, 404, 405, 413, 415, 422, 503];
const v2 = (path: string, versioned: boolean) =>
  `/v2/models/{name}${versioned ? "/versions/{version}" : ""}${path}`;
const params = (versioned: boolean) => ({
  params: versioned ? z.object({ name: NAME, version: VERSION }) : z.object({ name: NAME }),
});

/** The Open Inference Protocol's error body, `{"error": "..."}`, on every /v2 route. */
const V2ErrorRef = s.V2ErrorSchema.meta({ id: "V2Error" });
function v2Errors(...codes: number[]) {
  const out: Record<number, { description: string; content: Record<string, unknown> }> = {};
  for (const [code, r] of Object.entries(errorResponses(...codes))) {
    out[Number(code)] = { ...r, content: { "application/json": { schema: V2ErrorRef } } };
  }
  return out;
}
const BINARY = { schema: z.string().meta({ format: "binary" }) };

function v2Routes(
  versioned: boolean,
): { metadata: ApiRoute; ready: ApiRoute; config: ApiRoute; infer: ApiRoute } {
  const suffix = versioned ? " of a version" : "";
  return {
    metadata: apiRoute({
      method: "get",
      path: v2("", versioned),
      summary: `Model metadata${suffix}`,
      tags: ["v2"],
      request: params(versioned),
      protect: "api_key",
      responses: { 200: okJson(s.ModelMetadataSchema), ...v2Errors(401, 404, 503) },
    }),
    ready: apiRoute({
      method: "get",
      path: v2("/ready", versioned),
      summary: `Model ready${suffix}`,
      tags: ["v2"],
      request: params(versioned),
      protect: "api_key",
      responses: { 200: okJson(s.ModelReadySchema), ...v2Errors(401, 404, 503) },
    }),
    config: apiRoute({
      method: "get",
      path: v2("/config", versioned),
      summary: `Model configuration${suffix}`,
      tags: ["v2"],
      request: params(versioned),
      protect: "api_key",
      responses: { 200: okJson(s.ModelConfigSchema), ...v2Errors(401, 404, 503) },
    }),
    infer: apiRoute({
      method: "post",
      path: v2("/infer", versioned),
      summary: `Infer${suffix} (Open Inference Protocol v2, JSON or binary tensor data)`,
      description: '`parameters: {"explain": true}` (or asking for the output `contributions`) ' +
        "adds `contributions`, FP64 `[N, F + 1]`: each input's contribution to the raw score, " +
        "then the base value.",
      tags: ["v2"],
      request: {
        ...params(versioned),
        headers: z.object({
          "Inference-Header-Content-Length": z.string().regex(/^[0-9]{1,15}$/).optional().meta({
            description: "Bytes of the JSON header at the start of a binary body",
          }),
        }),
        body: {
          required: true,
          content: {
            "application/json": { schema: s.InferRequestSchema },
            "application/octet-stream": BINARY,
          },
        },
      },
      protect: "api_key",
      responses: {
        200: {
          description: "OK",
          content: {
            "application/json": { schema: s.InferResponseSchema },
            "application/octet-stream": BINARY,
          },
        },
        ...v2Errors(...PREDICT_ERRORS),
      },
    }),
  };
}

/** Every route of the edge, by handler name. */
export const EDGE_ROUTES = {
  predict: apiRoute({
    method: "post",
    path: "/predict",
    summary: "Predict one instance",
    description:
      "Scores one instance with the model's champion (or the canary's challenger). Features come " +
      "from the body, from the online store by `entity_id`, or both (the body wins). With " +
      "`explain` or `explain_top`, the answer's `explanation` gives each input's contribution to " +
      "the model's raw score (TreeSHAP for tree ensembles, coefficient × (value − training mean) " +
      "for linear models) and the base value; a model that cannot be explained answers 422.",
    tags: ["predict"],
    request: jsonBody(PredictRequestSchema, PREDICT_EXAMPLES),
    protect: "api_key",
    responses: { 200: okJson(PredictResponseSchema), ...errorResponses(...PREDICT_ERRORS) },
  }),
  predictBatch: apiRoute({
    method: "post",
    path: "/predict/batch",
    summary: "Predict a batch",
    tags: ["predict"],
    request: jsonBody(BatchPredictRequestSchema, {
      demo_requests: {
        instances: [fraudTransaction.features, legitimateTransaction.features],
        model_name: "fraud_detector",
      },
    }),
    protect: "api_key",
    responses: { 200: okJson(BatchPredictResponseSchema), ...errorResponses(...PREDICT_ERRORS) },
  }),
  rank: apiRoute({
    method: "post",
    path: "/rank",
    summary: "Rank candidate items for a user",
    description:
      "Scores 1–500 candidates for one user in one model run and returns them by descending " +
      "score (the best `top_k` when given). Each candidate is one instance with `user_id`, " +
      "`item_id`, `item_category` and `price`; the online features of the user (read once), " +
      "of every item and of every user × category come in one round trip. A bad field is a " +
      "422 naming it (`candidates.3.price`).",
    tags: ["predict"],
    request: jsonBody(RankRequestSchema, {
      recommendations: {
        user_id: "user_001",
        candidates: [
          { item_id: "item_0001", item_category: "cat_a", price: 12.5 },
          { item_id: "item_0002", item_category: "cat_b" },
        ],
        model_name: "ctr_ranker",
        top_k: 10,
      },
    }),
    protect: "api_key",
    responses: { 200: okJson(RankResponseSchema), ...errorResponses(...PREDICT_ERRORS) },
  }),
  health: apiRoute({
    method: "get",
    path: "/health",
    summary: "Liveness and dependency checks",
    description: "Without an API key (when keys are set) only `{status}`: the details name " +
      "internal hosts.",
    tags: ["ops"],
    responses: {
      200: okJson(z.union([s.HealthResponseSchema, z.object({ status: z.string() })])),
    },
  }),
  ready: apiRoute({
    method: "get",
    path: "/ready",
    summary: "Readiness: the default model is loaded and warm",
    tags: ["ops"],
    responses: { 200: okJson(s.ReadyResponseSchema), ...errorResponses(503) },
  }),
  models: apiRoute({
    method: "get",
    path: "/models",
    summary: "List models",
    tags: ["models"],
    protect: "api_key",
    responses: { 200: okJson(s.ModelListSchema), ...errorResponses(401) },
  }),
  model: apiRoute({
    method: "get",
    path: "/models/{name}",
    summary: "Describe a model",
    tags: ["models"],
    request: { params: z.object({ name: NAME }) },
    protect: "api_key",
    responses: { 200: okJson(s.ModelInfoSchema), ...errorResponses(401, 404, 503) },
  }),
  metrics: apiRoute({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics",
    tags: ["ops"],
    responses: { 200: okText("text/plain") },
  }),
  ...DOCS_ROUTES,
  v2Server: apiRoute({
    method: "get",
    path: "/v2",
    summary: "Server metadata",
    tags: ["v2"],
    responses: { 200: okJson(s.ServerMetadataSchema), ...v2Errors(500) },
  }),
  v2Live: apiRoute({
    method: "get",
    path: "/v2/health/live",
    summary: "Server live",
    tags: ["v2"],
    responses: { 200: okJson(s.LiveSchema), ...v2Errors(500) },
  }),
  v2ServerReady: apiRoute({
    method: "get",
    path: "/v2/health/ready",
    summary: "Server ready",
    tags: ["v2"],
    responses: { 200: okJson(s.ServerReadySchema), ...v2Errors(503) },
  }),
} satisfies Record<string, ApiRoute>;

/** The v2 model routes, by name and by name and version. */
export const V2_MODEL_ROUTES = [v2Routes(false), v2Routes(true)];

/** Every route of the edge. */
export const ALL_EDGE_ROUTES: ApiRoute[] = [
  ...Object.values(EDGE_ROUTES),
  ...V2_MODEL_ROUTES.flatMap((r) => [r.metadata, r.ready, r.config, r.infer]),
];

/** Title and description of the edge's document. */
export const EDGE_API_INFO = {
  title: "Edge prediction service",
  description:
    "Real-time scoring: reference-compatible /predict, batch, /rank, Open Inference Protocol v2.",
};

/** Builds the OpenAPI document of the edge. */
export function openApiDocument(options: { auth: boolean; version: string }) {
  return buildOpenApiDocument(ALL_EDGE_ROUTES, {
    ...EDGE_API_INFO,
    version: options.version,
    enforced: options.auth ? ["api_key"] : [],
  });
}
