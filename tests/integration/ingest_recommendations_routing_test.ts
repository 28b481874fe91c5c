// The emulator has no metadata server; without this the auth library probes for one.
Deno.env.set("METADATA_SERVER_DETECTION", "none");

/**
 * `deno task worker --example recommendations` delivers interactions by the
 * source's routing: over Kafka, Kinesis and Pub/Sub the worker is given
 * connection settings only, so it reads the topic, stream and subscription
 * the `interactions` source names (`pipeline/examples/recommendations/mod.ts`),
 * and over HTTP it answers `POST /ingest/interactions`. Each interaction
 * lands in the user, item and user × category views (the composite key's
 * category holds a `:`; features exact, online and offline); a sensor
 * reading sent the same way is a dead letter of `interactions` with the
 * reason. Runs tell their messages apart by a run id, as the sensors
 * routing test does.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { loadExample, openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";
import { entityIdOf } from "../../pipeline/features/mod.ts";
import { createProducer } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { kinesisLeaseKey } from "../../ingest-workers/kinesis.ts";
import type { ProducerRecord } from "../../ingest-workers/port.ts";
import { spawnWorker, waitFor } from "../support/ingest.ts";
import { serviceEnv, type ServiceName } from "../_services.ts";
import {
  assertFeaturesClose,
  referenceFeatures,
  type RefEvent,
} from "../support/window_reference.ts";
import { deadLettersWith, storedBySource } from "./_sensor_readings.ts";

const REPO = loadExample("recommendations");
const ROUTING = REPO.source("interactions")!.routing;
const opts = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../../", import.meta.url).pathname;
const HOUR = 3_600_000;

type StreamKind = "kafka" | "kinesis" | "pubsub";

/** Interactions of a run, their duplicates and one sensor reading among them. */
function makeStream(runId: string, asOfMs: number, n = 120) {
  const records: ProducerRecord[] = [];
  const events: RefEvent[] = [];
  const types = ["impression", "impression", "impression", "click", "purchase"];
  const reading = {
    event_id: `${runId}-reading`,
    device_id: `${runId}-device`,
    site_id: "site_01",
    timestamp: new Date(asOfMs - 90_000).toISOString(),
    temperature: 41.5,
  };
  for (let i = 0; i < n; i++) {
    // Most in the last 50 minutes; every tenth hours earlier, every thirteenth days earlier.
    const timeMs = i % 13 === 12
      ? asOfMs - 2 * 24 * HOUR - ((i * 7919) % (24 * HOUR))
      : i % 10 === 9
      ? asOfMs - 2 * HOUR - ((i * 7919) % HOUR)
      : asOfMs - 60_000 - ((i * 7919) % (50 * 60_000));
    const event: Record<string, unknown> = {
      event_id: `${runId}-e${i}`,
      user_id: `${runId}-u${i % 3}`,
      item_id: `${runId}-i${i % 4}`,
      item_category: i % 4 < 2 ? "books" : "home:garden",
      event_type: types[i % types.length],
      timestamp: new Date(timeMs).toISOString(),
    };
    if (i % 3 !== 0) event.price = 5 + (i % 40);
    events.push({ timeMs, event });
    const value = JSON.stringify(event);
    records.push({ key: String(event.user_id), value });
    if (i % 9 === 4) records.push({ key: String(event.user_id), value });
    if (i === Math.floor(n / 2)) {
      records.push({ key: reading.device_id, value: JSON.stringify(reading) });
    }
  }
  return { records, events };
}

async function openChecks(env: Record<string, string>) {
  const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
  const runtime = await openFeatureRuntime(
    resolveFeaturesConfig({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL }),
    { skipWarm: true, repository: REPO },
  );
  return {
    sql,
    runtime,
    close: async () => {
      await runtime.close();
      await sql.end();
    },
  };
}

/** Every user's, item's and user × category's features, online and offline, equal the reference. */
async function assertFeatures(
  runtime: Awaited<ReturnType<typeof openFeatureRuntime>>,
  events: RefEvent[],
  asOfMs: number,
): Promise<Record<string, number>> {
  const entities: Record<string, number> = {};
  for (const view of REPO.views) {
    const ids = [...new Set(events.map((e) => entityIdOf(view.keys, e.event)!))];
    entities[view.entity] = ids.length;
    for (const id of ids) {
      const want = referenceFeatures(
        view,
        events.filter((e) => entityIdOf(view.keys, e.event) === id),
        asOfMs,
      );
      const online = await runtime.pipeline.getOnlineFeatures(view.entity, id, asOfMs);
      const offline = await runtime.pipeline.getOfflineFeatures(view.entity, id, asOfMs);
      assertFeaturesClose(online.features, want, `${view.entity} ${id} in Redis:`);
      assertFeaturesClose(offline.features, want, `${view.entity} ${id} in Postgres:`);
    }
  }
  return entities;
}

function assertReadingDeadLetter(
  dead: { source: string | null; reason: string; meta: Record<string, string> }[],
  from: string,
) {
  assert.equal(dead.length, 1, JSON.stringify(dead));
  assert.equal(dead[0].source, "interactions");
  assert.equal(dead[0].meta.source, from);
  for (const field of ["user_id", "item_id", "event_type", "device_id"]) {
    assert.match(dead[0].reason, new RegExp(field), `the reason names ${field}`);
  }
  return dead[0].meta;
}

const CONNECTION: Record<StreamKind, string[]> = {
  kafka: ["KAFKA_BROKERS"],
  kinesis: ["KINESIS_ENDPOINT", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
  pubsub: ["PUBSUB_EMULATOR_HOST", "PUBSUB_PROJECT_ID"],
};

async function createRouted(kind: StreamKind, connection: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "-q",
      "streams:create",
      kind,
      "--example",
      "recommendations",
      "--partitions",
      "2",
    ],
    cwd: ROOT,
    env: { ...connection, METADATA_SERVER_DETECTION: "none" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  const routed = kind === "kafka"
    ? `topic '${ROUTING.kafkaTopic}'`
    : kind === "kinesis"
    ? `stream '${ROUTING.kinesisStream}'`
    : `topic '${ROUTING.pubsubTopic}' and subscription '${ROUTING.pubsubSubscription}'`;
  assert.match(text, new RegExp(`${kind}: (created|already there): ${routed}`), text);
}

const EXPECTED_ENTITIES = { user: 3, item: 4, user_category: 6 };

for (const kind of ["kafka", "kinesis", "pubsub"] as const) {
  Deno.test({
    name: `${kind} worker --example recommendations: interactions by the source's routing into ` +
      "the user, item and user_category views; a sensor reading is a dead letter with the reason",
    ...opts,
    fn: async () => {
      const services: ServiceName[] = [kind, "postgres", "redis"];
      const env = await serviceEnv(...services);
      const connection = Object.fromEntries(CONNECTION[kind].map((k) => [k, env[k]]));
      await createRouted(kind, connection);
      const config = resolveIngestConfig(connection, ROUTING);
      const runId = `rr${kind[0]}${crypto.randomUUID().slice(0, 8)}`;
      const asOf = Date.now();
      const stream = makeStream(runId, asOf);
      const checks = await openChecks(env);
      const application = `routing-${runId}`;
      const worker = spawnWorker(kind, {
        DATABASE_URL: env.DATABASE_URL,
        REDIS_URL: env.REDIS_URL,
        KINESIS_POLL_MS: "50",
        KINESIS_LEASE_MS: "3000",
        KINESIS_APPLICATION: application,
        ...connection,
      }, ["--example", "recommendations"]);
      try {
        const producer = createProducer(kind, config);
        try {
          await producer.send(stream.records);
        } finally {
          await producer.close();
        }
        await waitFor(
          async () =>
            (await storedBySource(checks.sql, runId)).interactions === stream.events.length &&
            (await deadLettersWith(checks.sql, runId)).length > 0,
          `every interaction of ${kind} in Postgres and the reading dead-lettered`,
          120_000,
        );
        await waitFor(
          async () => (await worker.counted("accepted")) >= stream.events.length,
          "the worker's counters",
        );
        assert.deepEqual(await storedBySource(checks.sql, runId), {
          interactions: stream.events.length,
        });
        const meta = assertReadingDeadLetter(await deadLettersWith(checks.sql, runId), kind);
        if (kind === "kafka") assert.equal(meta.topic, ROUTING.kafkaTopic);
        if (kind === "kinesis") assert.equal(meta.stream, ROUTING.kinesisStream);
        assert.deepEqual(
          await assertFeatures(checks.runtime, stream.events, asOf),
          EXPECTED_ENTITIES,
        );
      } finally {
        assert.equal(await worker.stop(), 0, `worker exits cleanly on SIGTERM:\n${worker.logs()}`);
        const leases = kinesisLeaseKey(application, config.kinesis.stream);
        await checks.sql`DELETE FROM ingest_kinesis_shards WHERE stream = ${leases}`;
        await checks.close();
      }
    },
  });
}

Deno.test({
  name: "http worker --example recommendations: POST /ingest/interactions into the user, item " +
    "and user_category views; a sensor reading is a dead letter with the reason",
  ...opts,
  fn: async () => {
    const env = await serviceEnv("postgres", "redis");
    const runId = `rrh${crypto.randomUUID().slice(0, 8)}`;
    const asOf = Date.now();
    const stream = makeStream(runId, asOf);
    const checks = await openChecks(env);
    const worker = spawnWorker(
      "http",
      { DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL },
      ["--example", "recommendations"],
    );
    try {
      await waitFor(async () => (await worker.readyStatus()) === 200, "worker ready");
      const base = `http://127.0.0.1:${worker.port}/ingest`;
      const body = stream.records.map((r) => r.value).join("\n");
      const headers = { "content-type": "application/x-ndjson" };
      const res = await fetch(`${base}/interactions`, { method: "POST", body, headers });
      const answer = await res.json();
      assert.equal(res.status, 202, JSON.stringify(answer));
      assert.equal(answer.accepted, stream.events.length);
      assert.equal(answer.rejected, 1);
      assert.deepEqual(await storedBySource(checks.sql, runId), {
        interactions: stream.events.length,
      });
      assertReadingDeadLetter(await deadLettersWith(checks.sql, runId), "http");
      assert.deepEqual(
        await assertFeatures(checks.runtime, stream.events, asOf),
        EXPECTED_ENTITIES,
      );
    } finally {
      assert.equal(await worker.stop(), 0, `worker exits cleanly on SIGTERM:\n${worker.logs()}`);
      await checks.close();
    }
  },
});
