/**
 * Apache Kafka 4 in KRaft mode (one combined broker + controller) on
 * 127.0.0.1 (`ctx.ports.kafka`, default 59092), controller on
 * `ctx.ports.kafkaController` (default 59093). Jars come from Maven
 * Central through `deploy/kafka/pom.xml` into `deploy/kafka/libs/` (cached
 * in `~/.m2`).
 */
import { processService, type ServiceContext } from "./_service.ts";
import { aptInstall, exists, runOk, which } from "./_proc.ts";
import { sha256Hex } from "../../pipeline/sha256.ts";

/** The env var tests get. */
export function kafkaEnv(ctx: ServiceContext): { KAFKA_BROKERS: string } {
  return { KAFKA_BROKERS: `127.0.0.1:${ctx.ports.kafka}` };
}

/**
 * Sends a Metadata (v0) request over raw TCP and checks the broker lists
 * itself: proves the broker serves requests without loading a client library.
 */
export async function kafkaMetadataOk(host: string, port: number): Promise<boolean> {
  const clientId = new TextEncoder().encode("services-ready");
  const body = new Uint8Array(4 + 2 + 2 + 4 + 2 + clientId.length + 4);
  const view = new DataView(body.buffer);
  view.setInt32(0, body.length - 4);
  view.setInt16(4, 3); // api_key Metadata
  view.setInt16(6, 0); // api_version 0
  view.setInt32(8, 7); // correlation_id
  view.setInt16(12, clientId.length);
  body.set(clientId, 14);
  view.setInt32(14 + clientId.length, 0); // no topics listed: all topics
  let conn: Deno.TcpConn | null = null;
  const timer = setTimeout(() => conn?.close(), 2000);
  try {
    conn = await Deno.connect({ hostname: host, port });
    await conn.write(body);
    const buf = new Uint8Array(65536);
    let got = 0;
    while (got < 12) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) return false;
      got += n;
    }
    const res = new DataView(buf.buffer);
    return res.getInt32(4) === 7 && res.getInt32(8) >= 1;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // Closed by the timer.
    }
  }
}

function ready(ctx: ServiceContext): Promise<boolean> {
  return kafkaMetadataOk("127.0.0.1", ctx.ports.kafka);
}

async function ensureLibs(ctx: ServiceContext): Promise<string> {
  const dir = `${ctx.root}/deploy/kafka`;
  const libs = `${dir}/libs`;
  const marker = `${libs}/.pom-sha256`;
  const pomHash = await sha256Hex(await Deno.readFile(`${dir}/pom.xml`));
  if ((await exists(marker)) && (await Deno.readTextFile(marker)).trim() === pomHash) return libs;
  await Deno.remove(libs, { recursive: true }).catch(() => {});
  // The JDK, not only the JRE: tests run the official Java client as single-file programs.
  if (!(await which("javac"))) await aptInstall("kafka", ["openjdk-17-jdk-headless"]);
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
  await Deno.writeTextFile(marker, `${pomHash}\n`);
  return libs;
}

function properties(ctx: ServiceContext, dataDir: string): string {
  const { kafka: PORT, kafkaController: CONTROLLER_PORT } = ctx.ports;
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
  env: kafkaEnv,
  readyTimeoutMs: 90_000,
  ready,
  async prepare(ctx) {
    const libs = await ensureLibs(ctx);
    const dir = `${ctx.stateDir}/kafka`;
    const dataDir = `${dir}/data`;
    const props = `${dir}/server.properties`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(props, properties(ctx, dataDir));
    const java = [
      "java",
      "-Xms128m",
      "-Xmx512m",
      "-XX:+UseSerialGC",
      `-Dlog4j2.configurationFile=${ctx.root}/deploy/kafka/log4j2.properties`,
      "-cp",
      `${libs}/*`,
    ];
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
