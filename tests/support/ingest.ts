/**
 * Support for the end-to-end tests and the benchmark of the ingest workers:
 * a generated stream with duplicates and invalid events (and the features
 * it must produce), a worker spawned as a real subprocess, and polling
 * helpers. Test support only; nothing in production imports it.
 *
 * @module
 */
import type postgres from "postgres";
import type { ProducerRecord } from "../../ingest-workers/port.ts";

/** A generated stream and what it must lead to. */
export interface TestStream {
  /** Everything to produce, in order (valid, duplicates and invalid mixed). */
  records: ProducerRecord[];
  /** Unique valid events by id. */
  valid: Map<
    string,
    { user_id: string; amount: number; timeMs: number; merchant_category: string }
  >;
  /** Raw payloads that must end in the dead-letter table, each exactly once. */
  invalid: Uint8Array[];
  /** Users of the stream. */
  users: string[];
}

const encoder = new TextEncoder();
const CATEGORIES = ["grocery", "travel", "electronics", "restaurant", "fuel"];

/**
 * Builds a stream of `events` valid events over `users` users, every
 * `dupEvery`-th one repeated, and `invalid` bad messages (malformed JSON,
 * non-UTF-8, schema-invalid) spread through it. Event times lie in
 * (`asOfMs` − 50 min, `asOfMs` − 1 min], inside every window.
 */
export function makeStream(
  runId: string,
  opts: {
    events: number;
    users: number;
    dupEvery?: number;
    invalid?: number;
    asOfMs: number;
    offset?: number;
  },
): TestStream {
  const users = Array.from({ length: opts.users }, (_, i) => `u-${runId}-${i}`);
  const valid: TestStream["valid"] = new Map();
  const records: ProducerRecord[] = [];
  const invalid: Uint8Array[] = [];
  const every = opts.invalid ? Math.max(1, Math.floor(opts.events / opts.invalid)) : Infinity;
  const start = opts.offset ?? 0;
  for (let i = start; i < start + opts.events; i++) {
    const user = users[i % users.length];
    const timeMs = opts.asOfMs - 60_000 - ((i * 7919) % (49 * 60_000));
    const event = {
      event_id: `${runId}-${i}`,
      user_id: user,
      amount: Math.round(((i * 37) % 5000) + 1) / 10,
      timestamp: new Date(timeMs).toISOString(),
      merchant_category: CATEGORIES[i % CATEGORIES.length],
      payment_method: "credit_card",
    };
    valid.set(event.event_id, { ...event, timeMs });
    const value = JSON.stringify(event);
    records.push({ key: user, value });
    if (opts.dupEvery && i % opts.dupEvery === 0) records.push({ key: user, value });
    if ((i - start) % every === every - 1 && invalid.length < (opts.invalid ?? 0)) {
      const bad = badPayload(runId, start + invalid.length);
      invalid.push(bad);
      records.push({ key: user, value: bad });
    }
  }
  return { records, valid, invalid, users };
}

function badPayload(runId: string, n: number): Uint8Array {
  switch (n % 3) {
    case 0:
      return encoder.encode(`{"event_id": "${runId}-bad-${n}", "user_id": `);
    case 1:
      return new Uint8Array([0xff, 0xfe, ...encoder.encode(`${runId}-bad-${n}`), 0xc3, 0x28]);
    default:
      return encoder.encode(
        JSON.stringify({ event_id: `${runId}-bad-${n}`, user_id: "x", amount: -5 }),
      );
  }
}

/** The window features every user must have as of `asOfMs` (all events are inside every window). */
export function expectedFeatures(
  stream: TestStream,
  asOfMs: number,
): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  const byUser = new Map<string, { amount: number; timeMs: number; merchant_category: string }[]>();
  for (const e of stream.valid.values()) {
    byUser.set(e.user_id, [...(byUser.get(e.user_id) ?? []), e]);
  }
  for (const [user, events] of byUser) {
    const sum = events.reduce((s, e) => s + e.amount, 0);
    out.set(user, {
      transaction_count_1h: events.length,
      transaction_count_24h: events.length,
      amount_sum_24h: sum,
      avg_amount_30d: sum / events.length,
      max_amount_7d: Math.max(...events.map((e) => e.amount)),
      distinct_merchant_categories_24h: new Set(events.map((e) => e.merchant_category)).size,
      seconds_since_last_txn: (asOfMs - Math.max(...events.map((e) => e.timeMs))) / 1000,
    });
  }
  return out;
}

/** Dead-letter payloads whose bytes contain `runId`, decoded from base64. */
export async function deadLettersOf(sql: postgres.Sql, runId: string): Promise<Uint8Array[]> {
  const rows = await sql<{ payload_base64: string }[]>`
    SELECT payload_base64 FROM dead_letters ORDER BY id`;
  const needle = encoder.encode(runId);
  return rows
    .map((r) => Uint8Array.from(atob(r.payload_base64), (c) => c.charCodeAt(0)))
    .filter((b) => indexOf(b, needle) >= 0);
}

/** Valid events of the run stored in Postgres. */
export async function storedEvents(sql: postgres.Sql, runId: string): Promise<number> {
  const [{ n }] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM events WHERE event_id LIKE ${runId + "-%"}`;
  return n;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Polls `cond` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A worker running as a subprocess (`deno run -A ingest-workers/cli/worker.ts`). */
export interface SpawnedWorker {
  port: number;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  /** `GET /metrics` text. */
  metrics(): Promise<string>;
  /** `GET /ready` status. */
  readyStatus(): Promise<number>;
  /** `status` of `GET /health` (`ok`, `degraded`), or `down` when it does not answer. */
  health(): Promise<string>;
  /** Sum of `ingest_messages_total{outcome=…}` for this worker. */
  counted(outcome: string): Promise<number>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
  /** SIGKILL (kill -9), then waits for the process to be gone. */
  kill(): Promise<void>;
  /** What the worker logged (stderr). */
  logs(): string;
}

/** A free loopback port. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Starts a worker subprocess for `source` with `env` (connection settings,
 * stream names) and further command-line `args` (`--example sensors`).
 */
export function spawnWorker(
  source: string,
  env: Record<string, string>,
  args: readonly string[] = [],
): SpawnedWorker {
  const port = freePort();
  const root = new URL("../../", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}ingest-workers/cli/worker.ts`, "--source", source, ...args],
    cwd: root,
    env: {
      ...env,
      INGEST_PORT: String(port),
      INGEST_HOST: "127.0.0.1",
      METADATA_SERVER_DETECTION: "none",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) log += decoder.decode(chunk, { stream: true });
  })();
  const exited = child.status.then(async (s) => {
    await reading.catch(() => {});
    return s.code;
  });
  const get = async (path: string) => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, text: await res.text() };
    } catch {
      return { status: 0, text: "" };
    }
  };
  return {
    port,
    exited,
    metrics: async () => (await get("/metrics")).text,
    readyStatus: async () => (await get("/ready")).status,
    health: async () => {
      const r = await get("/health");
      return r.status === 200 ? JSON.parse(r.text).status : "down";
    },
    counted: async (outcome) => {
      const text = (await get("/metrics")).text;
      const re = new RegExp(
        `^ingest_messages_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\S+)$`,
        "gm",
      );
      return [...text.matchAll(re)].reduce((s, m) => s + Number(m[1]), 0);
    },
    stop: () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      return exited;
    },
    kill: async () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await exited;
    },
    logs: () => log,
  };
}

/** The part of `FeaturePipeline` used to read features back. */
export interface FeatureReader {
  getOfflineFeatures(
    entity: string,
    entityId: string,
    asOfMs: number,
  ): Promise<{ features: Record<string, number> }>;
  getOnlineFeatures(
    entity: string,
    entityId: string,
    asOfMs: number,
  ): Promise<{ features: Record<string, number> }>;
}

/**
 * Compares Postgres (offline) and Redis (online) features of every user of
 * `stream` with the expected values; returns the mismatches (empty = all equal).
 */
export async function featureMismatches(
  reader: FeatureReader,
  stream: TestStream,
  asOfMs: number,
): Promise<string[]> {
  const problems: string[] = [];
  for (const [user, want] of expectedFeatures(stream, asOfMs)) {
    const offline = (await reader.getOfflineFeatures("user", user, asOfMs)).features;
    const online = (await reader.getOnlineFeatures("user", user, asOfMs)).features;
    for (const [name, value] of Object.entries(want)) {
      for (const [where, got] of [["postgres", offline[name]], ["redis", online[name]]] as const) {
        if (got === undefined || Math.abs(got - value) > 1e-6 * Math.max(1, Math.abs(value))) {
          problems.push(`${user} ${name} in ${where}: expected ${value}, got ${got}`);
        }
      }
    }
  }
  return problems;
}

/** Hex of each payload, sorted: compares dead letters as a multiset. */
export function payloadSet(payloads: Uint8Array[]): string[] {
  return payloads.map((p) => Array.from(p, (b) => b.toString(16).padStart(2, "0")).join("")).sort();
}
