/**
 * Route definitions of the registry sync worker's HTTP surface
 * (`createRegistryApp`): ops routes, the MLflow webhook, the rollout admin
 * routes and large packages (`/admin/models` is `admin_api.ts`). Handlers are registered from them and the OpenAPI document is
 * built from them.
 *
 * @module
 */
import { z } from "zod";
import { apiRoute, errorResponses, jsonBody, okJson, okText } from "../schemas/api.ts";
import { ModelPointerSchema } from "../schemas/pointer.ts";

const MODEL = z.string().min(1).max(100).meta({ example: "fraud_detector" });

const ModelHealthSchema = z.object({
  model: z.string(),
  serving: z.string().nullable(),
  challenger: z.string().nullable(),
  revision: z.number().nullable(),
  last_sync_at: z.string().nullable(),
  last_error: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
  refused: z.array(z.object({ version: z.string(), reason: z.string(), message: z.string() })),
});

/** MLflow's webhook delivery body (MLflow 3). */
export const MlflowWebhookSchema = z.object({
  entity: z.string(),
  action: z.string(),
  timestamp: z.string().optional(),
  data: z.looseObject({
    name: z.string().optional(),
    version: z.string().optional(),
    alias: z.string().optional(),
  }),
});

/** Every route of the registry sync worker, by handler name. */
export const REGISTRY_ROUTES = {
  health: apiRoute({
    method: "get",
    path: "/health",
    summary: "Sync state of every followed model",
    description: "Without the admin token only `{status}`: errors may name internal hosts.",
    tags: ["ops"],
    responses: {
      200: okJson(z.union([
        z.object({
          status: z.enum(["ok", "degraded"]),
          registry: z.enum(["ok", "unavailable"]),
          models: z.array(ModelHealthSchema),
        }),
        z.object({ status: z.enum(["ok", "degraded"]) }),
      ])),
    },
  }),
  ready: apiRoute({
    method: "get",
    path: "/ready",
    summary: "Ready once a first sync cycle completed",
    tags: ["ops"],
    responses: { 200: okJson(z.object({ status: z.literal("ready") })), ...errorResponses(503) },
  }),
  metrics: apiRoute({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics of the registry sync",
    tags: ["ops"],
    responses: { 200: okText("text/plain") },
  }),
  webhook: apiRoute({
    method: "post",
    path: "/webhooks/mlflow",
    summary: "Signed MLflow webhook delivery: triggers a sync of the model",
    description:
      "HMAC-SHA256 over `<delivery id>.<timestamp>.<body>` in `X-MLflow-Signature: v1,<base64>`, " +
      "with `X-MLflow-Delivery-Id` and `X-MLflow-Timestamp`. Unsigned, stale and replayed " +
      "deliveries are refused, before the body is read where the headers tell.",
    tags: ["webhook"],
    request: {
      headers: z.object({
        "x-mlflow-signature": z.string(),
        "x-mlflow-delivery-id": z.string(),
        "x-mlflow-timestamp": z.string(),
      }),
      ...jsonBody(MlflowWebhookSchema, {
        alias_created: {
          entity: "model_version_alias",
          action: "created",
          data: { name: "fraud_detector", alias: "champion", version: "2" },
        },
      }),
    },
    responses: {
      200: okJson(z.object({ accepted: z.literal(false), ignored: z.literal(true) }), "Ignored"),
      202: okJson(z.object({ accepted: z.literal(true), model: z.string() }), "Sync started"),
      ...errorResponses(400, 401, 408, 413),
    },
  }),
  rollouts: apiRoute({
    method: "get",
    path: "/models/rollouts",
    summary: "Sync state and rollout decisions of every model",
    tags: ["admin"],
    protect: "admin_token",
    responses: {
      200: okJson(z.object({
        models: z.array(
          z.looseObject({ model: z.string(), pointer: ModelPointerSchema.nullable() }),
        ),
        rollouts: z.array(z.looseObject({ model: z.string(), action: z.string() })),
      })),
      ...errorResponses(401),
    },
  }),
  rollback: apiRoute({
    method: "post",
    path: "/models/rollouts/{model}/rollback",
    summary: "Roll a model back (remove its challenger, or restore the previous champion)",
    tags: ["admin"],
    protect: "admin_token",
    request: {
      params: z.object({ model: MODEL }),
      body: {
        required: false,
        content: {
          "application/json": { schema: z.object({ reason: z.string().max(500).optional() }) },
        },
      },
    },
    responses: {
      200: okJson(z.object({ restored: z.string(), removed: z.string() })),
      ...errorResponses(401, 404, 408, 413, 503),
    },
  }),
  packages: apiRoute({
    method: "get",
    path: "/packages/{sha}",
    summary: "A model package too large for Redis (content-addressed)",
    tags: ["models"],
    protect: "edge_token",
    request: { params: z.object({ sha: z.string().regex(/^[0-9a-f]{64}$/) }) },
    responses: {
      200: {
        description: "The ONNX bytes",
        content: { "application/octet-stream": { schema: z.string() } },
      },
      ...errorResponses(401, 404),
    },
  }),
};

/** Title of the registry's document. */
export const REGISTRY_API_INFO = {
  title: "Registry sync",
  description: "Follows MLflow aliases, publishes validated models to the edge, runs canaries.",
};
