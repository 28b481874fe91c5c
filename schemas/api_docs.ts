/**
 * The interactive API reference every process serves at `/docs`: Swagger UI
 * from the `swagger-ui-dist` npm package (imported as text, so it is part of
 * the module graph: no CDN, no filesystem read, works on Deno Deploy),
 * pointed at the process's own `/openapi.json`. The assets load only when
 * `/docs` is first asked for, so serving costs nothing until then.
 *
 * @module
 */
import type { Hono } from "hono";
import { DOCS_ROUTES } from "./api.ts";

/** Paths served under `/docs`. */
export const DOCS_PATHS = [
  "/docs",
  "/docs/swagger-ui.css",
  "/docs/swagger-ui-bundle.js",
  "/docs/init.js",
] as const;

const HTML = (title: string) =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}: API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// No validator badge (it calls an outside service); the page marks itself
// ready once the document has rendered, for tests and scripts.
const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
  onComplete: () => { document.body.dataset.ready = "true"; },
});
`;

let bundle: Promise<string> | undefined;
let css: Promise<string> | undefined;

const HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
  "Cache-Control": "public, max-age=3600",
  "X-Content-Type-Options": "nosniff",
};

/** Answers one of {@linkcode DOCS_PATHS}; `title` names the process in the page title. */
export async function docsResponse(path: string, title: string): Promise<Response> {
  const send = (body: string, type: string) =>
    new Response(body, { headers: { ...HEADERS, "Content-Type": type } });
  switch (path) {
    case "/docs":
      return send(HTML(title), "text/html; charset=utf-8");
    case "/docs/init.js":
      return send(INIT, "text/javascript; charset=utf-8");
    case "/docs/swagger-ui.css":
      css ??= import("swagger-ui-dist/swagger-ui.css", { with: { type: "text" } })
        .then((m) => m.default);
      return send(await css, "text/css; charset=utf-8");
    case "/docs/swagger-ui-bundle.js":
      bundle ??= import("swagger-ui-dist/swagger-ui-bundle.js", { with: { type: "text" } })
        .then((m) => m.default);
      return send(await bundle, "text/javascript; charset=utf-8");
    default:
      return new Response("Not found", { status: 404 });
  }
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Serves `/openapi.json` (built once, on first request) and `/docs` with its
 * assets on `app`. Use it on a process's own app, not on one mounted into a
 * larger process (which serves its combined document instead).
 */
// deno-lint-ignore no-explicit-any
export function mountDocs(app: Hono<any>, document: () => unknown, title: string): void {
  let text: string | undefined;
  app.get(DOCS_ROUTES.openapi.config.path, (c) => {
    text ??= JSON.stringify(document());
    return c.body(text, 200, { "Content-Type": "application/json" });
  });
  for (const path of DOCS_PATHS) app.get(path, () => docsResponse(path, title));
}
