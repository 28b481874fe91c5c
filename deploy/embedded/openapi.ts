/**
 * The OpenAPI document of the embedded platform: every route the one
 * process serves (features, ingest, console, edge), from the same route
 * definitions each part registers its handlers from. Where two parts define
 * the same method and path, the one mounted first (and so serving it) is
 * listed.
 *
 * @module
 */
import { ALL_EDGE_ROUTES } from "../../edge/http/openapi.ts";
import { EDGE_VERSION } from "../../edge/app.ts";
import { INGEST_ROUTES } from "../../ingest-workers/api.ts";
import { FEATURE_ROUTES } from "../../pipeline/api.ts";
import { buildOpenApiDocument, DOCS_ROUTES } from "../../schemas/api.ts";
import { CONSOLE_ROUTES } from "../console/mod.ts";

/** The combined document; `apiKeys` says whether the edge enforces its API keys. */
export function embeddedOpenApiDocument(apiKeys: boolean) {
  return buildOpenApiDocument(
    [
      ...Object.values(DOCS_ROUTES),
      ...Object.values(CONSOLE_ROUTES),
      ...Object.values(FEATURE_ROUTES),
      INGEST_ROUTES.events,
      ...ALL_EDGE_ROUTES,
    ],
    {
      title: "rtml platform (embedded)",
      version: EDGE_VERSION,
      description:
        "Prediction (edge), features, HTTP ingest and the operator console in one process.",
      enforced: apiKeys ? ["api_key"] : [],
    },
  );
}
