/**
 * The OpenAPI document of the embedded platform: every route the one
 * process serves (the edge, and mounted inside it the features API, HTTP
 * ingest, `/admin/models` and the console), from the same route
 * definitions each part registers its handlers from. Only routes the
 * process serves are listed, in the order it matches them (the edge's
 * `/health` and `/ready` answer for the whole process), and a route shows
 * its security only when its credential is configured.
 *
 * @module
 */
import { ALL_EDGE_ROUTES } from "../../edge/http/openapi.ts";
import { EDGE_VERSION } from "../../edge/app.ts";
import { INGEST_ROUTES } from "../../ingest-workers/api.ts";
import { FEATURE_ROUTES } from "../../pipeline/api.ts";
import { ADMIN_ROUTES } from "../../registry/admin_api.ts";
import { type ApiRoute, buildOpenApiDocument, servedRoutes } from "../../schemas/api.ts";
import { CONSOLE_ROUTES } from "../console/mod.ts";

/** Which credentials the embedded platform has configured, by route family. */
export interface EmbeddedSecurity {
  /** `EDGE_API_KEYS`: `/predict`, `/models`, `/v2/models/*`. */
  edgeKeys: boolean;
  /** `FEATURES_API_KEYS`, else the edge's keys: `/features/*`. */
  featureKeys: boolean;
  /** `INGEST_API_KEYS`: `POST /ingest/events`. */
  ingestKeys: boolean;
  /** `CONSOLE_ADMIN_TOKEN`: `/console/*`. */
  consoleToken: boolean;
}

/** The combined document of the routes in `served` (the platform's route table). */
export function embeddedOpenApiDocument(
  served: readonly { method: string; path: string }[],
  security: EmbeddedSecurity,
) {
  const unless = (keyed: boolean, routes: readonly ApiRoute[]) =>
    keyed ? routes : routes.map((r) => ({ ...r, protect: undefined }));
  const routes = [
    ...unless(security.edgeKeys, ALL_EDGE_ROUTES),
    ...unless(security.featureKeys, Object.values(FEATURE_ROUTES)),
    ...unless(security.ingestKeys, Object.values(INGEST_ROUTES)),
    // Always behind the platform's admin token (REGISTRY_ADMIN_TOKEN, or a random one).
    ...Object.values(ADMIN_ROUTES),
    ...unless(security.consoleToken, Object.values(CONSOLE_ROUTES)),
  ];
  return buildOpenApiDocument(servedRoutes(routes, served), {
    title: "rtml platform (embedded)",
    version: EDGE_VERSION,
    description: "Prediction (edge), features, HTTP ingest, model operations and the operator " +
      "console in one process.",
    enforced: ["api_key", "admin_token", "console_token"],
  });
}
