/**
 * The demo's printed summary: a few plain-text tables, nothing more.
 *
 * @module
 */
import type { DemoSummary } from "./mod.ts";
import { ONLINE_TIMEOUT_MS } from "./edge.ts";
import type { DemoWording } from "./use_case.ts";

const f = (n: number | undefined, digits = 3) =>
  n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits);
const ms = (n: number) => `${(n / 1000).toFixed(1)} s`;

function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) =>
    "  " + r.map((v, c) => c === 0 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))
      .join("  ")
  ).join("\n");
}

/** `n thing`, with an `s` unless `n` is 1. */
const plural = (n: number, thing: string) => `${n} ${thing}${n === 1 ? "" : "s"}`;

/** How a by-entity answer compared with Postgres. */
function checkedText(r: { checked?: Record<string, number>; mismatches?: string[] }): string {
  if (!r.checked) return "";
  const total = Object.values(r.checked).reduce((a, b) => a + b, 0);
  const by = Object.entries(r.checked).map(([t, k]) => `${k} ${t}`).join(" + ");
  return r.mismatches?.length
    ? `; ${r.mismatches.length} of ${total} features (${by}) differ from Postgres: ` +
      r.mismatches[0]
    : `; ${by} features = Postgres`;
}

/** Formats a {@linkcode DemoSummary} for a terminal, in the words of its use case. */
export function formatSummary(s: DemoSummary, wording: DemoWording): string {
  const out: string[] = [];
  out.push(
    `\n=== Demo ${s.runId}: ${s.ok ? "OK" : "FAILED"} in ${ms(s.totalMs)} (model '${s.model}')`,
  );
  if (s.ingest) {
    const i = s.ingest;
    out.push(
      `\nIngestion: ${i.expected.accepted} ${wording.events} spread round robin over ` +
        `the three streams (${wording.spread}), ${i.expected.duplicate} re-sent on another ` +
        `stream, ${i.expected.dead_lettered} invalid messages. One worker process per stream ` +
        `(--example ${s.example}); counts from each worker's /metrics:`,
    );
    out.push(table([
      ["stream", "produced", "accepted", "duplicate", "dead-lettered"],
      ...(["kafka", "kinesis", "pubsub"] as const).map((src) => [
        src,
        i.produced[src],
        i.perSource[src].accepted,
        i.perSource[src].duplicate,
        i.perSource[src].dead_lettered,
      ]),
      [
        "total",
        Object.values(i.produced).reduce((a, b) => a + b, 0),
        i.totals.accepted,
        i.totals.duplicate,
        i.totals.dead_lettered,
      ],
      ["expected", "", i.expected.accepted, i.expected.duplicate, i.expected.dead_lettered],
    ]));
    out.push(
      `  Postgres: ${i.storedEvents} events of the run, ${i.deadLetters.length} dead letters:`,
    );
    for (const d of i.deadLetters) out.push(`    ${d.source.padEnd(8)} ${d.reason}`);
    const entities = Object.entries(i.online.entities).map(([t, n]) => plural(n, t)).join(", ");
    out.push(
      `  Redis = Postgres: ${entities}, ${i.online.compared} feature values, ` +
        `${i.online.mismatches.length} mismatches; ingested in ${ms(i.ms)}`,
    );
  }
  if (s.training) {
    const t = s.training;
    out.push(
      `\nTraining set (point in time, from Postgres): ${t.train.rows} rows (${t.train.positives} positive), ` +
        `held out ${t.holdout.rows} newest rows (${t.holdout.positives} positive)`,
    );
    out.push(table([
      ["model", "version", "ROC AUC", "PR AUC", "recall@p0.9", "train ms"],
      ...t.candidates.map((c) => [
        c.algo,
        c.version,
        f(c.report.validation.roc_auc),
        f(c.report.validation.pr_auc),
        f(c.report.validation.recall_at_precision),
        Math.round(c.report.timings.totalMs),
      ]),
    ]));
  }
  if (s.evaluation) {
    const e = s.evaluation;
    out.push(`\nEvaluate on the held-out set (${e.rows} rows, ${e.positives} positive):`);
    out.push(table([
      ["", "version", "ROC AUC", "PR AUC", "recall@p0.9"],
      ...(["champion", "challenger"] as const).map((w) => [
        w,
        e[w].version,
        f(e[w].roc_auc),
        f(e[w].pr_auc),
        f(e[w].recall_at_precision),
      ]),
    ]));
    out.push(`  ${e.decision}`);
    if (e.aliasesAfter) out.push(`  MLflow aliases now: ${JSON.stringify(e.aliasesAfter)}`);
    if (s.mlflowUrl) out.push(`  MLflow: ${s.mlflowUrl}`);
    if (e.pointer) {
      out.push(
        `  Redis pointer: revision ${e.pointer.revision}, champion v${e.pointer.champion}` +
          `${
            e.pointer.challenger ? `, challenger v${e.pointer.challenger}` : ""
          }, traffic ${e.pointer.traffic}`,
      );
    }
  }
  if (s.serving) {
    const v = s.serving;
    const d = v.duringPromotion;
    out.push(
      `\nEdge (deno serve edge/deploy.ts; pointer and online features through the Upstash ` +
        `gateway, online read deadline ${ONLINE_TIMEOUT_MS} ms): champion v${v.readyBefore} ` +
        `before, v${v.readyVersion} after`,
    );
    out.push(
      `  During evaluate + promote: ${d.requests} requests, ${d.failed} failed, served ` +
        Object.entries(d.served).map(([k, n]) => `${n}× v${k}`).join(", ") +
        (d.swapMs === null ? "" : `; pointer moved → new champion answering in ${d.swapMs} ms`),
    );
    out.push(
      `  New event produced → in Redis / in the edge's answer: ` +
        Object.entries(v.freshness).map(([src, n]) => `${src} ${n.redisMs} / ${n.edgeMs} ms`)
          .join(", ") +
        " (the edge caches online features up to 1 s)",
    );
    for (const r of [...v.samples, ...v.byEntity]) {
      out.push(
        r.status === 200
          ? `  ${r.name}: prediction ${r.prediction}, p(${wording.positive}) ` +
            `${f(r.probability)}, v${r.model_version} ${r.variant}` +
            (r.features_as_of
              ? `, from Redis: ${
                Object.entries(r.window ?? {}).map(([k, n]) => `${k} ${f(n, 2)}`).join(", ")
              } (${wording.newest} ${r.features_as_of})`
              : "") +
            checkedText(r)
          : `  ${r.name}: HTTP ${r.status} ${r.error}`,
      );
    }
    for (const r of v.ranked ?? []) {
      out.push(
        r.status === 200
          ? `  /rank ${r.name} → top ${r.top!.length} in ${f(r.latencyMs, 1)} ms, ` +
            `v${r.model_version} ${r.variant}: ` +
            r.top!.slice(0, 3).map((c) => `${c.item_id} ${f(c.score)}`).join(", ") +
            (r.top!.length > 3 ? ", …" : "") + ` (${wording.newest} ${r.features_as_of})`
          : `  /rank ${r.name}: HTTP ${r.status} ${r.error}`,
      );
    }
    out.push("  Latency over real HTTP (client round trip, ms):");
    out.push(table([
      ["run", "requests", "failed", "p50", "p95", "p99", "max", "req/s"],
      ...[v.sequential, v.concurrent].map((l) => [
        `${l.concurrency} in flight`,
        l.requests,
        l.failed,
        f(l.p50, 2),
        f(l.p95, 2),
        f(l.p99, 2),
        f(l.max, 2),
        Math.round(l.perSecond),
      ]),
    ]));
    out.push(
      "  Inside the edge (latency_ms of each answer): " +
        [v.sequential, v.concurrent].map((l) =>
          `${l.concurrency} in flight p50 ${f(l.server.p50, 2)} / p95 ${f(l.server.p95, 2)} / ` +
          `p99 ${f(l.server.p99, 2)} ms, ${l.cached} from the prediction cache`
        ).join("; "),
    );
    for (const l of [v.sequential, v.concurrent]) {
      if (l.failed > 0) {
        out.push(`  failures at ${l.concurrency} in flight: ${JSON.stringify(l.errors)}`);
      }
    }
  }
  if (Object.keys(s.workerExitCodes).length > 0) {
    out.push(`\nWorkers after SIGTERM: ${JSON.stringify(s.workerExitCodes)}`);
  }
  out.push("\nSteps:");
  const width = Math.max(...s.steps.map((st) => st.name.length));
  for (const st of s.steps) {
    out.push(
      `  ${st.name.padEnd(width)}  ${ms(st.ms).padStart(7)}  ${
        st.ok ? "ok" : `FAILED: ${st.error}`
      }`,
    );
  }
  const services = s.steps.find((st) => st.name === "services up")?.ms ?? 0;
  out.push(
    `\nTotal: ${ms(s.totalMs)}` +
      (s.servicesStarted.length > 0
        ? ` (of which ${ms(services)} starting ${s.servicesStarted.join(", ")})`
        : " (services were already up)") +
      (s.totalMs > 180_000 ? ", over the 3 minute budget" : ""),
  );
  return out.join("\n");
}
