// The emulator has no metadata server; without this the auth library probes for one.
Deno.env.set("METADATA_SERVER_DETECTION", "none");

/**
 * `deno task streams:create` against real Kafka, Kinesis (kinesalite) and
 * the Pub/Sub emulator, and `replay --to pubsub` keeping one user's events
 * in order through ordering keys.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Message } from "@google-cloud/pubsub";
import { DeleteStreamCommand } from "@aws-sdk/client-kinesis";
import { createKafka, createKinesisClient, createPubSub } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { serviceEnv } from "../_services.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function task(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  return text;
}

Deno.test({
  name:
    "streams:create makes what a worker reads, once; replay --to pubsub keeps each user's order",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const services = await serviceEnv("kafka", "kinesis", "pubsub");
    const run = crypto.randomUUID().slice(0, 8);
    const env = {
      ...services,
      KAFKA_TOPIC: `streams-${run}`,
      KINESIS_STREAM: `streams-${run}`,
      PUBSUB_TOPIC: `streams-${run}`,
      PUBSUB_SUBSCRIPTION: `streams-${run}`,
    };
    const first = await task(["streams:create", "--shards", "1"], env);
    assert.match(first, /kafka: created: topic 'streams-/);
    assert.match(first, /kinesis: created: stream 'streams-/);
    assert.match(first, /pubsub: created: topic .* \(ordered\)/);
    const again = await task(["streams:create"], env);
    assert.equal(again.match(/already there/g)?.length, 3, again);

    // Three users' events interleaved; each user's amounts ascend in file order.
    const dir = await Deno.makeTempDir();
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      lines.push(JSON.stringify({
        event_id: `${run}-${i}`,
        user_id: `u${i % 3}`,
        amount: i,
        timestamp: new Date(Date.now() - 60_000).toISOString(),
      }));
    }
    await Deno.writeTextFile(`${dir}/e.jsonl`, lines.join("\n"));
    const sent = await task(["replay", "--file", `${dir}/e.jsonl`, "--to", "pubsub"], env);
    assert.match(sent, /replay: sent 300 events in .* to pubsub/);

    const pubsub = createPubSub(resolveIngestConfig(env));
    const sub = pubsub.subscription(env.PUBSUB_SUBSCRIPTION);
    const got = new Map<string, number[]>();
    let n = 0;
    const done = Promise.withResolvers<void>();
    sub.on("message", (m: Message) => {
      const e = JSON.parse(m.data.toString());
      assert.equal(m.orderingKey, e.user_id);
      got.set(e.user_id, [...(got.get(e.user_id) ?? []), e.amount]);
      m.ack();
      if (++n === 300) done.resolve();
    });
    const timer = setTimeout(() => done.reject(new Error(`only ${n} of 300 arrived`)), 60_000);
    try {
      await done.promise;
    } finally {
      clearTimeout(timer);
      await sub.close();
      await pubsub.topic(env.PUBSUB_TOPIC).delete().catch(() => {});
      await sub.delete().catch(() => {});
      await pubsub.close();
      await Deno.remove(dir, { recursive: true });
      const config = resolveIngestConfig(env);
      const admin = createKafka(config).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [env.KAFKA_TOPIC] }).catch(() => {});
      await admin.disconnect();
      const kinesis = createKinesisClient(config);
      await kinesis.send(new DeleteStreamCommand({ StreamName: env.KINESIS_STREAM })).catch(
        () => {},
      );
      kinesis.destroy();
    }
    for (const [user, amounts] of got) {
      assert.deepEqual(amounts, [...amounts].sort((a, b) => a - b), `${user} out of order`);
      assert.equal(amounts.length, 100);
    }
  },
});
