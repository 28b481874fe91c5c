/**
 * What the console derives from the processes' Prometheus metrics: drift
 * (PSI per feature), ingest throughput, lag and freshness per source, and
 * the pipeline's freshness, over the sampler's window.
 *
 * @module
 */
import { bucketsOf, histogramQuantile, type MetricsSampler, type Sample } from "./prom.ts";

/** PSI per feature and served version, from the latest metrics sample (max over edges). */
export function driftOf(samples: readonly Sample[], model: string) {
  const byVersion = new Map<string, Map<string, number>>();
  for (const s of samples) {
    if (s.name !== "ml_feature_drift_psi" || s.labels.model_name !== model) continue;
    const v = s.labels.model_version;
    const m = byVersion.get(v) ?? new Map<string, number>();
    m.set(s.labels.feature, Math.max(m.get(s.labels.feature) ?? 0, s.value));
    byVersion.set(v, m);
  }
  return [...byVersion].sort(([a], [b]) => Number(a) - Number(b)).map(([version, m]) => ({
    version,
    features: [...m].sort(([a], [b]) => a.localeCompare(b)).map(([feature, psi]) => ({
      feature,
      psi,
    })),
  }));
}

/** Per ingest source: rate over time, latest lag, freshness quantiles, last event seen. */
export interface SourceStats {
  source: string;
  /** Accepted + duplicate events per second at each snapshot. */
  rate: (number | null)[];
  deadLetteredRate: (number | null)[];
  /** Kafka messages behind the high watermark (sum over partitions), now. */
  kafkaLag: number | null;
  /** Kinesis ms behind latest (max over shards), now. */
  kinesisBehindMs: number | null;
  /** Broker receipt → committed, over the sampled window (s). */
  freshnessP50: number | null;
  freshnessP99: number | null;
  /** Last time its accepted count grew, epoch ms. */
  lastEventAt: number | null;
}

/** Ingest statistics per source from the sampled metrics. */
export function ingestStats(sampler: MetricsSampler): { t: number[]; sources: SourceStats[] } {
  const snaps = sampler.snapshots();
  const t = snaps.map((s) => s.at / 1000);
  const counts = snaps.map((s) => countsBySource(s.samples));
  const names = new Set<string>();
  for (const c of counts) for (const k of c.keys()) names.add(k);
  const latest = snaps.at(-1)?.samples ?? [];
  const first = snaps[0]?.samples ?? [];
  const sources = [...names].sort().map((source) => {
    const rate: (number | null)[] = [null];
    const dead: (number | null)[] = [null];
    let lastEventAt: number | null = null;
    for (let i = 1; i < snaps.length; i++) {
      const dt = (snaps[i].at - snaps[i - 1].at) / 1000;
      const a = counts[i].get(source) ?? { ok: 0, dead: 0 };
      const b = counts[i - 1].get(source) ?? { ok: 0, dead: 0 };
      // A counter that went down restarted: count from zero.
      const dOk = a.ok >= b.ok ? a.ok - b.ok : a.ok;
      rate.push(dt > 0 ? dOk / dt : null);
      dead.push(dt > 0 ? (a.dead >= b.dead ? a.dead - b.dead : a.dead) / dt : null);
      if (dOk > 0) lastEventAt = snaps[i].at;
    }
    const match = (l: Record<string, string>) => l.source === source;
    const now = bucketsOf(latest, "ingest_freshness_seconds", match);
    const then = bucketsOf(first, "ingest_freshness_seconds", match);
    const window = now.map(([le, c]) => [le, c - (then.find(([x]) => x === le)?.[1] ?? 0)]) as [
      number,
      number,
    ][];
    const kafka = latest.filter((s) => s.name === "ingest_kafka_partition_lag");
    const kinesis = latest.filter((s) => s.name === "ingest_kinesis_millis_behind_latest");
    return {
      source,
      rate,
      deadLetteredRate: dead,
      kafkaLag: source === "kafka" && kafka.length > 0
        ? kafka.reduce((x, s) => x + s.value, 0)
        : null,
      kinesisBehindMs: source === "kinesis" && kinesis.length > 0
        ? Math.max(...kinesis.map((s) => s.value))
        : null,
      freshnessP50: histogramQuantile(0.5, window),
      freshnessP99: histogramQuantile(0.99, window),
      lastEventAt,
    };
  });
  return { t, sources };
}

function countsBySource(samples: readonly Sample[]): Map<string, { ok: number; dead: number }> {
  const out = new Map<string, { ok: number; dead: number }>();
  for (const s of samples) {
    if (s.name !== "ingest_messages_total") continue;
    const c = out.get(s.labels.source) ?? { ok: 0, dead: 0 };
    if (s.labels.outcome === "accepted" || s.labels.outcome === "duplicate") c.ok += s.value;
    else if (s.labels.outcome === "dead_lettered") c.dead += s.value;
    out.set(s.labels.source, c);
  }
  return out;
}

/** Pipeline freshness (accepted → visible online) over the sampled window, seconds. */
export function pipelineFreshness(
  sampler: MetricsSampler,
): { p50: number | null; p99: number | null } {
  const snaps = sampler.snapshots();
  const now = bucketsOf(snaps.at(-1)?.samples ?? [], "features_freshness_seconds");
  const then = bucketsOf(snaps[0]?.samples ?? [], "features_freshness_seconds");
  const window = now.map(([le, c]) => [le, c - (then.find(([x]) => x === le)?.[1] ?? 0)]) as [
    number,
    number,
  ][];
  return { p50: histogramQuantile(0.5, window), p99: histogramQuantile(0.99, window) };
}
