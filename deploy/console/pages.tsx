/**
 * The console's frame and its model pages (overview, model), rendered on
 * the server with Hono JSX (`pages_ops.tsx` has the others). Plots are
 * empty `<div data-plot=...>` that the small client script fills from the
 * JSON routes; everything else is plain HTML.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import type { ModelDetail, ModelSummary } from "./data.ts";

const NAV = [
  ["/console", "Overview"],
  ["/console/features", "Features"],
  ["/console/ingest", "Ingest"],
] as const;

/** The frame of every page. */
export function Layout(p: { title: string; mode: string; active: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{p.title} · rtml console</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/console/assets/uPlot.min.css" />
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/uPlot.iife.min.js" defer></script>
        <script src="/console/assets/console.js" defer></script>
      </head>
      <body>
        <header>
          <strong>rtml console</strong>
          <nav>
            {NAV.map(([href, label]) => (
              <a href={href} class={p.active === href ? "active" : ""}>{label}</a>
            ))}
            <a href="/docs">API docs</a>
          </nav>
          <span class="mode">{p.mode}</span>
        </header>
        <main>
          <h1>{p.title}</h1>
          {p.children}
        </main>
        <div id="toast" role="status" aria-live="polite"></div>
      </body>
    </html>
  );
}

function traffic(m: ModelSummary) {
  const t = m.traffic;
  const challenger = m.pointer?.challenger?.version;
  if (!challenger || t.mode === "single") return "champion 100 %";
  if (t.mode === "shadow") return `champion 100 %, challenger v${challenger} in shadow`;
  return `champion ${
    100 - t.challenger_percent
  } % / challenger v${challenger} ${t.challenger_percent} %`;
}

/** What serves a model now, for people. */
function canaryState(m: ModelDetail): string {
  const t = m.traffic;
  const champion = m.pointer?.champion.version ?? m.aliases.champion;
  const challenger = m.pointer?.challenger?.version;
  if (!champion) return "No champion yet: promote a version.";
  if (t.mode === "canary" && challenger) {
    return `Canary: challenger v${challenger} gets ${t.challenger_percent} % of traffic, champion v${champion} the rest.`;
  }
  if (t.mode === "shadow" && challenger) {
    return `Shadow: challenger v${challenger} is scored on every request, champion v${champion} answers.`;
  }
  return `Single: champion v${champion} serves all traffic.`;
}

/** `/console`. */
export function OverviewPage(p: { models: ModelSummary[]; selected: string | null }) {
  return (
    <>
      <table class="grid" id="models">
        <thead>
          <tr>
            <th>model</th>
            <th>versions</th>
            <th>aliases</th>
            <th>traffic split</th>
          </tr>
        </thead>
        <tbody>
          {p.models.map((m) => (
            <tr data-model={m.name}>
              <td>
                <a href={`/console/models/${encodeURIComponent(m.name)}`}>{m.name}</a>
              </td>
              <td>{m.versions}</td>
              <td>
                {Object.entries(m.aliases).sort().map(([a, v]) => (
                  <span key={a} class="tag">{a}: v{v}</span>
                ))}
              </td>
              <td class="traffic">{traffic(m)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.selected
        ? (
          <section data-overview={p.selected}>
            <h2>
              {p.selected}: last 15 minutes{" "}
              <small>(10 s buckets of the edges' per-variant counters)</small>
            </h2>
            <p class="live" id="live">Loading…</p>
            <div class="plots">
              <div data-plot="rps" data-title="requests/s"></div>
              <div data-plot="latency" data-title="latency p50 / p99 (ms)"></div>
              <div data-plot="errors" data-title="error rate (%)"></div>
            </div>
          </section>
        )
        : <p>No model is registered yet.</p>}
    </>
  );
}

/** `/console/models/{name}`. */
export function ModelPage(p: { m: ModelDetail; threshold: number }) {
  const { m } = p;
  const t = m.traffic;
  const all = [...new Set(m.versions.flatMap((v) => Object.keys(v.metrics)))].sort();
  const known = KEY_METRICS.filter((k) => all.includes(k));
  const metricNames = known.length > 0 ? known : all.slice(0, 8);
  const challenger = m.pointer?.challenger?.version ?? m.aliases.challenger;
  return (
    <div data-model-page={m.name}>
      <section>
        <h2>Canary</h2>
        <p id="canary-state">{canaryState(m)}</p>
        <ol class="steps">
          {m.steps.map((s) => (
            <li class={t?.mode === "canary" && s <= (t?.challenger_percent ?? 0) ? "done" : ""}>
              {s} %
            </li>
          ))}
        </ol>
        {m.decision
          ? (
            <p class="decision">
              Controller: <b>{m.decision.action}</b> ({m.decision.reason})
            </p>
          )
          : null}
        <div class="actions">
          <form data-action="canary" data-model={m.name}>
            <label>
              version{" "}
              <select name="version">
                {m.versions.map((v) => (
                  <option value={v.version} selected={v.version === challenger}>
                    v{v.version}
                    {v.aliases.length ? ` (${v.aliases.join(", ")})` : ""}
                  </option>
                ))}
              </select>
            </label>
            <label>
              percent <input name="percent" type="number" min="1" max="100" value="20" />
            </label>
            <label>
              <input name="shadow" type="checkbox" /> shadow
            </label>
            <button type="submit" id="canary-button">Start canary</button>
          </form>
          <button type="button" data-action="promote" data-model={m.name} id="promote-button">
            Promote challenger
          </button>
          <button type="button" data-action="rollback" data-model={m.name} id="rollback-button">
            Roll back
          </button>
        </div>
        <p class="target">Where changes take effect: {m.target}</p>
      </section>
      <section>
        <h2>Versions</h2>
        <table class="grid" id="versions">
          <thead>
            <tr>
              <th>version</th>
              <th>aliases</th>
              <th>created</th>
              <th>inputs</th>
              {metricNames.map((n) => <th key={n}>{n}</th>)}
            </tr>
          </thead>
          <tbody>
            {m.versions.slice().reverse().map((v) => (
              <tr data-version={v.version}>
                <td>v{v.version}</td>
                <td>{v.aliases.map((a) => <span key={a} class="tag">{a}</span>)}</td>
                <td>{v.created_at.replace("T", " ").slice(0, 19)}</td>
                <td>{v.inputs ?? "?"}</td>
                {metricNames.map((n) => <td key={n} class="num">{fmt(v.metrics[n])}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>
          Drift <small>(PSI per feature over the served window; alert above {p.threshold})</small>
        </h2>
        <div data-plot="drift" data-model={m.name} data-title="PSI"></div>
        <p id="drift-note"></p>
      </section>
    </div>
  );
}

/** Evaluation metrics shown per version when the manifest has them (else its first eight). */
const KEY_METRICS = [
  "roc_auc",
  "pr_auc",
  "f1",
  "precision",
  "recall",
  "accuracy",
  "log_loss",
  "rows",
];

function fmt(v: number | undefined): string {
  if (v === undefined) return "";
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(4);
}
