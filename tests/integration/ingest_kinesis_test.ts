/**
 * End to end with real Kinesis (kinesalite), Postgres and Redis: the shared
 * source scenarios (exact features and dead letters, kill -9 and restart
 * with checkpoints and leases in Postgres, two workers splitting the shards
 * and the survivor taking over).
 */
import postgres from "postgres";
import { CreateStreamCommand, DeleteStreamCommand } from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { KinesisProducer } from "../../ingest-workers/kinesis_producer.ts";
import { defineSourceScenarios } from "./_ingest_scenarios.ts";

defineSourceScenarios({
  source: "kinesis",
  service: "kinesis",
  prefix: "s",
  async create(env, runId, shards) {
    const workerEnv = {
      KINESIS_ENDPOINT: env.KINESIS_ENDPOINT,
      AWS_REGION: env.AWS_REGION,
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
      KINESIS_STREAM: `ingest-${runId}`,
      KINESIS_LEASE_MS: "3000",
      KINESIS_POLL_MS: "50",
    };
    const client = createKinesisClient(resolveIngestConfig(workerEnv));
    await client.send(
      new CreateStreamCommand({ StreamName: workerEnv.KINESIS_STREAM, ShardCount: shards }),
    );
    const producer = new KinesisProducer(client, workerEnv.KINESIS_STREAM);
    return {
      workerEnv,
      send: (records) => producer.send(records),
      async cleanup() {
        const stream = workerEnv.KINESIS_STREAM;
        await client.send(new DeleteStreamCommand({ StreamName: stream })).catch(() => {});
        const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
        await sql`DELETE FROM ingest_kinesis_shards WHERE stream = ${stream}`.catch(() => {});
        await sql.end();
        client.destroy();
      },
    };
  },
});
