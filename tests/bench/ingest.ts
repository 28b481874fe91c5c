/**
 * Benchmark of the ingest workers (`deno task bench:ingest [--quick]
 * [--source kafka|kinesis|pubsub]`), one worker process per source, real
 * broker → pipeline → Postgres + Redis:
 *
 * - drain throughput: events pre-produced, then one worker started; the rate
 *   between 10 % and 90 % committed (committed = visible in Redis: the
 *   pipeline pushes online before the worker acks);
 * - the source alone (pull + ack, no pipeline) on the same volume, to show
 *   where the bottleneck is;
 * - freshness at 2 000 events/s: probe events of fresh users, Redis polled
 *   every 5 ms, produced → online latency percentiles.
 *
 * `--codecs-only` runs the codec drains alone. `--concurrency N` sets the worker's INGEST_CONCURRENCY (default 4; Pub/Sub
 * always commits serially).
 *
 * Kafka drains are run for each `--codecs` entry (default `none,zstd,lz4`)
 * in the order A B C C B A, so drift of a shared machine cancels out: the
 * same number of events (150 000, 20 000 with --quick) in batches
 * compressed by the replay producer, each codec's mean drain rate reported
 * against the uncompressed one of the same run (`vs_uncompressed`).
 *
 * Needs `deno task services:up postgres redis kafka kinesis pubsub`. Uses a
 * throw-away database, and streams, topics and Redis keys of its own.
 *
 * @module
 */
import { CreateStreamCommand, DeleteStreamCommand } from "@aws-sdk/client-kinesis";
import { Redis } from "ioredis";
import postgres from "postgres";
import {
  createKafka,
  createKinesisClient,
  createProducer,
  createPubSub,
  createSource,
} from "../../ingest-workers/clients.ts";
import type { KafkaCodecName } from "../../ingest-workers/_compression.ts";
import { type IngestConfig, resolveIngestConfig } from "../../ingest-workers/config.ts";
import type { EventProducer, ProducerRecord } from "../../ingest-workers/port.ts";
import { PUBSUB_GAX_OPTIONS } from "../../ingest-workers/pubsub.ts";
import { makeStream, type SpawnedWorker, spawnWorker, waitFor } from "../support/ingest.ts";
import { redisKeys } from "../../schemas/pointer.ts";
import { serviceEnv } from "../_services.ts";
import { createTempDatabase } from "../contracts/feature_store_fixtures.ts";
import { benchFlags } from "../_help.ts";

const flags = benchFlags(import.meta.url, {
  quick: { type: "boolean", default: false },
  source: { type: "string" },
  concurrency: { type: "string", default: "4" },
  codecs: { type: "string", default: "none,zstd,lz4" },
  "codecs-only": { type: "boolean", default: false },
});

Deno.env.set("METADATA_SERVER_DETECTION", "none");
const quick = flags.quick;
const only = flags.source;
const SOURCES = (only ? [only] : ["kafka", "kinesis", "pubsub"]) as Source[];
type Source = "kafka" | "kinesis" | "pubsub";
const VOLUME: Record<Source, number> = quick
  ? { kafka: 20_000, kinesis: 5_000, pubsub: 5_000 }
  : { kafka: 300_000, kinesis: 60_000, pubsub: 60_000 };
const concurrency = flags.concurrency;
const CODECS = flags.codecs.split(",") as KafkaCodecName[];
const FRESH_RATE = 2000;
const FRESH_SECONDS = quick ? 5 : 20;

const env = await serviceEnv("postgres", "redis", ...SOURCES);
const db = await createTempDatabase(env.DATABASE_URL);
const redis = new Redis(env.REDIS_URL);
const runId = `b${crypto.randomUUID().slice(0, 6)}`;
const results: Record<string, unknown>[] = [];

function log(msg: string) {
  console.error(`[bench:ingest] ${msg}`);
}

/** Creates the topic / stream / subscription; returns worker env, a producer and cleanup. */
async function prepare(source: Source, name: string, parallelism: number, codec = "none") {
  const base = {
    KAFKA_COMPRESSION: codec,
    ...env,
    DATABASE_URL: db.url,
    KAFKA_TOPIC: name,
    KAFKA_GROUP_ID: name,
    KINESIS_STREAM: name,
    PUBSUB_TOPIC: name,
    PUBSUB_SUBSCRIPTION: name,
    INGEST_MAX_BATCH: source === "kafka" ? "5000" : "2000",
    INGEST_CONCURRENCY: concurrency,
  };
  const config = resolveIngestConfig(base);
  const cleanups: (() => Promise<unknown>)[] = [];
  if (source === "kafka") {
    const admin = createKafka(config).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: name, numPartitions: parallelism }],
      waitForLeaders: true,
    });
    cleanups.push(() => admin.deleteTopics({ topics: [name] }).finally(() => admin.disconnect()));
  } else if (source === "kinesis") {
    const client = createKinesisClient(config);
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: parallelism }));
    cleanups.push(() => client.send(new DeleteStreamCommand({ StreamName: name })));
  } else {
    const pubsub = createPubSub(config);
    const [topic] = await pubsub.createTopic(name, PUBSUB_GAX_OPTIONS);
    await topic.createSubscription(name, { ackDeadlineSeconds: 30, gaxOpts: PUBSUB_GAX_OPTIONS });
    await topic.createSubscription(`${name}-raw`, {
      ackDeadlineSeconds: 30,
      gaxOpts: PUBSUB_GAX_OPTIONS,
    });
    cleanups.push(async () => {
      await pubsub.subscription(name).delete().catch(() => {});
      await pubsub.subscription(`${name}-raw`).delete().catch(() => {});
      await topic.delete().catch(() => {});
    });
  }
  const producer = createProducer(source, config);
  return {
    env: base,
    config,
    producer,
    cleanup: async () => {
      await producer.close().catch(() => {});
      for (const c of cleanups) await c().catch(() => {});
    },
  };
}

async function produceAll(producer: EventProducer, records: ProducerRecord[], chunk: number) {
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < records.length; i += chunk) {
    inFlight.push(producer.send(records.slice(i, i + chunk)));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return records.length / ((performance.now() - t0) / 1000);
}

/** Polls the worker's accepted counter; returns the rate between 10 % and 90 % of `n`. */
async function drainRate(worker: SpawnedWorker, n: number): Promise<number> {
  let t10 = 0;
  let t90 = 0;
  await waitFor(
    async () => {
      const done = await worker.counted("accepted");
      const now = performance.now();
      if (!t10 && done >= n * 0.1) t10 = now;
      if (!t90 && done >= n * 0.9) t90 = now;
      return done >= n;
    },
    `worker to commit ${n} events`,
    600_000,
  );
  return (0.8 * n) / ((t90 - t10) / 1000);
}

/** The source alone: pull and ack, no pipeline. */
async function sourceOnlyRate(config: IngestConfig, n: number): Promise<number> {
  const sql = config.source === "kinesis"
    ? postgres(db.url, { max: 2, onnotice: () => {} })
    : undefined;
  const source = createSource(config, { sql });
  await source.start();
  const ac = new AbortController();
  let seen = 0;
  let t0 = 0;
  const guard = setTimeout(() => ac.abort(), 300_000);
  while (seen < n && !ac.signal.aborted) {
    const lease = await source.pull(ac.signal);
    if (!lease) break;
    if (!t0) t0 = performance.now();
    seen += lease.messages.length;
    await lease.ack();
  }
  clearTimeout(guard);
  const rate = seen / ((performance.now() - t0) / 1000);
  await source.close();
  await sql?.end();
  return rate;
}

/** Kafka drains of the same events in batches of each codec; none first and last. */
async function kafkaCodecs() {
  const n = quick ? 20_000 : 150_000;
  const order = [...CODECS, ...[...CODECS].reverse()];
  const rates: { codec: string; rate: number }[] = [];
  for (const [i, codec] of order.entries()) {
    // The same shape of stream, new event ids (the pipeline would dedupe a replay of the same ones).
    const stream = makeStream(`${runId}c${i}`, { events: n, users: 10_000, asOfMs: Date.now() });
    const p = await prepare("kafka", `bench-${runId}-kafka-${codec}-${i}`, 4, codec);
    log(`kafka ${codec} (${i + 1}/${order.length}): producing ${n} events`);
    try {
      const produceRate = await produceAll(p.producer, stream.records, 5000);
      const worker = spawnWorker("kafka", p.env);
      let rate: number;
      try {
        rate = await drainRate(worker, stream.valid.size);
      } finally {
        await worker.stop();
      }
      log(
        `kafka ${codec}: produced at ${Math.round(produceRate)}/s, drained at ${
          Math.round(rate)
        }/s`,
      );
      rates.push({ codec, rate });
    } finally {
      await p.cleanup();
    }
  }
  const mean = (codec: string) => {
    const of = rates.filter((r) => r.codec === codec).map((r) => r.rate);
    return of.reduce((a, b) => a + b, 0) / of.length;
  };
  const none = CODECS.includes("none") ? mean("none") : 0;
  for (const codec of CODECS) {
    const rate = mean(codec);
    results.push({
      source: "kafka",
      compression: codec,
      events: n,
      worker_drain_per_s: rates.filter((r) => r.codec === codec).map((r) => Math.round(r.rate)),
      mean_drain_per_s: Math.round(rate),
      vs_uncompressed: none > 0 ? Number((rate / none).toFixed(3)) : null,
    });
    log(
      `kafka ${codec}: mean drain ${Math.round(rate)}/s${
        none ? `, ${(rate / none).toFixed(2)}× uncompressed` : ""
      }`,
    );
  }
}

async function throughput(source: Source) {
  const n = VOLUME[source];
  const name = `bench-${runId}-${source}-tp`;
  const p = await prepare(source, name, source === "kafka" ? 4 : 4);
  try {
    const stream = makeStream(`${runId}${source}`, {
      events: n,
      users: 10_000,
      asOfMs: Date.now(),
    });
    const produceRate = await produceAll(
      p.producer,
      stream.records,
      source === "kafka" ? 5000 : 500,
    );
    log(`${source}: produced ${n} events at ${Math.round(produceRate)}/s`);
    const worker = spawnWorker(source, p.env);
    let rate: number;
    try {
      rate = await drainRate(worker, n);
    } finally {
      await worker.stop();
    }
    const sample = [...stream.valid.values()].slice(-5).map((e) => e.user_id);
    const online = await redis.mget(sample.map((u) => redisKeys.online("user_transactions", 1, u)));
    const visible = online.filter((v) => v !== null).length;
    log(
      `${source}: worker drained at ${
        Math.round(rate)
      }/s (${visible}/5 sampled users visible in Redis)`,
    );
    let rawRate: number | undefined;
    if (source === "pubsub") {
      rawRate = await sourceOnlyRate(
        resolveIngestConfig({
          ...p.env,
          INGEST_SOURCE: source,
          PUBSUB_SUBSCRIPTION: `${name}-raw`,
        }),
        n,
      );
    } else {
      // A second copy of the stream for the source alone (own group / own leases).
      const q = await prepare(source, `${name}-raw`, 4);
      await produceAll(q.producer, stream.records, source === "kafka" ? 5000 : 500);
      rawRate = await sourceOnlyRate(resolveIngestConfig({ ...q.env, INGEST_SOURCE: source }), n);
      await q.cleanup();
    }
    log(`${source}: source alone (pull + ack, no pipeline) ${Math.round(rawRate)}/s`);
    results.push({
      source,
      events: n,
      produce_per_s: Math.round(produceRate),
      worker_drain_per_s: Math.round(rate),
      source_only_per_s: Math.round(rawRate),
      visible_in_redis: `${visible}/5`,
    });
  } finally {
    await p.cleanup();
  }
}

async function freshness(source: Source) {
  const name = `bench-${runId}-${source}-fr`;
  const p = await prepare(source, name, 2);
  const worker = spawnWorker(source, p.env);
  try {
    await waitFor(async () => (await worker.readyStatus()) === 200, "worker ready", 60_000);
    const total = FRESH_RATE * FRESH_SECONDS;
    const background = makeStream(`${runId}${source}f`, {
      events: total,
      users: 5000,
      asOfMs: Date.now() + 120_000,
    });
    const pending = new Map<string, number>();
    const latencies: number[] = [];
    let polling = true;
    let lastSent = Date.now();
    const poller = (async () => {
      while (polling || pending.size > 0) {
        const keys = [...pending.keys()];
        if (keys.length > 0) {
          const values = await redis.mget(keys);
          const now = Date.now();
          keys.forEach((k, i) => {
            if (values[i] !== null) {
              latencies.push(now - pending.get(k)!);
              pending.delete(k);
            }
          });
        }
        await new Promise((r) => setTimeout(r, 5));
        if (!polling && Date.now() - lastSent > 30_000) break; // the rest count as lost
      }
    })();
    const t0 = performance.now();
    const tick = 50; // ms: 100 events per tick at 2 000/s
    const perTick = (FRESH_RATE * tick) / 1000;
    let sent = 0;
    let probe = 0;
    while (sent < total) {
      const batch = background.records.slice(sent, sent + perTick);
      // One probe per tick: a user nobody else uses, so its key appears exactly when this event is online.
      const user = `probe-${runId}-${source}-${probe++}`;
      const ev = {
        event_id: `${user}-e`,
        user_id: user,
        amount: 1,
        timestamp: new Date().toISOString(),
      };
      batch[batch.length - 1] = { key: user, value: JSON.stringify(ev) };
      lastSent = Date.now();
      pending.set(redisKeys.online("user_transactions", 1, user), lastSent);
      await p.producer.send(batch);
      sent += batch.length;
      const due = t0 + (sent / FRESH_RATE) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const achieved = sent / ((performance.now() - t0) / 1000);
    polling = false;
    await poller;
    latencies.sort((a, b) => a - b);
    const pct = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    const row = {
      source,
      rate_per_s: Math.round(achieved),
      probes: latencies.length,
      lost_probes: pending.size,
      p50_ms: pct(0.5),
      p99_ms: pct(0.99),
      max_ms: latencies[latencies.length - 1],
    };
    log(
      `${source}: freshness at ${row.rate_per_s}/s: p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms (${row.probes} probes)`,
    );
    results.push(row);
  } finally {
    await worker.stop();
    await p.cleanup();
  }
}

try {
  for (const s of SOURCES) {
    if (s === "kafka" && CODECS.length > 0) await kafkaCodecs();
    if (flags["codecs-only"]) continue;
    await throughput(s);
    await freshness(s);
  }
} finally {
  console.log(JSON.stringify(results, null, 2));
  const stream = redis.scanStream({ match: `fv:user_transactions:v1:*${runId}*`, count: 1000 });
  for await (const keys of stream) {
    if ((keys as string[]).length) await redis.del(...(keys as string[]));
  }
  redis.disconnect();
  await db.drop();
}
// The Pub/Sub and Kafka client libraries can keep idle sockets and timers
// referenced after close; the benchmark is done, so it ends here.
Deno.exit(0);
