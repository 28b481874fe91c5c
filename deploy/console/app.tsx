/**
 * `createConsole(deps)`: the operator console at `/console`, a Hono app
 * with server-rendered pages, the JSON its plots poll and the actions its
 * buttons post. With an admin token every route needs it (as a Bearer
 * token, or the session cookie the sign-in form sets); actions also need
 * the `x-rtml-console` header, which a cross-site form cannot send. Bodies
 * are read within a size limit and a deadline (`pipeline/http_guard.ts`),
 * after the credentials are checked.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { raw } from "hono/html";
import { z } from "zod";
import { honoPath } from "../../schemas/api.ts";
import { PlatformError } from "../../schemas/errors.ts";
import { BodyReader } from "../../pipeline/http_guard.ts";
import { parseIsoUtc } from "../../schemas/time.ts";
import {
  CanaryBodySchema,
  PromoteBodySchema,
  RollbackBodySchema,
} from "../../registry/admin_api.ts";
import { ADMIN_ERROR_STATUS } from "../../registry/admin_http.ts";
import { RegistryError } from "../../registry/errors.ts";
import { canary, promote, replay, rollback } from "./actions.ts";
import { CONSOLE_ASSET_PREFIX, CONSOLE_ROUTES as R, ReplayBodySchema } from "./api.ts";
import { consoleAsset } from "./assets.ts";
import {
  type ConsoleDeps,
  deadLetters,
  featureLookup,
  listModels,
  modelDetail,
  trafficSeries,
  viewDefinitions,
} from "./data.ts";
import { ConsoleError } from "./errors.ts";
import { driftOf, ingestStats, pipelineFreshness } from "./metrics_view.ts";
import { Layout, ModelPage, OverviewPage } from "./pages.tsx";
import { FeaturesPage, IngestPage, LoginPage } from "./pages_ops.tsx";

const COOKIE = "rtml_console";
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
/** Fewest served vectors before the edge reports a feature's PSI (`PsiDriftMonitor`). */
const DRIFT_MIN_SAMPLES = 100;

/** Largest body of a console action (a replay of fixed dead letters is the big one). */
export const CONSOLE_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Largest sign-in form. */
const LOGIN_MAX_BODY_BYTES = 4096;

/** The console app, and `close()` to stop its body readers' watchdogs. */
export type ConsoleApp = Hono & { close(): void };

/** Builds the console app; mount it at the root of a process (its routes start with `/console`). */
export function createConsole(deps: ConsoleDeps): ConsoleApp {
  const app = new Hono();
  const bodies = new BodyReader({ maxBytes: CONSOLE_MAX_BODY_BYTES });
  const forms = new BodyReader({ maxBytes: LOGIN_MAX_BODY_BYTES });
  const now = deps.now ?? Date.now;
  const session = deps.adminToken ? sessionOf(deps.adminToken) : null;
  const page = (c: Context, title: string, active: string, body: unknown) =>
    c.html(
      <>
        {raw("<!doctype html>")}
        <Layout title={title} mode={deps.mode} active={active}>{body as never}</Layout>
      </>,
    );

  app.get(R.loginPage.config.path, (c) => page(c, "Sign in", "", <LoginPage failed={false} />));
  app.post(R.login.config.path, async (c) => {
    const token = new URLSearchParams(await forms.text(c.req.raw)).get("token") ?? "";
    if (!deps.adminToken || !same(token, deps.adminToken)) {
      c.status(401);
      return page(c, "Sign in", "", <LoginPage failed />);
    }
    setCookie(c, COOKIE, session!, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/console",
      secure: new URL(c.req.url).protocol === "https:",
    });
    return c.redirect("/console", 303);
  });
  app.get(`${CONSOLE_ASSET_PREFIX}:name`, async (c) => {
    const asset = await consoleAsset(c.req.param("name"));
    if (!asset) throw new ConsoleError("not_found", `No console asset '${c.req.param("name")}'`);
    return c.body(asset.body, 200, {
      "Content-Type": asset.type,
      "Cache-Control": "public, max-age=3600",
    });
  });
  const guard = async (c: Context, next: () => Promise<void>) => {
    if (session && !authorized(c, deps.adminToken!, session)) {
      if (c.req.method === "GET" && !c.req.path.startsWith("/console/api/")) {
        return c.redirect("/console/login", 303);
      }
      throw new ConsoleError("unauthorized", "Admin token missing or wrong");
    }
    if (c.req.method === "POST" && c.req.header("x-rtml-console") !== "1") {
      throw new ConsoleError("unauthorized", "Console actions need the x-rtml-console header");
    }
    deps.sampler.start();
    await next();
  };
  app.use("/console", guard);
  app.use("/console/*", guard);

  app.get(R.overview.config.path, async (c) => {
    const models = await listModels(deps);
    const wanted = c.req.query("model");
    const selected = models.find((m) => m.name === wanted)?.name ?? models[0]?.name ?? null;
    return page(c, "Overview", "/console", <OverviewPage models={models} selected={selected} />);
  });
  app.get(honoPath(R.model.config.path), async (c) => {
    const name = modelName(c);
    const m = await modelDetail(deps, name);
    return page(c, `Model ${name}`, "", <ModelPage m={m} threshold={deps.driftThreshold} />);
  });
  app.get(R.features.config.path, async (c) => {
    const entities = [...new Set(deps.pipeline.views.map((v) => v.entity))];
    const query = {
      entity: c.req.query("entity") ?? entities[0] ?? "",
      id: c.req.query("id") ?? "",
      as_of: c.req.query("as_of") ?? "",
    };
    let lookup = null;
    let error: string | null = null;
    if (query.id) {
      const asOf = query.as_of ? parseIsoUtc(query.as_of) : now();
      if (asOf === null) error = `Cannot read as_of '${query.as_of}': not an ISO 8601 timestamp`;
      else if (!entities.includes(query.entity)) error = `Unknown entity type '${query.entity}'`;
      else lookup = await featureLookup(deps, query.entity, query.id, asOf);
    }
    const sources = ingestStats(deps.sampler).sources.map((s) => ({
      source: s.source,
      lastEventAt: s.lastEventAt,
      p99: s.freshnessP99,
    }));
    return page(
      c,
      "Features",
      "/console/features",
      <FeaturesPage
        entities={entities}
        query={query}
        lookup={lookup}
        error={error}
        freshness={sources}
        pipeline={pipelineFreshness(deps.sampler)}
        views={viewDefinitions(deps)}
        now={now()}
      />,
    );
  });
  app.get(R.ingest.config.path, async (c) => {
    const letters = await deadLetters(deps);
    return page(c, "Ingest", "/console/ingest", <IngestPage letters={letters} />);
  });

  app.get(R.overviewData.config.path, async (c) => {
    const model = c.req.query("model") ?? "";
    if (!NAME.test(model)) {
      throw new ConsoleError("invalid_request", `Cannot read model '${model.slice(0, 100)}'`, {
        details: [{ path: "model", message: "Expected a model name" }],
      });
    }
    return c.json(await trafficSeries(deps, model));
  });
  app.get(honoPath(R.driftData.config.path), async (c) => {
    const snap = deps.sampler.snapshots().at(-1) ?? await deps.sampler.sample();
    return c.json({
      threshold: deps.driftThreshold,
      min_samples: DRIFT_MIN_SAMPLES,
      versions: driftOf(snap.samples, modelName(c)),
    });
  });
  app.get(R.ingestData.config.path, (c) => c.json(ingestStats(deps.sampler)));

  app.post(
    honoPath(R.promote.config.path),
    async (c) =>
      c.json(await promote(deps, modelName(c), await body(bodies, c, PromoteBodySchema))),
  );
  app.post(
    honoPath(R.canary.config.path),
    async (c) => c.json(await canary(deps, modelName(c), await body(bodies, c, CanaryBodySchema))),
  );
  app.post(
    honoPath(R.rollback.config.path),
    async (c) =>
      c.json(await rollback(deps, modelName(c), await body(bodies, c, RollbackBodySchema))),
  );
  app.post(
    R.replay.config.path,
    async (c) => c.json(await replay(deps, await body(bodies, c, ReplayBodySchema))),
  );

  app.onError((error, c) => {
    if (error instanceof ConsoleError) {
      return errorJson(c, error.status, error.code, error.message, error.details);
    }
    if (error instanceof PlatformError) {
      // The model operations' codes get the status /admin/models gives them.
      const status = ADMIN_ERROR_STATUS[error.code] ?? OTHER_STATUS[error.code] ??
        (/not_found$/.test(error.code) ? 404 : 500);
      // A failed model operation says what it put back; other internal errors say nothing.
      const shown = status < 500 || error instanceof RegistryError;
      return errorJson(
        c,
        status,
        error.code,
        shown ? error.message : "Internal error",
        error.details,
      );
    }
    console.error(error);
    return errorJson(c, 500, "internal_error", "Internal error");
  });
  return Object.assign(app, {
    close: () => {
      bodies.close();
      forms.close();
    },
  });
}

function modelName(c: Context): string {
  const name = c.req.param("name") ?? "";
  if (!NAME.test(name)) {
    throw new ConsoleError("not_found", `Model not found '${name.slice(0, 100)}'`);
  }
  return name;
}

/** Status of the other platform codes a console route can meet (body reads, the pipeline). */
const OTHER_STATUS: Readonly<Record<string, number>> = {
  request_timeout: 408,
  bad_request: 400,
  pipeline_retryable: 503,
};

async function body<T extends z.ZodType>(
  bodies: BodyReader,
  c: Context,
  schema: T,
): Promise<z.infer<T>> {
  const text = await bodies.text(c.req.raw);
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new ConsoleError("invalid_request", "Cannot parse body: not JSON", {
      details: [{ path: "", message: "Expected a JSON object" }],
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({
      path: i.path.join("."),
      message: i.message,
    }));
    throw new ConsoleError(
      "invalid_request",
      `Invalid request: ${details.map((d) => `${d.path || "body"}: ${d.message}`).join("; ")}`,
      { details },
    );
  }
  return parsed.data;
}

function errorJson(c: Context, status: number, code: string, message: string, details?: unknown) {
  const error: Record<string, unknown> = { code, message, status };
  if (Array.isArray(details)) error.details = details;
  return c.json({ error }, status as 400);
}

/** The cookie value standing for a signed-in session: an HMAC of the token, not the token. */
function sessionOf(token: string): string {
  return createHmac("sha256", token).update("rtml console session v1").digest("hex");
}

function authorized(c: Context, token: string, session: string): boolean {
  const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  return bearer ? same(bearer, token) : same(getCookie(c, COOKIE) ?? "", session);
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
