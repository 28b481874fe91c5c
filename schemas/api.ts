/**
 * Route definitions shared by every HTTP surface of the platform, and the
 * OpenAPI 3.1 document built from them. A route is defined once (method,
 * path, parameters, body and responses as zod schemas, with
 * `@hono/zod-openapi`'s `createRoute`); the app registers its handler from
 * the same definition ({@linkcode honoPath}) and the document lists it, so a
 * route cannot be served without being documented.
 *
 * Handlers keep their own body parsing (the edge's fast `/predict` path, the
 * ingest's byte-exact NDJSON): the definitions only describe, they add no
 * validation middleware to a route.
 *
 * @example
 * ```ts
 * const health = apiRoute({
 *   method: "get", path: "/health", summary: "Liveness", tags: ["ops"],
 *   responses: { 200: okJson(z.object({ status: z.string() })) },
 * });
 * const doc = buildOpenApiDocument([health], { title: "Features", version: "1" });
 * ```
 *
 * @module
 */
import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import { z } from "zod";
import { ErrorResponseSchema } from "./prediction.ts";

/** How a route is protected, when the process enables that protection. */
export type ApiSecurity = "api_key" | "admin_token" | "edge_token" | "console_token";

/** One documented route. */
export interface ApiRoute {
  /** The `@hono/zod-openapi` definition (OpenAPI path syntax: `/models/{name}`). */
  config: RouteConfig;
  /** Protection the route gets when the process has it configured. */
  protect?: ApiSecurity;
}

/** Defines a route; `protect` marks it as protected when the process enables that scheme. */
export function apiRoute(config: RouteConfig & { protect?: ApiSecurity }): ApiRoute {
  const { protect, ...rest } = config;
  return { config: createRoute(rest), protect };
}

/** The Hono path of an OpenAPI path: `/models/{name}` → `/models/:name`. */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}

/** The one error shape, referenced as `#/components/schemas/ErrorResponse`. */
export const ErrorResponseRef = ErrorResponseSchema.meta({ id: "ErrorResponse" });

/** A JSON 200 response. */
export function okJson(schema: z.ZodType, description = "OK") {
  return { description, content: { "application/json": { schema } } };
}

/** A plain-text 200 response (`/metrics`). */
export function okText(type: string, description = "OK") {
  return { description, content: { [type]: { schema: z.string() } } };
}

const REASONS: Record<number, string> = {
  400: "Malformed request",
  401: "Missing or wrong credentials",
  404: "Not found",
  403: "Credential valid but not allowed here",
  405: "Method not allowed",
  408: "Body not received within the deadline",
  409: "Conflict",
  413: "Body too large",
  415: "Unsupported media type",
  422: "Invalid request: the details name each field",
  429: "Too many requests",
  500: "Internal error",
  503: "Unavailable: retry later",
};

/** Error responses in the platform's one JSON shape, by status. */
export function errorResponses(...codes: number[]) {
  const out: Record<number, { description: string; content: Record<string, unknown> }> = {};
  for (const code of codes) {
    out[code] = {
      description: REASONS[code] ?? `Error ${code}`,
      content: { "application/json": { schema: ErrorResponseRef } },
    };
  }
  return out;
}

/** A JSON request body with named examples. */
export function jsonBody(schema: z.ZodType, examples?: Record<string, unknown>) {
  const media: Record<string, unknown> = { schema };
  if (examples) {
    media.examples = Object.fromEntries(
      Object.entries(examples).map(([name, value]) => [name, { summary: name, value }]),
    );
  }
  return { body: { required: true, content: { "application/json": media } } };
}

/** `/openapi.json` and `/docs`, which every process serves about itself. */
export const DOCS_ROUTES = {
  openapi: apiRoute({
    method: "get",
    path: "/openapi.json",
    summary: "This OpenAPI document",
    tags: ["docs"],
    responses: { 200: okJson(z.record(z.string(), z.unknown())) },
  }),
  docs: apiRoute({
    method: "get",
    path: "/docs",
    summary: "Interactive API reference (Swagger UI)",
    tags: ["docs"],
    responses: { 200: okText("text/html") },
  }),
};

/** Options of {@linkcode buildOpenApiDocument}. */
export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  /** Schemes the process enforces; routes marked with one of them list it under `security`. */
  enforced?: ApiSecurity[];
}

const SCHEMES = {
  api_key: { type: "http", scheme: "bearer", description: "An API key as a Bearer token" },
  admin_token: { type: "http", scheme: "bearer", description: "The admin token" },
  edge_token: {
    type: "http",
    scheme: "bearer",
    description: "The registry's edge token (REGISTRY_EDGE_TOKEN), or the admin token",
  },
  console_token: {
    type: "http",
    scheme: "bearer",
    description: "The console's admin token (CONSOLE_ADMIN_TOKEN), or its sign-in cookie",
  },
} as const;

/**
 * The OpenAPI 3.1 document of `routes`. A route may appear in several lists
 * (a composed process): the first definition of a method and path wins.
 */
export function buildOpenApiDocument(routes: readonly ApiRoute[], info: OpenApiInfo) {
  const holder = new OpenAPIHono();
  const enforced = new Set(info.enforced ?? []);
  const seen = new Set<string>();
  for (const r of routes) {
    const key = `${r.config.method} ${r.config.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const security = r.protect && enforced.has(r.protect) ? [{ [r.protect]: [] }] : undefined;
    holder.openAPIRegistry.registerPath(security ? { ...r.config, security } : r.config);
  }
  for (const name of enforced) {
    holder.openAPIRegistry.registerComponent("securitySchemes", name, SCHEMES[name]);
  }
  const doc = holder.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, description: info.description },
  });
  // The generator emits empty `webhooks` and `parameters` maps; drop them.
  const { webhooks: _w, ...rest } = doc as typeof doc & { webhooks?: unknown };
  return rest;
}

/** The OpenAPI document type. */
export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

/**
 * The definitions among `routes` that an app serves (`served`: its route
 * table), for a document of a process whose routes depend on its
 * configuration (the registry serves `/admin/models` only where it is mounted).
 */
export function servedRoutes(
  routes: readonly ApiRoute[],
  served: readonly { method: string; path: string }[],
): ApiRoute[] {
  const table = new Set(served.map((r) => `${r.method.toUpperCase()} ${r.path}`));
  return routes.filter((r) =>
    table.has(`${r.config.method.toUpperCase()} ${honoPath(r.config.path)}`)
  );
}

/**
 * The routes an app serves that `doc` does not list (`METHOD /path`), for
 * tests: catch-alls (`*`, `ALL`) and static assets (`/docs/…`, `…/assets/…`) are ignored.
 */
export function undocumentedRoutes(
  routes: readonly { method: string; path: string }[],
  doc: { paths?: Record<string, unknown> },
): string[] {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, unknown>>;
  const out = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || r.path.includes("*") || /^\/docs\/|\/assets\//.test(r.path)) continue;
    const path = r.path.replace(/:(\w+)/g, "{$1}");
    if (!paths[path]?.[r.method.toLowerCase()]) out.add(`${r.method} ${path}`);
  }
  return [...out];
}
