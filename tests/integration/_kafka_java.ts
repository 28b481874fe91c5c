/**
 * Produces records with the official Apache Kafka Java client
 * (`kafka_java/Producer.java`, run by Java 17 against the broker's own
 * `kafka-clients` jar in `deploy/kafka/libs/`), for tests that must see what
 * standard producers write: every compression codec, idempotent batches,
 * keys and headers.
 */
import type { ProducerRecord } from "../../ingest-workers/port.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Codecs of the Java producer (`compression.type`). */
export const JAVA_CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

/**
 * Sends `records` (UTF-8 text values) to `topic`; with several codecs, record
 * i goes through the producer of codec i mod n. Resolves once all are acked.
 */
export async function produceWithJava(
  brokers: string,
  topic: string,
  codecs: readonly string[],
  records: ProducerRecord[],
): Promise<void> {
  const child = new Deno.Command("java", {
    args: [
      "-cp",
      `${ROOT}deploy/kafka/libs/*`,
      `${ROOT}tests/integration/kafka_java/Producer.java`,
      brokers,
      topic,
      codecs.join(","),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = records.map((r) => {
    const value = typeof r.value === "string" ? r.value : new TextDecoder().decode(r.value);
    if (/[\t\n]/.test(r.key + value)) throw new Error(`Cannot send '${r.key}' as TSV`);
    return `${r.key}\t${value}\n`;
  });
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.join("")));
  await writer.close();
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success || !stdout.includes(`sent ${records.length}`)) {
    throw new Error(
      `Java producer failed (${out.code}): ${stdout}\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
}
