// The emulator has no metadata server; without this the auth library probes for one.
Deno.env.set("METADATA_SERVER_DETECTION", "none");

/**
 * `deno task worker --example sensors` delivers readings by the source's
 * routing: over Kafka, Kinesis and Pub/Sub the worker is given connection
 * settings only, so it reads the topic, stream and subscription the
 * `sensor_readings` source names (`pipeline/examples/sensors/mod.ts`), and
 * over HTTP it answers `POST /ingest/sensor_readings`. Each reading lands in
 * the device view and the site view (features exact, online and offline);
 * a transaction of the fraud source sent the same way is a dead letter of
 * `sensor_readings` with the reason.
 *
 * The routed names are fixed, so runs share them: a run creates what is
 * missing (`deno task streams:create <kind> --example sensors`) and tells
 * its messages apart by a run id; an older reading read again is only a
 * duplicate.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { loadExample, openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";
import { createProducer } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { kinesisLeaseKey } from "../../ingest-workers/kinesis.ts";
import { spawnWorker, waitFor } from "../support/ingest.ts";
import { serviceEnv, type ServiceName } from "../_services.ts";
import {
  assertSensorFeatures,
  deadLettersWith,
  makeSensorStream,
  type SensorStream,
  storedBySource,
} from "./_sensor_readings.ts";

const SENSORS = loadExample("sensors");
const ROUTING = SENSORS.source("sensor_readings")!.routing;
const opts = { sanitizeOps: false, sanitizeResources: false };

type StreamKind = "kafka" | "kinesis" | "pubsub";

const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * `deno task streams:create <kind> --example sensors`: what the worker reads,
 * by the same routing, created when missing.
 */
async function createRouted(kind: StreamKind, connection: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "streams:create", kind, "--example", "sensors", "--partitions", "2"],
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

/** Connection settings of `kind` (no stream names: the worker takes the routed ones). */
const CONNECTION: Record<StreamKind, string[]> = {
  kafka: ["KAFKA_BROKERS"],
  kinesis: ["KINESIS_ENDPOINT", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
  pubsub: ["PUBSUB_EMULATOR_HOST", "PUBSUB_PROJECT_ID"],
};

/** Postgres, the pipeline over the sensors repository, and cleanup. */
async function openChecks(env: Record<string, string>) {
  const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
  const runtime = await openFeatureRuntime(
    resolveFeaturesConfig({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL }),
    { skipWarm: true, repository: SENSORS },
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

/** The fraud transaction's dead letter: of `sensor_readings`, naming why it is no reading. */
function assertTransactionDeadLetter(
  dead: { source: string | null; reason: string; meta: Record<string, string> }[],
  from: string,
): Record<string, string> {
  assert.equal(dead.length, 1, JSON.stringify(dead));
  assert.equal(dead[0].source, "sensor_readings");
  assert.equal(dead[0].meta.source, from);
  for (const field of ["device_id", "site_id", "user_id", "amount"]) {
    assert.match(dead[0].reason, new RegExp(field), `the reason names ${field}`);
  }
  return dead[0].meta;
}

/** The stream is a valid transaction of the fraud example, and nothing else. */
function assertIsTransaction(stream: SensorStream): void {
  const fraud = loadExample("fraud").validator("transactions");
  assert.ok(!("reason" in fraud.validate(stream.transaction, Date.now())));
}

async function streamScenario(kind: StreamKind): Promise<void> {
  const services: ServiceName[] = [kind, "postgres", "redis"];
  const env = await serviceEnv(...services);
  const connection = Object.fromEntries(CONNECTION[kind].map((k) => [k, env[k]]));
  await createRouted(kind, connection);
  const config = resolveIngestConfig(connection, ROUTING);
  const runId = `sr${kind[0]}${crypto.randomUUID().slice(0, 8)}`;
  const asOf = Date.now();
  const stream = makeSensorStream(runId, asOf);
  assertIsTransaction(stream);
  const checks = await openChecks(env);
  // Leases and checkpoints of its own: those of the default application may name a stream
  // of the same name that kinesalite lost when it restarted.
  const application = `routing-${runId}`;
  const worker = spawnWorker(kind, {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    KINESIS_POLL_MS: "50",
    KINESIS_LEASE_MS: "3000",
    KINESIS_APPLICATION: application,
    ...connection,
  }, ["--example", "sensors"]);
  try {
    const producer = createProducer(kind, config);
    try {
      await producer.send(stream.records);
    } finally {
      await producer.close();
    }
    await waitFor(
      async () =>
        (await storedBySource(checks.sql, runId)).sensor_readings === stream.readings.length &&
        (await deadLettersWith(checks.sql, runId)).length > 0,
      `every reading of ${kind} in Postgres and the transaction dead-lettered`,
      120_000,
    );
    // Its counters may also hold older runs' messages this consumer had not read yet.
    await waitFor(
      async () => (await worker.counted("accepted")) >= stream.readings.length,
      "the worker's counters",
    );
    assert.deepEqual(await storedBySource(checks.sql, runId), {
      sensor_readings: stream.readings.length,
    });
    const meta = assertTransactionDeadLetter(await deadLettersWith(checks.sql, runId), kind);
    if (kind === "kafka") assert.equal(meta.topic, ROUTING.kafkaTopic);
    if (kind === "kinesis") assert.equal(meta.stream, ROUTING.kinesisStream);
    const compared = await assertSensorFeatures(checks.runtime.pipeline, SENSORS, stream, asOf);
    assert.equal(compared, 3 * 9 + 2 * 3);
  } finally {
    assert.equal(await worker.stop(), 0, `worker exits cleanly on SIGTERM:\n${worker.logs()}`);
    const leases = kinesisLeaseKey(application, config.kinesis.stream);
    await checks.sql`DELETE FROM ingest_kinesis_shards WHERE stream = ${leases}`;
    await checks.close();
  }
}

for (const kind of ["kafka", "kinesis", "pubsub"] as const) {
  Deno.test({
    name: `${kind} worker --example sensors: readings by the source's routing into the device ` +
      "and site views; a fraud transaction is a dead letter with the reason",
    ...opts,
    fn: () => streamScenario(kind),
  });
}

Deno.test({
  name: "http worker --example sensors: POST /ingest/sensor_readings into the device and site " +
    "views; a fraud transaction is a dead letter with the reason; /ingest/events is not routed",
  ...opts,
  fn: async () => {
    const env = await serviceEnv("postgres", "redis");
    const runId = `srh${crypto.randomUUID().slice(0, 8)}`;
    const asOf = Date.now();
    const stream = makeSensorStream(runId, asOf);
    assertIsTransaction(stream);
    const checks = await openChecks(env);
    const worker = spawnWorker(
      "http",
      { DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL },
      ["--example", "sensors"],
    );
    try {
      await waitFor(async () => (await worker.readyStatus()) === 200, "worker ready");
      const base = `http://127.0.0.1:${worker.port}/ingest`;
      const body = stream.records.map((r) => r.value).join("\n");
      const headers = { "content-type": "application/x-ndjson" };
      const fraudPath = await fetch(`${base}/events`, { method: "POST", body, headers });
      assert.equal(fraudPath.status, 404);
      assert.match((await fraudPath.json()).error.message, /\/ingest\/events/);
      const res = await fetch(`${base}/sensor_readings`, { method: "POST", body, headers });
      assert.equal(res.status, 202);
      const out = await res.json();
      assert.equal(out.accepted, stream.readings.length);
      assert.equal(out.duplicate, stream.duplicates);
      assert.equal(out.rejected, 1);
      const dead = await deadLettersWith(checks.sql, runId);
      assertTransactionDeadLetter(dead, "http");
      assert.equal(out.rejections[0].reason, dead[0].reason);
      assert.deepEqual(await storedBySource(checks.sql, runId), {
        sensor_readings: stream.readings.length,
      });
      const compared = await assertSensorFeatures(checks.runtime.pipeline, SENSORS, stream, asOf);
      assert.equal(compared, 3 * 9 + 2 * 3);
    } finally {
      assert.equal(await worker.stop(), 0, worker.logs());
      await checks.close();
    }
  },
});
