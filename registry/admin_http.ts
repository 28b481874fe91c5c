/**
 * The model operations over HTTP, for the CLI and the operator console of a
 * running platform: every route needs `Authorization: Bearer <admin token>`.
 *
 * | route                                   | body                                        |
 * | --------------------------------------- | ------------------------------------------- |
 * | `GET  /admin/models`                    |                                             |
 * | `GET  /admin/models/{m}`                | (status)                                    |
 * | `POST /admin/models/{m}/promote`        | `{"version"?: "2", "force"?: false}`        |
 * | `POST /admin/models/{m}/canary`         | `{"version": "2", "percent"?: 20, "shadow"?: false, "force"?: false}` |
 * | `POST /admin/models/{m}/rollback`       | `{"reason"?: "text"}`                       |
 *
 * Errors use the platform's JSON shape `{error: {code, message, status}}`.
 * The routes are registered from their definitions in `admin_api.ts`.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { bearerToken, matchesAnyKey } from "../pipeline/http_guard.ts";
import { honoPath } from "../schemas/api.ts";
import { PlatformError } from "../schemas/errors.ts";
import {
  ADMIN_ROUTES as R,
  CanaryBodySchema,
  PromoteBodySchema,
  RollbackBodySchema,
} from "./admin_api.ts";
import type { ModelControl } from "./operations.ts";

/** Status of each error code the operations raise. */
export const ADMIN_ERROR_STATUS: Readonly<Record<string, number>> = {
  unauthorized: 401,
  invalid_request: 400,
  model_not_found: 404,
  version_not_found: 404,
  not_found: 404,
  input_schema_changed: 409,
  no_running_platform: 409,
  registry_conflict: 409,
  artifact_invalid: 422,
  artifact_corrupt: 422,
  payload_too_large: 413,
  registry_unavailable: 503,
};

/** Builds the `/admin/models` routes on `control`; `token` unset → every call answers 401. */
export function createModelAdminRoutes(control: ModelControl, token: string | undefined): Hono {
  const app = new Hono();
  app.use("/admin/*", async (c, next) => {
    if (!authorized(c.req.header("authorization"), token)) {
      return errorJson(c, "unauthorized", "Admin token missing or wrong", 401);
    }
    await next();
  });
  app.use(
    "/admin/*",
    bodyLimit({
      maxSize: 16 * 1024,
      onError: (c) => errorJson(c, "payload_too_large", "Body larger than 16 KiB", 413),
    }),
  );
  const model = (c: Context) => c.req.param("model") ?? "";
  app.get(
    R.list.config.path,
    async (c) => c.json({ target: control.target, models: await control.list() }),
  );
  app.get(honoPath(R.status.config.path), async (c) => c.json(await control.status(model(c))));
  app.post(honoPath(R.promote.config.path), async (c) => {
    const body = await readBody(c, PromoteBodySchema);
    return c.json(await control.promote(model(c), body));
  });
  app.post(honoPath(R.canary.config.path), async (c) => {
    const body = await readBody(c, CanaryBodySchema);
    return c.json(await control.canary(model(c), body));
  });
  app.post(honoPath(R.rollback.config.path), async (c) => {
    const body = await readBody(c, RollbackBodySchema);
    return c.json(await control.rollback(model(c), body));
  });
  app.onError((error, c) => {
    if (error instanceof PlatformError) {
      const status = ADMIN_ERROR_STATUS[error.code] ?? 500;
      return errorJson(c, error.code, error.message, status, error.details);
    }
    console.error(error);
    return errorJson(c, "internal_error", "Internal error", 500);
  });
  return app;
}

async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let json: unknown = {};
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      throw new PlatformError("invalid_request", "Cannot parse the body: not JSON");
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({
      path: i.path.join(".") || "(body)",
      message: i.message,
    }));
    throw new PlatformError(
      "invalid_request",
      `Invalid body: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`,
      { details },
    );
  }
  return parsed.data;
}

function errorJson(c: Context, code: string, message: string, status: number, details?: unknown) {
  const error: Record<string, unknown> = { code, message, status };
  if (details !== undefined) error.details = details;
  return c.json({ error }, status as 400);
}

function authorized(header: string | undefined, token: string | undefined): boolean {
  return token ? matchesAnyKey(bearerToken(header), [token]) : false;
}
