/**
 * Google's Pub/Sub emulator on 127.0.0.1 (port `ctx.ports.pubsub`, default
 * 58085; project `platform-local`),
 * started through its own `cloud-pubsub-emulator` launcher; the JVM it starts
 * is in the launcher's process group, so stopping the group stops it too.
 */
import { processService, type ServiceContext } from "./_service.ts";
import { aptInstall, exists, run, which } from "./_proc.ts";

/** The env vars tests get. */
export function pubsubEnv(ctx: ServiceContext): Record<string, string> {
  return {
    PUBSUB_EMULATOR_HOST: `127.0.0.1:${ctx.ports.pubsub}`,
    PUBSUB_PROJECT_ID: "platform-local",
  };
}

const LAUNCHER = "platform/pubsub-emulator/bin/cloud-pubsub-emulator";

async function launcher(): Promise<string | null> {
  for (const root of ["/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk"]) {
    if (await exists(`${root}/${LAUNCHER}`)) return `${root}/${LAUNCHER}`;
  }
  const res = await run(["gcloud", "info", "--format=value(installation.sdk_root)"]).catch(() =>
    null
  );
  const root = res?.code === 0 ? res.stdout.trim() : "";
  return root && (await exists(`${root}/${LAUNCHER}`)) ? `${root}/${LAUNCHER}` : null;
}

async function ready(ctx: ServiceContext): Promise<boolean> {
  const res = await fetch(`http://${pubsubEnv(ctx).PUBSUB_EMULATOR_HOST}/`, {
    signal: AbortSignal.timeout(1000),
  });
  const text = await res.text();
  return res.ok && text.trim() === "Ok";
}

/** The Pub/Sub emulator service. */
export const pubsubService = processService({
  name: "pubsub",
  env: pubsubEnv,
  readyTimeoutMs: 60_000,
  ready,
  async prepare(ctx) {
    if (!(await which("java"))) await aptInstall("pubsub", ["openjdk-17-jre-headless"]);
    let bin = await launcher();
    if (!bin) {
      await aptInstall("pubsub", ["google-cloud-cli-pubsub-emulator"]);
      bin = await launcher();
    }
    if (!bin) throw new Error("Cannot start pubsub: cloud-pubsub-emulator not found");
    return {
      cmd: [bin, "--host=127.0.0.1", `--port=${ctx.ports.pubsub}`],
      env: { JAVA_TOOL_OPTIONS: "-Xmx384m" },
    };
  },
});
