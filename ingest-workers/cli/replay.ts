/**
 * `deno task replay --file <jsonl> --to kafka|kinesis|pubsub|http
 * [--rate N/s] [--rebase-time] [--url http://host:port]
 * [--compression none|gzip|snappy|lz4|zstd]`: streams a JSONL file to a
 * broker (partition / shard / ordering key = user_id), with a progress bar on
 * a terminal and one summary line. Kafka batches are compressed with
 * `--compression` (default `KAFKA_COMPRESSION`, none). Connection settings
 * come from env (`ingest-workers/config.ts`).
 *
 * @module
 */
import { parseCommand, runCommand, UsageError } from "../../pipeline/cli/command.ts";
import { Progress } from "../../pipeline/cli/progress.ts";
import { KAFKA_CODECS } from "../_compression.ts";
import { createProducer } from "../clients.ts";
import { resolveIngestConfig } from "../config.ts";
import { replayFile } from "../replay.ts";

const USAGE =
  `Usage: deno task replay --file <jsonl> --to kafka|kinesis|pubsub|http [--rate N/s] [--rebase-time]
  [--url URL (http: the worker or platform, default http://INGEST_HOST:INGEST_PORT)] [--batch N]
  [--compression none|gzip|snappy|lz4|zstd (kafka only; default KAFKA_COMPRESSION)]
  Events are keyed by user_id: the Kafka key, the Kinesis partition key and the Pub/Sub
  ordering key, so one user's events stay in order.
Env: KAFKA_BROKERS, KAFKA_TOPIC, KINESIS_ENDPOINT, KINESIS_STREAM, PUBSUB_EMULATOR_HOST,
  PUBSUB_PROJECT_ID, PUBSUB_TOPIC, INGEST_API_KEYS (see ingest-workers/config.ts)`;

const TARGETS = ["kafka", "kinesis", "pubsub", "http"] as const;

async function main(): Promise<number> {
  const { values } = parseCommand(USAGE, Deno.args, {
    file: { type: "string" },
    to: { type: "string" },
    rate: { type: "string" },
    "rebase-time": { type: "boolean", default: false },
    url: { type: "string" },
    batch: { type: "string" },
    compression: { type: "string" },
  });
  const to = values.to as typeof TARGETS[number] | undefined;
  if (!values.file) throw new UsageError("Missing --file");
  if (!to || !TARGETS.includes(to)) {
    throw new UsageError(`--to must be one of ${TARGETS.join(", ")}`);
  }
  const rate = values.rate ? Number(values.rate.replace(/\/s$/, "")) : undefined;
  if (rate !== undefined && !(rate > 0)) {
    throw new UsageError(
      `Invalid --rate '${values.rate}': use a positive number of events per second`,
    );
  }
  const batch = values.batch === undefined ? undefined : Number(values.batch);
  if (batch !== undefined && !(Number.isInteger(batch) && batch > 0)) {
    throw new UsageError(`Invalid --batch '${values.batch}': use a positive integer`);
  }
  const codec = values.compression;
  if (codec !== undefined && !(codec in KAFKA_CODECS)) {
    throw new UsageError(
      `Invalid --compression '${codec}': use ${Object.keys(KAFKA_CODECS).join(", ")}`,
    );
  }
  if (codec !== undefined && codec !== "none" && to !== "kafka") {
    throw new UsageError(`--compression applies to --to kafka only, not '${to}'`);
  }
  const size = (await Deno.stat(values.file)).size;
  const config = resolveIngestConfig({
    ...Deno.env.toObject(),
    ...(codec ? { KAFKA_COMPRESSION: codec } : {}),
  });
  if (config.pubsub.emulatorHost) Deno.env.set("METADATA_SERVER_DETECTION", "none");
  const producer = createProducer(to, config, values.url);
  const ac = new AbortController();
  Deno.addSignalListener("SIGINT", () => ac.abort());
  const progress = new Progress({ label: `replay → ${to}`, unit: "events", total: size });
  try {
    const final = await replayFile({
      file: values.file,
      producer,
      ratePerSec: rate,
      rebaseTime: values["rebase-time"],
      batchSize: batch,
      signal: ac.signal,
      onProgress: (p) => progress.update(p.bytes, { count: p.sent }),
    });
    progress.stop();
    console.log(
      `replay: sent ${progress.summary()} to ${to}${ac.signal.aborted ? " (interrupted)" : ""}`,
    );
    return final.sent > 0 ? 0 : 1;
  } finally {
    progress.stop();
    await producer.close();
  }
}

if (import.meta.main) await runCommand(USAGE, main);
