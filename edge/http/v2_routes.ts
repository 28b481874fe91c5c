/**
 * The Open Inference Protocol v2 routes: health, server metadata, model
 * metadata, readiness and configuration, and inference with JSON or binary
 * tensors, each with and without `/versions/{v}`. Errors on these routes take
 * the protocol's `{"error": "<message>"}` shape (`errors.ts`).
 *
 * @module
 */
import type { Context } from "hono";
import type { EdgeConfig } from "../config.ts";
import type { BodyReader } from "../../pipeline/http_guard.ts";
import { EdgeError } from "../errors.ts";
import type { LoadedModel, ModelStore } from "../models/mod.ts";
import type { PredictionService } from "../service.ts";
import { isJsonType, readBytes } from "./body.ts";
import type { EdgeEnv } from "./middleware.ts";
import {
  echoedParameters,
  inferOutputs,
  modelConfig,
  modelMetadata,
  tensorRows,
  V2_EXTENSIONS,
  wantsContributions,
} from "./v2.ts";
import { encodeInferResponse, HEADER_LENGTH, parseInferBody } from "./v2_wire.ts";

/** What the v2 routes need. */
export interface V2RouteDeps {
  config: EdgeConfig;
  store: ModelStore;
  service: PredictionService;
  /** Reads bodies within the limit and the deadline. */
  bodies: BodyReader;
  version: string;
  /** The `{name}` path parameter, checked (404 when it cannot name a model). */
  modelName: (c: Context<EdgeEnv>) => string;
}

/** One route: method, Hono path, handler and whether it needs the API key. */
export interface RouteSpec {
  method: "GET" | "POST";
  path: string;
  handler: (c: Context<EdgeEnv>) => Response | Promise<Response>;
  secured?: boolean;
}

const BINARY_TYPE = /^application\/octet-stream\s*(?:;|$)/i;

/**
 * The content types the official clients send: none (Triton's client in
 * JSON mode), JSON, or `application/octet-stream` (binary tensors).
 */
function checkInferType(type: string | undefined): void {
  if (type === undefined || type.trim() === "" || BINARY_TYPE.test(type)) return;
  const json: boolean = isJsonType(type);
  if (json) return;
  throw new EdgeError(
    "unsupported_media_type",
    `Unsupported content type: ${
      type.slice(0, 100)
    }; expected application/json, application/octet-stream with ${HEADER_LENGTH}, or none`,
  );
}

/** The v2 routes over `d`. */
export function v2Routes(d: V2RouteDeps): RouteSpec[] {
  const version = (c: Context<EdgeEnv>) => c.req.param("version") ?? d.config.defaultVersion;
  /** Runs `fn` on the model the path names, loaded, and releases it after. */
  const withModel = async <T>(c: Context<EdgeEnv>, fn: (m: LoadedModel) => T) => {
    const model = await d.store.acquire(d.modelName(c), version(c));
    try {
      return await fn(model);
    } finally {
      d.store.release(model);
    }
  };
  const infer = async (c: Context<EdgeEnv>) => {
    checkInferType(c.req.header("content-type"));
    const bytes = await readBytes(c, d.bodies);
    const { request, inputs } = parseInferBody(bytes, c.req.header(HEADER_LENGTH));
    return await withModel(c, async (model) => {
      const { data, n } = tensorRows(model, inputs, d.config.batchMax);
      const contributions = wantsContributions(request)
        ? d.service.contributions(model, data, n)
        : undefined;
      const scored = await d.service.scoreRows(model.name, model.version, data, n);
      const outputs = inferOutputs(
        scored.model,
        request,
        scored.labels,
        scored.probabilities,
        contributions,
      );
      const head: Record<string, unknown> = {
        model_name: scored.model.name,
        model_version: scored.model.version,
      };
      if (request.id !== undefined) head.id = request.id;
      const parameters = echoedParameters(request);
      if (parameters) head.parameters = parameters;
      const encoded = encodeInferResponse(head, outputs);
      if (encoded.headerLength === undefined) {
        return c.body(encoded.body, 200, { "Content-Type": "application/json" });
      }
      return c.body(encoded.body, 200, {
        "Content-Type": "application/octet-stream",
        [HEADER_LENGTH]: String(encoded.headerLength),
      });
    });
  };
  const routes: RouteSpec[] = [
    {
      method: "GET",
      path: "/v2",
      handler: (c) => c.json({ name: "rtml-edge", version: d.version, extensions: V2_EXTENSIONS }),
    },
    { method: "GET", path: "/v2/health/live", handler: (c) => c.json({ live: true }) },
    {
      method: "GET",
      path: "/v2/health/ready",
      handler: (c) => {
        if (!d.store.isReady(d.config.defaultModel, d.config.defaultVersion)) {
          throw new EdgeError("model_not_ready", `Model not ready '${d.config.defaultModel}'`);
        }
        return c.json({ ready: true });
      },
    },
  ];
  for (const base of ["/v2/models/:name", "/v2/models/:name/versions/:version"]) {
    routes.push(
      {
        method: "GET",
        path: base,
        secured: true,
        handler: (c) =>
          withModel(c, (model) => {
            const versions = d.store.route(model.name)?.versions ?? [model.version];
            return c.json(modelMetadata(model, versions));
          }),
      },
      {
        method: "GET",
        path: `${base}/ready`,
        secured: true,
        handler: (c) => withModel(c, (model) => c.json({ name: model.name, ready: true })),
      },
      {
        method: "GET",
        path: `${base}/config`,
        secured: true,
        handler: (c) => withModel(c, (model) => c.json(modelConfig(model, d.config.batchMax))),
      },
      { method: "POST", path: `${base}/infer`, secured: true, handler: (c) => infer(c) },
    );
  }

  return routes;
}
