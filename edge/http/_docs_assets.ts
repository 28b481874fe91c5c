/**
 * The `/docs` page: a small self-written OpenAPI renderer served by the app
 * itself (no CDN, works offline and under a strict CSP).
 *
 * @module
 */

/** The HTML shell. */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Edge prediction service: API</title>
<link rel="stylesheet" href="/docs/docs.css">
</head>
<body>
<header><h1 id="title">API</h1><p id="description"></p></header>
<main id="operations" aria-live="polite"><p>Loading /openapi.json…</p></main>
<script type="module" src="/docs/docs.js"></script>
</body>
</html>
`;

/** The stylesheet. */
export const DOCS_CSS =
  `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
header{padding:16px 24px;background:#0d1117;color:#fff}header p{margin:0;color:#c9d1d9}
main{padding:16px 24px;max-width:1100px}
.op{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:0 0 12px}
.op>summary{cursor:pointer;padding:10px 14px;display:flex;gap:12px;align-items:center}
.method{font:600 12px/1 monospace;text-transform:uppercase;padding:5px 8px;border-radius:4px;color:#fff;min-width:44px;text-align:center}
.get{background:#1f6feb}.post{background:#1a7f37}.path{font-family:monospace;font-weight:600}
.body{padding:0 14px 12px}pre{background:#f6f8fa;padding:10px;overflow:auto;border-radius:4px;font-size:12px}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
`;

/** The renderer: fetches `/openapi.json` and lists every operation. */
export const DOCS_JS = `const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
};
const resolve = (doc, s) => s && s.$ref ? doc.components.schemas[s.$ref.split("/").pop()] : s;
const pretty = (v) => el("pre", {}, JSON.stringify(v, null, 2));
async function main() {
  const res = await fetch("/openapi.json");
  const doc = await res.json();
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  document.getElementById("description").textContent = doc.info.description || "";
  const root = document.getElementById("operations");
  root.textContent = "";
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const id = "op-" + method + "-" + path.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");
      const body = el("div", { class: "body" });
      if (op.parameters) {
        const rows = op.parameters.map((p) => el("tr", {}, el("td", {}, p.name), el("td", {}, p.in)));
        body.append(el("h4", {}, "Parameters"), el("table", {}, ...rows));
      }
      if (op.requestBody) {
        body.append(el("h4", {}, "Request body"), pretty(resolve(doc, op.requestBody.content["application/json"].schema)));
      }
      for (const [code, r] of Object.entries(op.responses)) {
        const c = r.content && Object.values(r.content)[0];
        body.append(el("h4", {}, "Response " + code), c ? pretty(resolve(doc, c.schema)) : el("p", {}, r.description));
      }
      const summary = el("summary", {},
        el("span", { class: "method " + method }, method.toUpperCase()),
        el("span", { class: "path" }, path),
        el("span", {}, op.summary || ""));
      root.append(el("details", { class: "op", id, "data-method": method.toUpperCase(), "data-path": path }, summary, body));
    }
  }
  document.body.dataset.ready = "true";
}
main().catch((e) => {
  document.getElementById("operations").textContent = "Cannot load /openapi.json: " + e;
});
`;
