/**
 * Route definitions of the operator console (`/console`): its pages, the
 * JSON its plots poll and the actions its buttons post. Handlers are
 * registered from them and they are part of the OpenAPI document of the
 * process that serves the console.
 *
 * @module
 */
import { z } from "zod";
import {
  type ApiRoute,
  apiRoute,
  errorResponses,
  jsonBody,
  okJson,
  okText,
} from "../../schemas/api.ts";
import {
  CanaryBodySchema,
  OperationResultSchema,
  PromoteBodySchema,
  RollbackBodySchema,
} from "../../registry/admin_api.ts";

const MODEL = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/).meta({ example: "fraud_detector" });
const page = (path: string, summary: string, request?: ApiRoute["config"]["request"]) =>
  apiRoute({
    method: "get",
    path,
    summary,
    tags: ["console"],
    protect: "console_token",
    request,
    responses: { 200: okText("text/html"), ...errorResponses(401) },
  });

/** `POST /console/api/dead-letters/replay` body. */
export const ReplayBodySchema = z.strictObject({
  items: z.array(z.strictObject({
    id: z.number().int().positive(),
    /** The fixed payload; omitted: the stored one as is. */
    payload: z.string().max(1_000_000).optional(),
  })).min(1).max(500),
});

/** What happened to one replayed dead letter. */
export const ReplayResultSchema = z.object({
  id: z.number(),
  status: z.enum(["replayed", "duplicate", "invalid", "not_found", "already_replayed"]),
  reason: z.string().optional(),
  event_id: z.string().optional(),
});

const action = (name: string, summary: string, body: z.ZodType) =>
  apiRoute({
    method: "post",
    path: `/console/api/models/{name}/${name}`,
    summary,
    description: "Runs the platform's model operations, the code of `deno task model:" + name +
      "` and `POST /admin/models/{model}/" + name + "` (same body, result and error codes); " +
      "needs the `x-rtml-console: 1` header.",
    tags: ["console"],
    protect: "console_token",
    request: { params: z.object({ name: MODEL }), ...jsonBody(body) },
    responses: {
      200: okJson(OperationResultSchema),
      ...errorResponses(400, 401, 404, 408, 409, 413, 422, 503),
    },
  });

/** Every route of the console, by handler name. */
export const CONSOLE_ROUTES = {
  overview: page("/console", "Console: models, aliases, traffic, latency and errors over time", {
    query: z.object({ model: MODEL.optional() }),
  }),
  model: page("/console/models/{name}", "Console: versions, canary, actions and drift of a model", {
    params: z.object({ name: MODEL }),
  }),
  features: page("/console/features", "Console: entity lookup, freshness, view definitions", {
    query: z.object({
      entity: z.string().optional(),
      id: z.string().optional(),
      as_of: z.string().optional(),
    }),
  }),
  ingest: page("/console/ingest", "Console: throughput and lag per source, dead letters"),
  loginPage: apiRoute({
    method: "get",
    path: "/console/login",
    summary: "Console sign-in form (admin token)",
    tags: ["console"],
    responses: { 200: okText("text/html") },
  }),
  login: apiRoute({
    method: "post",
    path: "/console/login",
    summary: "Sign in with the admin token (sets an HttpOnly session cookie)",
    tags: ["console"],
    request: {
      body: {
        required: true,
        content: {
          "application/x-www-form-urlencoded": { schema: z.object({ token: z.string() }) },
        },
      },
    },
    responses: { 303: { description: "Signed in: to /console" }, ...errorResponses(401, 413) },
  }),
  overviewData: apiRoute({
    method: "get",
    path: "/console/api/overview",
    summary: "Per-variant requests/s, p50/p99 latency and error rate of a model (10 s buckets)",
    tags: ["console"],
    protect: "console_token",
    request: { query: z.object({ model: MODEL }) },
    responses: { 200: okJson(z.record(z.string(), z.unknown())), ...errorResponses(401, 422) },
  }),
  driftData: apiRoute({
    method: "get",
    path: "/console/api/models/{name}/drift",
    summary: "PSI per feature and served version, with the alert threshold",
    tags: ["console"],
    protect: "console_token",
    request: { params: z.object({ name: MODEL }) },
    responses: { 200: okJson(z.record(z.string(), z.unknown())), ...errorResponses(401) },
  }),
  ingestData: apiRoute({
    method: "get",
    path: "/console/api/ingest",
    summary: "Per-source throughput, lag and freshness over the sampled window",
    tags: ["console"],
    protect: "console_token",
    responses: { 200: okJson(z.record(z.string(), z.unknown())), ...errorResponses(401) },
  }),
  promote: action(
    "promote",
    "Promote a version (default: the challenger) to champion",
    PromoteBodySchema,
  ),
  canary: action(
    "canary",
    "Make a version the challenger and send it a share of traffic (or shadow)",
    CanaryBodySchema,
  ),
  rollback: action(
    "rollback",
    "Remove the challenger, or restore the previous champion",
    RollbackBodySchema,
  ),
  replay: apiRoute({
    method: "post",
    path: "/console/api/dead-letters/replay",
    summary: "Replay dead letters, fixed or as stored, through the pipeline",
    description: "Each payload is validated first; an invalid one changes nothing and says why.",
    tags: ["console"],
    protect: "console_token",
    request: jsonBody(ReplayBodySchema, {
      fixed: { items: [{ id: 1, payload: '{"event_id":"e1","user_id":"user_1","amount":5}' }] },
    }),
    responses: {
      200: okJson(z.object({ replayed: z.number(), results: z.array(ReplayResultSchema) })),
      ...errorResponses(401, 408, 413, 422, 503),
    },
  }),
};

/** Assets served under `/console/assets/` (not listed in the document). */
export const CONSOLE_ASSET_PREFIX = "/console/assets/";
