/**
 * `/openapi.json`, generated from the zod schemas with `z.toJSONSchema`
 * (OpenAPI 3.1, whose schemas are JSON Schema 2020-12).
 *
 * @module
 */
import { z } from "zod";
import {
  BatchPredictRequestSchema,
  BatchPredictResponseSchema,
  ErrorResponseSchema,
  PredictRequestSchema,
  PredictResponseSchema,
} from "../../schemas/prediction.ts";
import * as s from "./schemas.ts";

function schema(t: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const out = z.toJSONSchema(t, { io, unrepresentable: "any" }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

/** The reference's fraud request body, the `/predict` example in the OpenAPI document. */
export const PREDICT_EXAMPLE = {
  features: {
    hour_of_day: 1,
    day_of_week: 3,
    is_weekend: 0,
    transaction_count_24h: 1,
    avg_amount_30d: 1000.0,
    amount: 300.0,
    merchant_category_encoded: 63,
    payment_method_encoded: 5,
  },
  model_name: "fraud_detector",
  return_probabilities: true,
};

const ERROR = { $ref: "#/components/schemas/ErrorResponse" };
const V2_ERROR = { $ref: "#/components/schemas/V2Error" };
const json = (sch: unknown) => ({ "application/json": { schema: sch } });

function op(options: {
  summary: string;
  tags: string[];
  ok?: z.ZodType;
  okText?: string;
  body?: z.ZodType;
  params?: string[];
  auth?: boolean;
  errors: number[];
  example?: unknown;
  /** The Open Inference Protocol's `{"error": "..."}` instead of `ErrorResponse`. */
  v2?: boolean;
}) {
  const error = options.v2 ? V2_ERROR : ERROR;
  const responses: Record<string, unknown> = {};
  if (options.ok) {
    responses["200"] = { description: "OK", content: json(schema(options.ok, "output")) };
  }
  if (options.okText) {
    responses["200"] = {
      description: "OK",
      content: { [options.okText]: { schema: { type: "string" } } },
    };
  }
  for (const code of options.errors) {
    responses[String(code)] = { description: `Error ${code}`, content: json(error) };
  }
  responses.default = { description: "Error", content: json(error) };
  const o: Record<string, unknown> = {
    summary: options.summary,
    tags: options.tags,
    operationId: options.summary.replace(/[^A-Za-z0-9]+/g, "_").toLowerCase(),
    responses,
  };
  if (options.params) {
    o.parameters = options.params.map((p) => ({
      name: p,
      in: "path",
      required: true,
      schema: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,100}$" },
    }));
  }
  if (options.body) {
    const content: Record<string, Record<string, unknown>> = json(schema(options.body, "input"));
    if (options.example) content["application/json"].example = options.example;
    o.requestBody = { required: true, content };
  }
  if (options.auth) o.security = [{ bearer: [] }, {}];
  return o;
}

/** Builds the OpenAPI document of the edge. */
export function openApiDocument(options: { auth: boolean; version: string }) {
  const auth = options.auth;
  const predictErrors = [400, 401, 404, 413, 415, 422, 503];
  const v2Path = (params: string[], suffix: string) =>
    `/v2/models/{name}${params.includes("version") ? "/versions/{version}" : ""}${suffix}`;
  const v2Model = (suffix: string, params: string[], summary: string, ok: z.ZodType) => ({
    [v2Path(params, suffix)]: {
      get: op({ summary, tags: ["v2"], ok, params, auth, errors: [401, 404, 503], v2: true }),
    },
  });
  const infer = (params: string[], summary: string) => {
    const o = op({
      summary,
      tags: ["v2"],
      ok: s.InferResponseSchema,
      body: s.InferRequestSchema,
      params,
      auth,
      errors: predictErrors,
      v2: true,
    }) as Record<string, unknown> & {
      requestBody: { required: boolean; content: Record<string, unknown> };
      responses: Record<string, { content: Record<string, unknown> }>;
      parameters: unknown[];
    };
    // The binary tensor data extension: the JSON header, then raw tensor bytes.
    const binary = { "application/octet-stream": { schema: { type: "string", format: "binary" } } };
    Object.assign(o.requestBody.content, binary);
    Object.assign(o.responses["200"].content, binary);
    o.parameters.push({
      name: "Inference-Header-Content-Length",
      in: "header",
      required: false,
      description: "Bytes of the JSON header at the start of a binary body",
      schema: { type: "string", pattern: "^[0-9]{1,15}$" },
    });
    return { [v2Path(params, "/infer")]: { post: o } };
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Edge prediction service",
      version: options.version,
      description:
        "Real-time fraud scoring: reference-compatible /predict, batch, Open Inference Protocol v2.",
    },
    paths: {
      "/predict": {
        post: op({
          summary: "Predict one instance",
          tags: ["predict"],
          ok: PredictResponseSchema,
          body: PredictRequestSchema,
          example: PREDICT_EXAMPLE,
          auth,
          errors: predictErrors,
        }),
      },
      "/predict/batch": {
        post: op({
          summary: "Predict a batch",
          tags: ["predict"],
          ok: BatchPredictResponseSchema,
          body: BatchPredictRequestSchema,
          example: {
            instances: [PREDICT_EXAMPLE.features, { ...PREDICT_EXAMPLE.features, amount: 12.5 }],
          },
          auth,
          errors: predictErrors,
        }),
      },
      "/health": {
        get: op({
          summary: "Liveness and dependency checks",
          tags: ["ops"],
          ok: s.HealthResponseSchema,
          errors: [],
        }),
      },
      "/ready": {
        get: op({ summary: "Readiness", tags: ["ops"], ok: s.ReadyResponseSchema, errors: [503] }),
      },
      "/models": {
        get: op({
          summary: "List models",
          tags: ["models"],
          ok: s.ModelListSchema,
          auth,
          errors: [401],
        }),
      },
      "/models/{name}": {
        get: op({
          summary: "Describe a model",
          tags: ["models"],
          ok: s.ModelInfoSchema,
          params: ["name"],
          auth,
          errors: [401, 404, 503],
        }),
      },
      "/metrics": {
        get: op({ summary: "Prometheus metrics", tags: ["ops"], okText: "text/plain", errors: [] }),
      },
      "/v2": {
        get: op({
          summary: "Server metadata",
          tags: ["v2"],
          ok: s.ServerMetadataSchema,
          errors: [],
          v2: true,
        }),
      },
      "/v2/health/live": {
        get: op({ summary: "Server live", tags: ["v2"], ok: s.LiveSchema, errors: [], v2: true }),
      },
      "/v2/health/ready": {
        get: op({
          summary: "Server ready",
          tags: ["v2"],
          ok: s.ServerReadySchema,
          errors: [503],
          v2: true,
        }),
      },
      ...v2Model("", ["name"], "Model metadata", s.ModelMetadataSchema),
      ...v2Model("", ["name", "version"], "Model version metadata", s.ModelMetadataSchema),
      ...v2Model("/ready", ["name"], "Model ready", s.ModelReadySchema),
      ...v2Model("/ready", ["name", "version"], "Model version ready", s.ModelReadySchema),
      ...v2Model("/config", ["name"], "Model configuration", s.ModelConfigSchema),
      ...v2Model(
        "/config",
        ["name", "version"],
        "Model version configuration",
        s.ModelConfigSchema,
      ),
      ...infer(["name"], "Infer"),
      ...infer(["name", "version"], "Infer with a version"),
    },
    components: {
      schemas: {
        ErrorResponse: schema(ErrorResponseSchema, "output"),
        V2Error: schema(s.V2ErrorSchema, "output"),
      },
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
  };
}
