import assert from "node:assert/strict";
import { buildDashboards, dashboardExpressions, dashboardJson } from "./dashboards.ts";

Deno.test("buildDashboards() matches the committed provisioned JSON", async () => {
  for (const d of buildDashboards()) {
    const path = new URL(`./grafana/dashboards/${d.file}`, import.meta.url);
    const committed = await Deno.readTextFile(path);
    assert.equal(
      committed,
      dashboardJson(d),
      `${d.file} is stale: run deno run -A deploy/monitoring/dashboards.ts`,
    );
  }
});

Deno.test("buildDashboards() covers serving, features, ingestion and system", () => {
  const byUid = new Map(buildDashboards().map((d) => [d.dashboard.uid, d.dashboard]));
  const titles = (uid: string) => byUid.get(uid)?.panels.map((p) => p.title.toLowerCase()) ?? [];
  const expect: Record<string, string[]> = {
    "ml-model-serving": ["throughput", "latency", "errors by variant", "cache hit", "active"],
    "ml-features": ["freshness", "null", "mean", "drift"],
    "ml-ingestion": ["lag per partition", "lag per shard", "events per second", "dead letters"],
    "ml-system": ["memory", "event loop", "postgres", "redis"],
  };
  for (const [uid, words] of Object.entries(expect)) {
    for (const word of words) {
      assert.ok(titles(uid).some((t) => t.includes(word)), `${uid} has no panel about ${word}`);
    }
  }
});

Deno.test("buildDashboards() gives every panel a unique id, a datasource and a query", () => {
  for (const d of buildDashboards()) {
    const ids = d.dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, d.file);
    for (const p of d.dashboard.panels) {
      assert.ok((p.targets ?? []).length > 0, `${d.file} / ${p.title} has no query`);
    }
  }
  assert.ok(dashboardExpressions(buildDashboards()).every((e) => e.expr.trim() !== ""));
});
