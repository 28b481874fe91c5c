/**
 * Apache Kafka 4 in KRaft mode (one combined broker + controller) on
 * 127.0.0.1:59092, controller on 127.0.0.1:59093. Jars come from Maven
 * Central through `deploy/kafka/pom.xml` into `deploy/kafka/libs/` (cached
 * in `~/.m2`).
 */
import { processService, type ServiceContext } from "./_service.ts";
import { aptInstall, exists, runOk, which } from "./_proc.ts";

const PORT = 59092;
const CONTROLLER_PORT = 59093;

/** The env var tests get. */
export const KAFKA_ENV = { KAFKA_BROKERS: `127.0.0.1:${PORT}` };

async function ready(): Promise<boolean> {
  const { Kafka, logLevel } = await import("kafkajs");
  const kafka = new Kafka({
    clientId: "services-ready",
    brokers: [KAFKA_ENV.KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function ensureLibs(ctx: ServiceContext): Promise<string> {
  const dir = `${ctx.root}/deploy/kafka`;
  const libs = `${dir}/libs`;
  const marker = `${libs}/.complete`;
  if (await exists(marker)) return libs;
  if (!(await which("java"))) await aptInstall("kafka", ["openjdk-17-jre-headless"]);
  if (!(await which("mvn"))) await aptInstall("kafka", ["maven"]);
  console.log("[services] kafka: resolving broker jars with mvn (cached in ~/.m2)");
  await runOk("resolve the Kafka jars", [
    "mvn",
    "-q",
    "-B",
    "-f",
    `${dir}/pom.xml`,
    "dependency:copy-dependencies",
    `-DoutputDirectory=${libs}`,
  ]);
  await Deno.writeTextFile(marker, "");
  return libs;
}

function properties(dataDir: string): string {
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${CONTROLLER_PORT}`,
    `listeners=PLAINTEXT://127.0.0.1:${PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${PORT}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    `log.dirs=${dataDir}`,
    "num.partitions=1",
    "auto.create.topics.enable=true",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=4",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
    "num.network.threads=2",
    "num.io.threads=4",
    "",
  ].join("\n");
}

function clusterId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The Kafka service. */
export const kafkaService = processService({
  name: "kafka",
  env: KAFKA_ENV,
  readyTimeoutMs: 90_000,
  ready,
  async prepare(ctx) {
    const libs = await ensureLibs(ctx);
    const dir = `${ctx.stateDir}/kafka`;
    const dataDir = `${dir}/data`;
    const props = `${dir}/server.properties`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(props, properties(dataDir));
    const java = ["java", "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-cp", `${libs}/*`];
    if (!(await exists(`${dataDir}/meta.properties`))) {
      await runOk("format the Kafka storage", [
        ...java,
        "kafka.tools.StorageTool",
        "format",
        "-t",
        clusterId(),
        "-c",
        props,
        "--ignore-formatted",
      ]);
    }
    return { cmd: [...java, "kafka.Kafka", props] };
  },
});
