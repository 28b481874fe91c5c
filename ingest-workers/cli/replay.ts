/**
 * `deno task replay --file <jsonl> --to kafka|kinesis|pubsub|http
 * [--rate N/s] [--rebase-time] [--url http://host:port]
 * [--compression none|gzip|snappy|lz4|zstd]`: streams a JSONL file to a
 * broker (partition / shard key = user_id), printing progress. Kafka batches
 * are compressed with `--compression` (default `KAFKA_COMPRESSION`, none).
 * Connection settings come from env (`ingest-workers/config.ts`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { KAFKA_CODECS } from "../_compression.ts";
import { createProducer } from "../clients.ts";
import { resolveIngestConfig } from "../config.ts";
import { replayFile } from "../replay.ts";

const USAGE = "Usage: deno task replay --file <jsonl> --to kafka|kinesis|pubsub|http " +
  "[--rate N/s] [--rebase-time] [--url URL] [--compression none|gzip|snappy|lz4|zstd]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      file: { type: "string" },
      to: { type: "string" },
      rate: { type: "string" },
      "rebase-time": { type: "boolean", default: false },
      url: { type: "string" },
      batch: { type: "string" },
      compression: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const to = values.to;
  if (!values.file || !to || !["kafka", "kinesis", "pubsub", "http"].includes(to)) {
    console.error(USAGE);
    return 2;
  }
  const rate = values.rate ? Number(values.rate.replace(/\/s$/, "")) : undefined;
  if (rate !== undefined && !(rate > 0)) {
    console.error(`Invalid --rate '${values.rate}': use a positive number of events per second`);
    return 2;
  }
  const codec = values.compression;
  if (codec !== undefined && !(codec in KAFKA_CODECS)) {
    console.error(
      `Invalid --compression '${codec}': use ${Object.keys(KAFKA_CODECS).join(", ")}`,
    );
    return 2;
  }
  if (codec !== undefined && codec !== "none" && to !== "kafka") {
    console.error(`--compression applies to --to kafka only, not '${to}'`);
    return 2;
  }
  const config = resolveIngestConfig({
    ...Deno.env.toObject(),
    ...(codec ? { KAFKA_COMPRESSION: codec } : {}),
  });
  if (config.pubsub.emulatorHost) Deno.env.set("METADATA_SERVER_DETECTION", "none");
  const producer = createProducer(to as "kafka", config, values.url);
  const ac = new AbortController();
  Deno.addSignalListener("SIGINT", () => ac.abort());
  try {
    const final = await replayFile({
      file: values.file,
      producer,
      ratePerSec: rate,
      rebaseTime: values["rebase-time"],
      batchSize: values.batch ? Number(values.batch) : undefined,
      signal: ac.signal,
      onProgress: (p) =>
        console.error(
          `[replay] ${p.done ? "done" : "sent"} ${p.sent} events to ${to} in ${
            p.seconds.toFixed(1)
          } s (${Math.round(p.ratePerSec)}/s)`,
        ),
    });
    return final.sent > 0 ? 0 : 1;
  } finally {
    await producer.close();
  }
}

if (import.meta.main) {
  main().then((code) => Deno.exit(code)).catch((error) => {
    console.error(`[replay] ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  });
}
