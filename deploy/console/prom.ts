/**
 * Reading Prometheus metrics for the console: a parser of the text
 * exposition format and a sampler that keeps the last minutes of samples
 * from each process (the embedded registry in process, or `/metrics` URLs
 * of edges and workers), from which rates and quantiles over time are
 * computed.
 *
 * The parser is our own: `parse-prometheus-text-format` (npm, 1.1.1) merged
 * the series of a labelled histogram into one and dropped their labels,
 * `_sum` and `_count` (checked on prom-client's own output), and the
 * console needs exactly those per source.
 *
 * @module
 */

/** One sample: a series name (with `_bucket`/`_sum`/`_count` suffix kept), labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text format (comments and malformed lines are skipped). */
export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL)) {
      labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
    }
    const value = m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]);
    if (!Number.isNaN(value)) out.push({ name: m[1], labels, value });
  }
  return out;
}

/** A process whose metrics the console reads. */
export interface MetricsSource {
  /** Shown in the console (`edge`, `kafka worker`, ...). */
  name: string;
  /** The Prometheus text of the process now. */
  read(): Promise<string>;
}

/** The samples of every source at one time. */
export interface Snapshot {
  /** Epoch ms. */
  at: number;
  samples: Sample[];
  /** Sources that could not be read, with why. */
  errors: { source: string; message: string }[];
}

/** Options of {@linkcode MetricsSampler}. */
export interface MetricsSamplerOptions {
  sources: MetricsSource[];
  /** Time between samples (ms, default 5000). */
  intervalMs?: number;
  /** Snapshots kept (default 180: 15 minutes at 5 s). */
  keep?: number;
  now?: () => number;
}

/** Samples every source periodically and keeps the last snapshots. */
export class MetricsSampler {
  readonly #o: Required<MetricsSamplerOptions>;
  readonly #ring: Snapshot[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #inflight: Promise<Snapshot> | undefined;

  constructor(options: MetricsSamplerOptions) {
    this.#o = { intervalMs: 5000, keep: 180, now: Date.now, ...options };
  }

  /** Starts sampling (idempotent); the first sample is taken at once. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const tick = async () => {
      await this.sample().catch(() => {});
      if (!this.#running) return;
      this.#timer = setTimeout(tick, this.#o.intervalMs);
      Deno.unrefTimer(this.#timer as unknown as number);
    };
    void tick();
  }

  /** Stops sampling. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#inflight?.catch(() => {});
  }

  /** Takes one snapshot now (concurrent calls share it). */
  sample(): Promise<Snapshot> {
    this.#inflight ??= this.#take().finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  /** The kept snapshots, oldest first. */
  snapshots(): readonly Snapshot[] {
    return this.#ring;
  }

  async #take(): Promise<Snapshot> {
    const at = this.#o.now();
    const results = await Promise.allSettled(this.#o.sources.map((s) => s.read()));
    const samples: Sample[] = [];
    const errors: Snapshot["errors"] = [];
    results.forEach((r, i) => {
      const source = this.#o.sources[i].name;
      if (r.status === "fulfilled") {
        for (const s of parsePrometheusText(r.value)) {
          samples.push({ ...s, labels: { ...s.labels, __source: source } });
        }
      } else errors.push({ source, message: String((r.reason as Error)?.message ?? r.reason) });
    });
    const snap = { at, samples, errors };
    this.#ring.push(snap);
    if (this.#ring.length > this.#o.keep) this.#ring.splice(0, this.#ring.length - this.#o.keep);
    return snap;
  }
}

/** A source reading a `/metrics` URL. */
export function urlSource(name: string, url: string, timeoutMs = 3000): MetricsSource {
  return {
    name,
    async read() {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status} from ${url}`);
      }
      return await res.text();
    },
  };
}

/** Sum of the samples of `name` grouped by `label` (missing label: `""`). */
export function sumBy(
  samples: readonly Sample[],
  name: string,
  label: string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    const k = s.labels[label] ?? "";
    out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}

/**
 * The `q` quantile of a histogram from cumulative bucket counts
 * (`[[le, count], ...]` ascending), interpolated linearly inside the bucket
 * as Prometheus' `histogram_quantile` does; null without observations.
 */
export function histogramQuantile(q: number, buckets: readonly [number, number][]): number | null {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      const inBucket = count - prevCount;
      return inBucket <= 0 ? le : prevLe + (le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** Cumulative buckets of histogram `name` summed over the series matching `match`. */
export function bucketsOf(
  samples: readonly Sample[],
  name: string,
  match: (labels: Record<string, string>) => boolean = () => true,
): [number, number][] {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !match(s.labels)) continue;
    const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe].sort((a, b) => a[0] - b[0]);
}
