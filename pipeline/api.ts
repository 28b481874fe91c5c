/**
 * Route definitions of the features API (`createFeatureApp`), from which its
 * handlers are registered and its part of the OpenAPI document is built.
 *
 * @module
 */
import { z } from "zod";
import { apiRoute, errorResponses, okJson, okText } from "../schemas/api.ts";

const ENTITY = z.string().min(1).max(100).meta({ example: "user" });
const ID = z.string().min(1).max(256).meta({ example: "user_1" });

/** Feature values of one entity as of a time. */
export const EntityFeaturesSchema = z.object({
  entity_type: z.string(),
  entity_id: z.string(),
  as_of: z.string(),
  features: z.record(z.string(), z.number()),
});

const StatusSchema = z.object({ status: z.literal("ok") });

/** Every route of the features API, by handler name. */
export const FEATURE_ROUTES = {
  offline: apiRoute({
    method: "get",
    path: "/features/{entity}/{id}",
    summary: "Exact feature values of an entity as of a time (from the store)",
    tags: ["features"],
    request: {
      params: z.object({ entity: ENTITY, id: ID }),
      query: z.object({
        as_of: z.string().optional().meta({
          description: "ISO 8601 time; default now",
          example: "2026-03-20T11:30:00Z",
        }),
      }),
    },
    protect: "api_key",
    responses: { 200: okJson(EntityFeaturesSchema), ...errorResponses(401, 404, 422, 503) },
  }),
  online: apiRoute({
    method: "get",
    path: "/features/{entity}/{id}/online",
    summary: "Feature values of an entity as the edge sees them now (online cache)",
    tags: ["features"],
    request: { params: z.object({ entity: ENTITY, id: ID }) },
    protect: "api_key",
    responses: { 200: okJson(EntityFeaturesSchema), ...errorResponses(401, 404, 503) },
  }),
  health: apiRoute({
    method: "get",
    path: "/health",
    summary: "Liveness of the features API",
    tags: ["ops"],
    responses: { 200: okJson(StatusSchema) },
  }),
  healthz: apiRoute({
    method: "get",
    path: "/healthz",
    summary: "Liveness of the features API (Kubernetes probe)",
    tags: ["ops"],
    responses: { 200: okJson(StatusSchema) },
  }),
  ready: apiRoute({
    method: "get",
    path: "/ready",
    summary: "Readiness: the store and the online cache answer",
    description:
      "When not ready, the reasons (which may name hosts) are given to key holders only.",
    tags: ["ops"],
    responses: {
      200: okJson(z.object({ status: z.literal("ready"), store: z.string(), online: z.string() })),
      ...errorResponses(503),
    },
  }),
  metrics: apiRoute({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics of the pipeline",
    tags: ["ops"],
    responses: { 200: okText("text/plain") },
  }),
};

/** Title of the features API's document. */
export const FEATURE_API_INFO = {
  title: "Features API",
  description: "Exact offline feature values as of any time, and what the edge sees online.",
};
