/**
 * Kinesis: kinesalite (in memory) on 127.0.0.1 (port `ctx.ports.kinesis`,
 * default 54567), started by `kinesalite_main.ts` so it binds the loopback
 * address only.
 */
import { processService, type ServiceContext } from "./_service.ts";

/** The env vars tests get (region and static dummy credentials included). */
export function kinesisEnv(ctx: ServiceContext): Record<string, string> {
  return {
    KINESIS_ENDPOINT: `http://127.0.0.1:${ctx.ports.kinesis}`,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
  };
}

async function ready(ctx: ServiceContext): Promise<boolean> {
  const { KinesisClient, ListStreamsCommand } = await import("@aws-sdk/client-kinesis");
  const { NodeHttpHandler } = await import("@smithy/node-http-handler");
  const env = kinesisEnv(ctx);
  const client = new KinesisClient({
    endpoint: env.KINESIS_ENDPOINT,
    region: env.AWS_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 2000 }),
    maxAttempts: 1,
  });
  try {
    const out = await client.send(new ListStreamsCommand({}));
    return Array.isArray(out.StreamNames);
  } finally {
    client.destroy();
  }
}

/** The Kinesis service. */
export const kinesisService = processService({
  name: "kinesis",
  env: kinesisEnv,
  readyTimeoutMs: 30_000,
  ready,
  prepare(ctx) {
    return Promise.resolve({
      cmd: [ctx.denoPath, "run", "-A", `${ctx.root}/deploy/services/kinesalite_main.ts`],
      env: { KINESALITE_PORT: String(ctx.ports.kinesis), KINESALITE_HOST: "127.0.0.1" },
    });
  },
});
