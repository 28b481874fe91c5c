/**
 * The console's static assets: its stylesheet and small client script, and
 * uPlot (npm `uplot`, imported as text so it is served from the package,
 * no CDN). The client script draws the plots from the JSON routes every
 * 5 s and posts the actions after a confirmation.
 *
 * @module
 */

const CSS = `*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,sans-serif;color:#1b1f24;background:#f6f8fa}
header{display:flex;gap:24px;align-items:center;padding:10px 24px;background:#0d1117;color:#fff}
header nav a{color:#c9d1d9;margin-right:16px;text-decoration:none}
header nav a.active{color:#fff;border-bottom:2px solid #58a6ff}
header .mode{margin-left:auto;font-size:12px;color:#8b949e}
main{padding:12px 24px 48px;max-width:1280px}
h1{font-size:22px;margin:8px 0 12px}h2{font-size:16px;margin:20px 0 8px}h2 small{font-weight:400;color:#57606a}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:4px 16px 12px;margin:0 0 16px}
table.grid{border-collapse:collapse;margin:8px 0;background:#fff}
table.grid th,table.grid td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
table.grid th{background:#f6f8fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;padding:4px 0;color:#57606a}
tr.differs td{background:#fff3cd}tr.differs td:first-child{border-left:4px solid #d4a72c}
tr.replayed{color:#57606a}.ok{color:#1a7f37}.error{color:#cf222e}
.tag{display:inline-block;background:#ddf4ff;border-radius:10px;padding:0 8px;margin:0 4px 2px 0;font-size:12px}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:12px}
.steps{display:flex;gap:8px;list-style:none;padding:0}.steps li{padding:2px 10px;border-radius:10px;background:#eaeef2}
.steps li.done{background:#1a7f37;color:#fff}
.actions{display:flex;gap:12px;flex-wrap:wrap;align-items:center;margin:8px 0}
.actions form{display:flex;gap:8px;align-items:center;padding:6px 8px;border:1px solid #d0d7de;border-radius:6px}
button{font:inherit;padding:4px 12px;border-radius:6px;border:1px solid #1f2328;background:#f6f8fa;cursor:pointer}
button:hover{background:#eaeef2}
input,select,textarea{font:inherit}textarea{font:12px/1.4 monospace;width:100%}
pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px;max-height:320px}
.live{font-size:15px}#toast{position:fixed;right:16px;bottom:16px;max-width:480px}
#toast div{background:#0d1117;color:#fff;padding:10px 14px;border-radius:6px;margin-top:8px}
#toast div.bad{background:#cf222e}
form.lookup,form.login{display:flex;gap:12px;align-items:center;flex-wrap:wrap}
`;

const JS = `"use strict";
const $ = (s, r = document) => r.querySelector(s);
const $$ = (s, r = document) => [...r.querySelectorAll(s)];
const COLORS = ["#1f6feb", "#d4a72c", "#1a7f37", "#cf222e", "#8250df", "#bf3989"];
function toast(text, ok = true) {
  const d = document.createElement("div");
  d.textContent = text;
  if (!ok) d.className = "bad";
  $("#toast").append(d);
  setTimeout(() => d.remove(), 8000);
}
async function getJson(url) {
  const r = await fetch(url, { headers: { accept: "application/json" } });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(j.error ? j.error.message : "HTTP " + r.status);
  return j;
}
async function post(url, body) {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rtml-console": "1" },
    body: JSON.stringify(body),
  });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) {
    const err = new Error(j.error ? j.error.message : "HTTP " + r.status);
    err.code = j.error ? j.error.code : "";
    throw err;
  }
  return j;
}
// A model operation; when it refuses because the inputs change, asks before forcing it.
async function operate(model, act, body) {
  const url = "/console/api/models/" + encodeURIComponent(model) + "/" + act;
  try {
    return await post(url, body);
  } catch (err) {
    if (err.code !== "input_schema_changed" || !confirm(err.message + "\\n\\nGo ahead anyway?")) throw err;
    return await post(url, { ...body, force: true });
  }
}
const charts = new Map();
function plot(el, series, data, extra = {}) {
  const key = el.dataset.key || el.dataset.plot;
  const old = charts.get(key);
  if (old && old.series.length === series.length + 1) return old.setData(data);
  if (old) old.destroy();
  const opts = {
    title: el.dataset.title,
    width: Math.max(320, el.clientWidth || 400),
    height: 220,
    series: [{}, ...series.map((s, i) => ({ stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { size: 4 }, ...s }))],
    ...extra,
  };
  el.textContent = "";
  charts.set(key, new uPlot(opts, data, el));
}
function every(ms, fn) {
  const run = () => fn().catch((e) => toast(String(e.message || e), false));
  run();
  setInterval(run, ms);
}
const fmt = (v, d = 1) => (v === null || v === undefined ? "—" : Number(v).toFixed(d));

function overview(section) {
  const model = section.dataset.overview;
  every(5000, async () => {
    const d = await getJson("/console/api/overview?model=" + encodeURIComponent(model));
    const v = d.variants;
    const names = Object.keys(v);
    const n = d.t.length;
    plot($("[data-plot=rps]"), names.map((k) => ({ label: k })), [d.t, ...names.map((k) => v[k].rps)]);
    plot($("[data-plot=latency]"), names.flatMap((k) => [{ label: k + " p50" }, { label: k + " p99", dash: [6, 4] }]),
      [d.t, ...names.flatMap((k) => [v[k].p50, v[k].p99])]);
    const pct = (xs) => xs.map((x) => (x === null ? null : 100 * x));
    plot($("[data-plot=errors]"), names.map((k) => ({ label: k })), [d.t, ...names.map((k) => pct(v[k].errorRate))],
      { scales: { y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } } });
    const i = n - 2; // the last complete bucket
    const total = names.reduce((s, k) => s + (v[k].rps[i] || 0), 0);
    const parts = names.filter((k) => v[k].rps[i]).map((k) =>
      k + " " + fmt(v[k].rps[i]) + " req/s, p50 " + fmt(v[k].p50[i], 2) + " ms, p99 " + fmt(v[k].p99[i], 2) +
      " ms, errors " + fmt(100 * (v[k].errorRate[i] || 0), 2) + " %");
    $("#live").textContent = "Now: " + fmt(total) + " req/s" + (parts.length ? " — " + parts.join("; ") : "");
  });
}

function drift(el) {
  const model = el.dataset.model;
  every(5000, async () => {
    const d = await getJson("/console/api/models/" + encodeURIComponent(model) + "/drift");
    if (d.versions.length === 0) {
      $("#drift-note").textContent = "No PSI yet: a version needs " + d.min_samples + " served requests with a training baseline.";
      return;
    }
    $("#drift-note").textContent = "";
    for (const v of d.versions) {
      let box = el.querySelector("[data-key='drift-" + v.version + "']");
      if (!box) {
        box = document.createElement("div");
        box.dataset.key = "drift-" + v.version;
        box.dataset.title = "v" + v.version + ": PSI per feature (line: alert threshold " + d.threshold + ")";
        el.append(box);
      }
      const names = v.features.map((f) => f.feature);
      const xs = names.map((_, i) => i);
      plot(box, [
        { label: "PSI", fill: "#1f6feb88", paths: uPlot.paths.bars({ size: [0.6, 60] }), points: { show: false } },
        { label: "threshold", stroke: "#cf222e", dash: [6, 4], points: { show: false } },
      ], [xs, v.features.map((f) => f.psi), xs.map(() => d.threshold)], {
        height: 260,
        scales: { x: { time: false, range: [-0.5, Math.max(0.5, names.length - 0.5)] }, y: { range: [0, Math.max(d.threshold * 1.5, ...v.features.map((f) => f.psi))] } },
        axes: [{ splits: () => xs, values: (u, s) => s.map((i) => names[i] || ""), rotate: -35, size: 90 }, {}],
      });
    }
  });
}

function ingest() {
  every(5000, async () => {
    const d = await getJson("/console/api/ingest");
    const el = $("[data-plot=ingest]");
    if (d.sources.length > 0) {
      plot(el, d.sources.map((s) => ({ label: s.source })), [d.t, ...d.sources.map((s) => s.rate)]);
    } else el.textContent = "No ingest source has reported yet.";
    const body = $("#sources tbody");
    body.textContent = "";
    for (const s of d.sources) {
      const tr = document.createElement("tr");
      const lag = s.kafkaLag !== null ? s.kafkaLag + " messages" : s.kinesisBehindMs !== null ? s.kinesisBehindMs + " ms" : "—";
      const fresh = s.freshnessP50 === null ? "—" : fmt(1000 * s.freshnessP50, 0) + " / " + fmt(1000 * s.freshnessP99, 0) + " ms";
      for (const c of [s.source, fmt(s.rate.at(-1)), fmt(s.deadLetteredRate.at(-1), 2), lag, fresh]) {
        const td = document.createElement("td");
        td.textContent = c;
        tr.append(td);
      }
      body.append(tr);
    }
  });
}

function actions() {
  const form = $("form[data-action=canary]");
  if (form) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const version = form.version.value;
      const shadow = form.shadow.checked;
      const percent = Number(form.percent.value);
      const what = shadow ? "shadow" : percent + " % of traffic";
      if (!confirm("Make v" + version + " the challenger of " + form.dataset.model + " with " + what + "?")) return;
      try {
        const r = await operate(form.dataset.model, "canary",
          shadow ? { version, shadow: true } : { version, percent });
        toast(r.message);
        setTimeout(() => location.reload(), 600);
      } catch (err) { toast(err.message, false); }
    });
  }
  for (const b of $$("button[data-action]")) {
    b.addEventListener("click", async () => {
      const act = b.dataset.action;
      const model = b.dataset.model;
      const question = act === "promote" ? "Promote the challenger of " + model + " to champion?"
        : "Roll back " + model + " (remove the challenger, or restore the previous champion)?";
      if (!confirm(question)) return;
      try {
        const r = await operate(model, act, {});
        toast(r.message);
        setTimeout(() => location.reload(), 600);
      } catch (err) { toast(err.message, false); }
    });
  }
  const replay = $("#replay-button");
  if (replay) {
    replay.addEventListener("click", async () => {
      const rows = $$("#dead-letters tr[data-id]").filter((tr) => tr.querySelector("input[name=replay]:checked"));
      if (rows.length === 0) return toast("Tick the dead letters to replay", false);
      if (!confirm("Replay " + rows.length + " dead letter(s) into the pipeline?")) return;
      const items = rows.map((tr) => ({ id: Number(tr.dataset.id), payload: tr.querySelector("textarea").value }));
      try {
        const r = await post("/console/api/dead-letters/replay", { items });
        for (const x of r.results) {
          const tr = $("#dead-letters tr[data-id='" + x.id + "'] td.reason");
          if (tr) tr.insertAdjacentHTML("beforeend", "<div class=" + (x.status === "invalid" ? "error" : "ok") + "></div>");
          if (tr) tr.lastChild.textContent = x.status + (x.reason ? ": " + x.reason : "");
        }
        toast(r.replayed + " replayed; " + r.results.filter((x) => x.status === "invalid").length + " still invalid", r.results.every((x) => x.status !== "invalid"));
        if (r.results.every((x) => x.status !== "invalid")) setTimeout(() => location.reload(), 800);
      } catch (err) { toast(err.message, false); }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const ov = $("[data-overview]");
  if (ov) overview(ov);
  const dr = $("[data-plot=drift]");
  if (dr) drift(dr);
  if ($("[data-plot=ingest]")) ingest();
  actions();
  document.body.dataset.ready = "true";
});
`;

let uplotJs: Promise<string> | undefined;
let uplotCss: Promise<string> | undefined;

/** The asset at `name` with its content type, or null when there is none. */
export async function consoleAsset(name: string): Promise<{ body: string; type: string } | null> {
  switch (name) {
    case "console.css":
      return { body: CSS, type: "text/css; charset=utf-8" };
    case "console.js":
      return { body: JS, type: "text/javascript; charset=utf-8" };
    case "uPlot.iife.min.js":
      uplotJs ??= import("uplot/dist/uPlot.iife.min.js", { with: { type: "text" } })
        .then((m) => m.default);
      return { body: await uplotJs, type: "text/javascript; charset=utf-8" };
    case "uPlot.min.css":
      uplotCss ??= import("uplot/dist/uPlot.min.css", { with: { type: "text" } })
        .then((m) => m.default);
      return { body: await uplotCss, type: "text/css; charset=utf-8" };
    default:
      return null;
  }
}
