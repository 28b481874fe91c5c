/**
 * The ingest side of the soak: seed-style transaction events for a pool of
 * users, posted to `POST /ingest/events` in batches at a fixed rate, with a
 * record of every answer and of how many events each user was sent (the
 * expected feature counts afterwards).
 *
 * @module
 */

/** Options of {@linkcode IngestLoad}. */
export interface IngestLoadOptions {
  /** Base URL of the platform. */
  baseUrl: string;
  /** Events per second to post. */
  eventsPerSecond: number;
  /** Events per request. */
  batchSize: number;
  /** Users the events are spread over: `<prefix><0..users-1>`. */
  users: number;
  /** Prefix of the user ids (unique per run, so counts start at zero). */
  userPrefix: string;
  /** Requests in flight at most; a slower answer delays the next batch beyond that. */
  maxInFlight?: number;
  /** Stop by itself after this many events (default: only on `stop()`). */
  totalEvents?: number;
}

/** What the ingest load saw. */
export interface IngestTotals {
  requests: number;
  /** Events in the requests answered. */
  sent: number;
  /** Sum of `accepted` in the 202 answers. */
  accepted: number;
  duplicate: number;
  rejected: number;
  /** Requests answered other than 202, or not answered. */
  failed: number;
  /** The first few failures, for the report. */
  failures: string[];
  /** Latency of each request, ms. */
  latenciesMs: number[];
  /** Seconds from start to the last answer. */
  seconds: number;
}

const CATEGORIES = ["grocery", "electronics", "travel", "restaurant", "gas_station", "online"];
const METHODS = ["credit_card", "debit_card", "paypal", "bank_transfer"];
const DEVICES = ["mobile", "desktop", "tablet"];
const CITIES = [["US", "New York"], ["BR", "Sao Paulo"], ["DE", "Berlin"], ["JP", "Tokyo"]];

/** Posts events at a fixed rate until stopped; counts what each user was sent. */
export class IngestLoad {
  readonly options: Required<IngestLoadOptions>;
  /** Events accepted per user index. */
  readonly perUser: Int32Array;
  readonly totals: IngestTotals = {
    requests: 0,
    sent: 0,
    accepted: 0,
    duplicate: 0,
    rejected: 0,
    failed: 0,
    failures: [],
    latenciesMs: [],
    seconds: 0,
  };
  #seq = 0;
  #stopped = false;
  #loop: Promise<void> | null = null;

  constructor(options: IngestLoadOptions) {
    this.options = { maxInFlight: 8, totalEvents: Infinity, ...options };
    this.perUser = new Int32Array(options.users);
  }

  /** Starts posting. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops after the requests in flight are answered; resolves with the totals. */
  async stop(): Promise<IngestTotals> {
    this.#stopped = true;
    return await this.finished();
  }

  /** Resolves with the totals once the load has stopped (by `stop()` or `totalEvents`). */
  async finished(): Promise<IngestTotals> {
    await this.#loop;
    return this.totals;
  }

  /** A user's id. */
  userId(index: number): string {
    return `${this.options.userPrefix}${index}`;
  }

  async #run(): Promise<void> {
    const { eventsPerSecond, batchSize, maxInFlight, totalEvents } = this.options;
    const intervalMs = 1000 * batchSize / eventsPerSecond;
    const t0 = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; !this.#stopped && this.#seq + batchSize <= totalEvents; i++) {
      const wait = t0 + i * intervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.#stopped) break;
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      const p = this.#post(this.#batch()).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    this.totals.seconds = (performance.now() - t0) / 1000;
  }

  #batch(): { body: string; users: number[] } {
    const { batchSize, users } = this.options;
    const now = Date.now();
    const events: unknown[] = [];
    const who: number[] = [];
    for (let j = 0; j < batchSize; j++) {
      const n = this.#seq++;
      const u = (n * 7919) % users;
      const [country, city] = CITIES[n % CITIES.length];
      who.push(u);
      events.push({
        event_id: `${this.options.userPrefix}e${n}`,
        user_id: this.userId(u),
        amount: Math.round((5 + (n * 37) % 900 + (n % 7) / 10) * 100) / 100,
        // Up to 2 s in the past, as a source with some delay sends them.
        timestamp: new Date(now - (n % 2000)).toISOString(),
        merchant_category: CATEGORIES[n % CATEGORIES.length],
        payment_method: METHODS[n % METHODS.length],
        device_type: DEVICES[n % DEVICES.length],
        location: { country, city },
        risk_score: (n % 100) / 100,
      });
    }
    return { body: JSON.stringify(events), users: who };
  }

  async #post(batch: { body: string; users: number[] }): Promise<void> {
    const t = this.totals;
    const started = performance.now();
    let failure: string | null = null;
    try {
      const res = await fetch(`${this.options.baseUrl}/ingest/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: batch.body,
      });
      const text = await res.text();
      if (res.status !== 202) failure = `HTTP ${res.status}: ${text.slice(0, 200)}`;
      else {
        const out = JSON.parse(text) as { accepted: number; duplicate: number; rejected: number };
        t.accepted += out.accepted;
        t.duplicate += out.duplicate;
        t.rejected += out.rejected;
        if (out.accepted === batch.users.length) { for (const u of batch.users) this.perUser[u]++; }
        else failure = `accepted ${out.accepted} of ${batch.users.length}: ${text.slice(0, 200)}`;
      }
    } catch (error) {
      failure = `no answer: ${error instanceof Error ? error.message : error}`;
    }
    t.requests++;
    t.sent += batch.users.length;
    t.latenciesMs.push(performance.now() - started);
    if (failure !== null) {
      t.failed++;
      if (t.failures.length < 5) t.failures.push(failure);
    }
  }
}

/** The `p`-quantile (0..1) of `values`, or NaN when empty. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
