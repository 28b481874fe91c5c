/**
 * Two consumer applications on one Kinesis stream (kinesalite) with leases
 * in Postgres: each application reads every record with leases and
 * checkpoints of its own, instead of the two splitting the shards.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { CreateStreamCommand, DeleteStreamCommand } from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { kinesisLeaseKey, KinesisSource } from "../../ingest-workers/kinesis.ts";
import { PostgresShardLeases } from "../../ingest-workers/kinesis_leases.ts";
import { KinesisProducer } from "../../ingest-workers/kinesis_producer.ts";
import { serviceEnv } from "../_services.ts";

/** Pulls and acks until `n` messages arrived (or 30 s passed); returns their payloads. */
async function drain(source: KinesisSource, n: number): Promise<string[]> {
  const got: string[] = [];
  const deadline = Date.now() + 30_000;
  while (got.length < n && Date.now() < deadline) {
    const lease = await source.pull(AbortSignal.timeout(1000));
    if (!lease) continue;
    for (const m of lease.messages) got.push(new TextDecoder().decode(m.payload));
    await lease.ack();
  }
  return got.sort();
}

Deno.test("kinesis: two applications on one stream each read every record", async () => {
  const env = await serviceEnv("kinesis", "postgres");
  const stream = `apps-${crypto.randomUUID().slice(0, 8)}`;
  const client = createKinesisClient(resolveIngestConfig({ ...env, KINESIS_STREAM: stream }));
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
  const sql = postgres(env.DATABASE_URL, { max: 4, onnotice: () => {} });
  const make = (application: string) =>
    new KinesisSource({
      client,
      leases: new PostgresShardLeases(sql),
      stream,
      application,
      owner: `${application}-worker`,
      leaseMs: 2000,
      pollMs: 50,
    });
  const fraud = make("fraud");
  const audit = make("audit");
  try {
    await fraud.start();
    await audit.start();
    const sent = Array.from({ length: 20 }, (_, i) => `{"n":${i}}`);
    await new KinesisProducer(client, stream).send(
      sent.map((v, i) => ({ key: `k${i}`, value: new TextEncoder().encode(v) })),
    );
    assert.deepEqual(await drain(fraud, 20), [...sent].sort());
    assert.deepEqual(await drain(audit, 20), [...sent].sort());
    assert.deepEqual(fraud.ownedShards, audit.ownedShards); // both hold both shards
    assert.equal(fraud.ownedShards.length, 2);
    const rows = await sql<{ stream: string }[]>`
      SELECT DISTINCT stream FROM ingest_kinesis_shards
      WHERE stream IN (${kinesisLeaseKey("fraud", stream)}, ${kinesisLeaseKey("audit", stream)})
      ORDER BY stream`;
    assert.deepEqual(rows.map((r) => r.stream), [`audit/${stream}`, `fraud/${stream}`]);
  } finally {
    await fraud.close();
    await audit.close();
    await client.send(new DeleteStreamCommand({ StreamName: stream })).catch(() => {});
    await sql`DELETE FROM ingest_kinesis_shards WHERE stream LIKE ${"%/" + stream}`;
    await sql.end();
    client.destroy();
  }
});
