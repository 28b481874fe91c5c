/**
 * Route definitions of the ingest HTTP surfaces: `POST /ingest/{path}`
 * (`createIngestRoutes`, mounted by the HTTP worker and the embedded
 * platform) and a worker process's own `/health`, `/ready`, `/metrics`
 * (`createWorkerApp`). Handlers are registered from them and the OpenAPI
 * document is built from them.
 *
 * @module
 */
import { z } from "zod";
import { apiRoute, errorResponses, okJson, okText } from "../schemas/api.ts";

const EXAMPLE_EVENT = {
  event_id: "7512b87d-aeb0-5e82-868a-ecd0822332c6",
  user_id: "user_1",
  amount: 41.5,
  timestamp: "2026-03-20T11:00:00+00:00",
  merchant_category: "grocery",
  payment_method: "credit_card",
};

/** The 202 answer of `POST /ingest/{path}`. */
export const IngestAcceptedSchema = z.object({
  accepted: z.number().int(),
  duplicate: z.number().int(),
  rejected: z.number().int(),
  rejections: z.array(z.object({ index: z.number().int(), reason: z.string() })),
});

/** `POST /ingest/{path}`: the events of the source whose HTTP path `path` is. */
export const INGEST_ROUTES = {
  ingest: apiRoute({
    method: "post",
    path: "/ingest/{path}",
    summary: "Ingest raw events of a source (JSON array or NDJSON, at most 10 000 events or 5 MiB)",
    description:
      "`path` is a source's HTTP path in the feature repository (`events` for the fraud " +
      "example's transactions, `readings` for the sensors example); an unknown path is a 404. " +
      "Committed through the pipeline before the 202: a 202 means durable. Events that fail " +
      "validation become dead letters with the reason and are counted under `rejected`.",
    tags: ["ingest"],
    request: {
      params: z.object({
        path: z.string().min(1).meta({ example: "events", description: "a source's HTTP path" }),
      }),
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.array(z.record(z.string(), z.unknown())),
            examples: {
              demo_event: { summary: "one fraud example event", value: [EXAMPLE_EVENT] },
            },
          },
          "application/x-ndjson": { schema: z.string() },
        },
      },
    },
    protect: "api_key",
    responses: {
      202: okJson(IngestAcceptedSchema, "Accepted and committed"),
      ...errorResponses(400, 401, 404, 408, 413, 415, 503),
    },
  }),
};

/** A worker process's ops routes. */
export const WORKER_ROUTES = {
  health: apiRoute({
    method: "get",
    path: "/health",
    summary: "Worker liveness with its state",
    description: "With `INGEST_API_KEYS` set, only `{status}` without a key (`x-api-key` or " +
      "Bearer): the last error may name internal hosts.",
    tags: ["ops"],
    responses: {
      200: okJson(z.union([
        z.object({
          status: z.enum(["ok", "degraded"]),
          state: z.string(),
          source: z.string(),
          last_error: z.string().nullable(),
        }),
        z.object({ status: z.enum(["ok", "degraded"]) }),
      ])),
    },
  }),
  ready: apiRoute({
    method: "get",
    path: "/ready",
    summary: "Ready while the worker pulls normally",
    tags: ["ops"],
    responses: {
      200: okJson(z.object({ ready: z.boolean(), state: z.string(), source: z.string() })),
      503: okJson(
        z.object({ ready: z.boolean(), state: z.string(), source: z.string() }),
        "Not ready",
      ),
    },
  }),
  metrics: apiRoute({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics of the worker",
    tags: ["ops"],
    responses: { 200: okText("text/plain") },
  }),
};

/** Title of a worker's document. */
export const INGEST_API_INFO = {
  title: "Ingest worker",
  description: "A regional ingest worker: its ops routes and, for the HTTP source, event intake.",
};
