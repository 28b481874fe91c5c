/**
 * `deno task replay --to kafka --compression <codec>` writes batches that
 * the official Java consumer reads back byte for byte, and that the broker
 * stores compressed (each codec's log segment is a fraction of the
 * uncompressed one).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createKafka } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { makeStream } from "../support/ingest.ts";
import { serviceEnv, SERVICES_ENV_FILE } from "../_services.ts";
import { JAVA_CODECS } from "./_kafka_java.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test({
  name:
    "replay --to kafka --compression: every codec readable by the Java consumer, stored compressed",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const env = await serviceEnv("kafka");
    const runId = `rp${crypto.randomUUID().slice(0, 8)}`;
    const stream = makeStream(runId, { events: 2000, users: 50, asOfMs: Date.now() });
    const lines = stream.records.map((r) => r.value as string);
    const file = await Deno.makeTempFile({ suffix: ".jsonl" });
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const admin = createKafka(resolveIngestConfig({ KAFKA_BROKERS: env.KAFKA_BROKERS })).admin();
    await admin.connect();
    const topics = JAVA_CODECS.map((codec) => `replay-${runId}-${codec}`);
    try {
      await admin.createTopics({
        topics: topics.map((topic) => ({ topic, numPartitions: 1 })),
        waitForLeaders: true,
      });
      for (const [i, codec] of JAVA_CODECS.entries()) {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            `${ROOT}ingest-workers/cli/replay.ts`,
            "--file",
            file,
            "--to",
            "kafka",
          ]
            .concat(["--compression", codec]),
          env: { KAFKA_BROKERS: env.KAFKA_BROKERS, KAFKA_TOPIC: topics[i] },
        }).output();
        assert.ok(out.success, `replay ${codec}: ${new TextDecoder().decode(out.stderr)}`);
      }
      const java = await new Deno.Command("java", {
        args: [
          "-cp",
          `${ROOT}deploy/kafka/libs/*`,
          `${ROOT}tests/integration/kafka_java/Consumer.java`,
        ]
          .concat([env.KAFKA_BROKERS, String(lines.length), ...topics]),
      }).output();
      const printed = new TextDecoder().decode(java.stdout);
      assert.ok(java.success, printed + new TextDecoder().decode(java.stderr));
      const sha = createHash("sha256").update(lines.join("\n")).digest("hex");
      for (const topic of topics) {
        assert.match(printed, new RegExp(`^${topic} ${lines.length} ${sha}$`, "m"), printed);
      }
      // The broker keeps batches as produced: compare the partitions' log segments on disk.
      const dataDir = SERVICES_ENV_FILE.replace(/env$/, "kafka/data");
      const sizes = await Promise.all(topics.map(async (topic) => {
        let total = 0;
        for await (const f of Deno.readDir(`${dataDir}/${topic}-0`)) {
          if (f.name.endsWith(".log")) {
            total += (await Deno.stat(`${dataDir}/${topic}-0/${f.name}`)).size;
          }
        }
        return total;
      }));
      for (const [i, codec] of JAVA_CODECS.entries()) {
        if (codec === "none") continue;
        assert.ok(
          sizes[i] < sizes[0] * 0.6,
          `${codec}: ${sizes[i]} bytes vs ${sizes[0]} uncompressed`,
        );
      }
    } finally {
      await admin.deleteTopics({ topics }).catch(() => {});
      await admin.disconnect();
      await Deno.remove(file);
    }
  },
});
