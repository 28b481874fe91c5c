/**
 * Route definitions of the model operations over HTTP (`/admin/models*`,
 * `admin_http.ts`) and the request bodies they read, which the operator
 * console's buttons send too. Handlers are registered from them and the
 * OpenAPI document of every process that serves them is built from them.
 *
 * @module
 */
import { z } from "zod";
import { apiRoute, errorResponses, jsonBody, okJson } from "../schemas/api.ts";
import { ModelPointerSchema, TrafficSplitSchema } from "../schemas/pointer.ts";

const MODEL = z.string().min(1).max(100).meta({ example: "fraud_detector" });
const VERSION = z.string().min(1).max(64).meta({ example: "2" });

/** `POST /admin/models/{model}/promote` body. */
export const PromoteBodySchema = z.strictObject({
  version: VERSION.optional().meta({ description: "Version to promote; default the challenger" }),
  force: z.boolean().optional().meta({ description: "Promote although the inputs change" }),
});
/** `POST /admin/models/{model}/canary` body. */
export const CanaryBodySchema = z.strictObject({
  version: VERSION,
  percent: z.number().gt(0).max(100).optional().meta({
    description: "Challenger share in percent; default the first canary step",
  }),
  shadow: z.boolean().optional().meta({
    description: "Score the challenger beside the champion without serving it",
  }),
  force: z.boolean().optional().meta({ description: "Start although the inputs change" }),
});
/** `POST /admin/models/{model}/rollback` body. */
export const RollbackBodySchema = z.strictObject({ reason: z.string().max(500).optional() });

const InputChangeSchema = z.object({
  input: z.string(),
  change: z.enum(["added", "removed", "changed"]),
  fields: z.array(z.string()).optional(),
});

/** What an operation did (`OperationResult`). */
export const OperationResultSchema = z.object({
  model: z.string(),
  action: z.enum(["promote", "canary", "rollback", "none"]),
  message: z.string(),
  aliases: z.record(z.string(), z.string()),
  pointer: ModelPointerSchema.nullable(),
  input_changes: z.array(InputChangeSchema),
}).meta({ id: "OperationResult" });

const VersionListingSchema = z.object({
  version: z.string(),
  created_at: z.string(),
  sha256: z.string(),
  aliases: z.array(z.string()),
});

const VariantStatsSchema = z.object({
  requests: z.number(),
  errors: z.number(),
  errorRate: z.number(),
  p99Ms: z.number().nullable(),
  meanMs: z.number().nullable(),
  shadowCompared: z.number(),
  shadowDisagreed: z.number(),
}).loose();

/** The state of one model (`ModelStatus`). */
export const ModelStatusSchema = z.object({
  model: z.string(),
  aliases: z.record(z.string(), z.string()),
  versions: z.array(VersionListingSchema),
  pointer: ModelPointerSchema.nullable(),
  traffic: TrafficSplitSchema,
  window_seconds: z.number(),
  requests: z.record(z.string(), VariantStatsSchema),
  followed: z.boolean(),
  target: z.string(),
});

const ERRORS = [400, 401, 404, 409, 413, 422, 503] as const;

const operation = (op: string, summary: string, body: z.ZodType, example: unknown) =>
  apiRoute({
    method: "post",
    path: `/admin/models/{model}/${op}`,
    summary,
    description: "Checks everything first (the version exists and passes validation, the " +
      "inputs stay the same unless `force`); then changes the aliases and moves the pointer, or " +
      "changes nothing and says why. The code `deno task model:" + op + "` and the console run.",
    tags: ["admin"],
    protect: "admin_token",
    request: { params: z.object({ model: MODEL }), ...jsonBody(body, { example }) },
    responses: { 200: okJson(OperationResultSchema), ...errorResponses(...ERRORS) },
  });

/** Every `/admin/models` route, by handler name. */
export const ADMIN_ROUTES = {
  list: apiRoute({
    method: "get",
    path: "/admin/models",
    summary: "Every registered model with its versions and aliases",
    tags: ["admin"],
    protect: "admin_token",
    responses: {
      200: okJson(z.object({
        target: z.string(),
        models: z.array(z.object({ model: z.string(), versions: z.array(VersionListingSchema) })),
      })),
      ...errorResponses(401, 503),
    },
  }),
  status: apiRoute({
    method: "get",
    path: "/admin/models/{model}",
    summary: "A model's aliases, versions, pointer, traffic split and requests per variant",
    tags: ["admin"],
    protect: "admin_token",
    request: { params: z.object({ model: MODEL }) },
    responses: { 200: okJson(ModelStatusSchema), ...errorResponses(401, 404, 503) },
  }),
  promote: operation(
    "promote",
    "Promote a version (default: the challenger) to champion",
    PromoteBodySchema,
    { version: "2" },
  ),
  canary: operation(
    "canary",
    "Make a version the challenger and send it a share of traffic (or shadow)",
    CanaryBodySchema,
    { version: "2", percent: 20 },
  ),
  rollback: operation(
    "rollback",
    "Remove the challenger, or restore the previous champion",
    RollbackBodySchema,
    { reason: "error rate" },
  ),
};
