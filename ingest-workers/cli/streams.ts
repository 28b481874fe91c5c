/**
 * `deno task streams:create [kafka|kinesis|pubsub]...`: creates the Kafka
 * topic, the Kinesis stream and the Pub/Sub topic and subscription that
 * `deno task worker` reads (names from env, as the worker resolves them),
 * each only when missing.
 *
 * @module
 */
import { parseCommand, runCommand, UsageError } from "../../pipeline/cli/command.ts";
import { resolveIngestConfig } from "../config.ts";
import { ensureStreams, type StreamKind } from "../streams.ts";

const USAGE =
  `Usage: deno task streams:create [kafka|kinesis|pubsub]... [--partitions N] [--shards N]
  Creates what the workers read, when missing (default all three):
  kafka    KAFKA_TOPIC on KAFKA_BROKERS (--partitions, default 3)
  kinesis  KINESIS_STREAM at KINESIS_ENDPOINT (--shards, default 2), waits until ACTIVE
  pubsub   PUBSUB_TOPIC and PUBSUB_SUBSCRIPTION (message ordering on) in PUBSUB_PROJECT_ID
  With local services: set -a; . .services/env; set +a; deno task streams:create`;

const KINDS: readonly StreamKind[] = ["kafka", "kinesis", "pubsub"];

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    const { values, positionals } = parseCommand(USAGE, Deno.args, {
      partitions: { type: "string" },
      shards: { type: "string" },
    }, { positionals: true });
    const unknown = positionals.filter((p) => !(KINDS as readonly string[]).includes(p));
    if (unknown.length > 0) throw new UsageError(`Unknown stream kind '${unknown.join("', '")}'`);
    const count = (flag: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) {
        throw new UsageError(`--${flag} must be a positive integer`);
      }
      return n;
    };
    const config = resolveIngestConfig(Deno.env.toObject());
    if (config.pubsub.emulatorHost) Deno.env.set("METADATA_SERVER_DETECTION", "none");
    const kinds = positionals.length > 0 ? positionals as StreamKind[] : [...KINDS];
    const out = await ensureStreams(config, kinds, {
      kafkaPartitions: count("partitions", values.partitions),
      kinesisShards: count("shards", values.shards),
    });
    for (const kind of kinds) {
      const o = out[kind]!;
      console.log(`${kind}: ${o.state === "created" ? "created" : "already there"}: ${o.what}`);
    }
  });
}
