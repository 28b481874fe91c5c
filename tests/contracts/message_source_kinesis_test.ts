import { CreateStreamCommand, DeleteStreamCommand } from "@aws-sdk/client-kinesis";
import postgres from "postgres";
import { createKinesisClient } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { KinesisSource } from "../../ingest-workers/kinesis.ts";
import { PostgresShardLeases } from "../../ingest-workers/kinesis_leases.ts";
import { KinesisProducer } from "../../ingest-workers/kinesis_producer.ts";
import { serviceEnv } from "../_services.ts";
import { messageSourceContract } from "./message_source_contract.ts";

messageSourceContract("KinesisSource", async () => {
  const env = await serviceEnv("kinesis", "postgres");
  const stream = `contract-${crypto.randomUUID().slice(0, 8)}`;
  const config = resolveIngestConfig({ ...env, KINESIS_STREAM: stream });
  const client = createKinesisClient(config);
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
  const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
  const producer = new KinesisProducer(client, stream);
  let n = 0;
  return {
    durable: true,
    source: () =>
      new KinesisSource({
        client,
        leases: new PostgresShardLeases(sql),
        stream,
        owner: `contract-${n++}`,
        leaseMs: 2000,
        pollMs: 50,
      }),
    publish: (payloads) => producer.send(payloads.map((value) => ({ key: `k${n++}`, value }))),
    cleanup: async () => {
      await client.send(new DeleteStreamCommand({ StreamName: stream })).catch(() => {});
      await sql`DELETE FROM ingest_kinesis_shards WHERE stream = ${stream}`.catch(() => {});
      await sql.end();
      client.destroy();
    },
  };
});
