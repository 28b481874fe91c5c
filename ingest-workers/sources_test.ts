/**
 * The stream adapters against endpoints where nothing listens: each fails
 * fast with a retryable error (so the worker backs off and reports
 * degraded) instead of hanging. Real-broker behaviour is covered by the
 * contract suite in tests/contracts/.
 */
import assert from "node:assert/strict";
import { IngestRetryableError } from "./errors.ts";
import { createSource } from "./clients.ts";
import { resolveIngestConfig } from "./config.ts";
import type { ShardLeaseStore } from "./kinesis_leases.ts";
import { KinesisSource } from "./kinesis.ts";
import { createKinesisClient } from "./clients.ts";

function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Fails the test if `p` neither resolves nor rejects within `ms` (a hang, not a slow machine). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "KafkaSource.start() rejects with a retryable error when no broker answers",
  ...opts,
  fn: async () => {
    const config = resolveIngestConfig({
      INGEST_SOURCE: "kafka",
      KAFKA_BROKERS: `127.0.0.1:${closedPort()}`,
    });
    const source = createSource(config);
    await assert.rejects(within(source.start(), 60_000, "start()"), IngestRetryableError);
    await source.close();
  },
});

Deno.test({
  name: "PubSubSource.start() rejects with a retryable error when the emulator is down",
  ...opts,
  fn: async () => {
    Deno.env.set("METADATA_SERVER_DETECTION", "none");
    const config = resolveIngestConfig({
      INGEST_SOURCE: "pubsub",
      PUBSUB_EMULATOR_HOST: `127.0.0.1:${closedPort()}`,
    });
    const source = createSource(config);
    // The default gax retry would take ~75 s; the bounded options must give up well before 30 s.
    await assert.rejects(within(source.start(), 30_000, "start()"), IngestRetryableError);
    await source.close();
  },
});

class NullLeases implements ShardLeaseStore {
  migrate = () => Promise.resolve();
  sync = () => Promise.resolve();
  balance = () => Promise.resolve([]);
  checkpoint = () => Promise.resolve(true);
  finish = () => Promise.resolve(true);
  release = () => Promise.resolve();
  read = () => Promise.resolve(null);
}

Deno.test({
  name: "KinesisSource.start() rejects with a retryable error when Kinesis is down",
  ...opts,
  fn: async () => {
    const config = resolveIngestConfig({ KINESIS_ENDPOINT: `http://127.0.0.1:${closedPort()}` });
    const source = new KinesisSource({
      client: createKinesisClient(config),
      leases: new NullLeases(),
      stream: "s",
      owner: "me",
    });
    await assert.rejects(within(source.start(), 60_000, "start()"), IngestRetryableError);
    await source.close();
  },
});
