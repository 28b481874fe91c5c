/**
 * An edge server on a loopback port over a temporary registry holding the
 * demo-shaped test model, for the browser and fuzzing tests.
 *
 * @module
 */
import { Registry } from "prom-client";
import { createApp, createLogger, defaultEdgeConfig, RegistryModelSource } from "../../edge/mod.ts";
import { demoPackage } from "../support/edge.ts";
import { LocalRegistry } from "../../registry/mod.ts";

/** A running edge server. */
export interface EdgeServer {
  base: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the edge on 127.0.0.1 with an OS-chosen port. */
export async function startEdgeServer(): Promise<EdgeServer> {
  const root = await Deno.makeTempDir({ prefix: "edge-e2e-" });
  const registry = new LocalRegistry({ root });
  await registry.register(await demoPackage());
  await registry.setAlias("fraud_detector", "champion", "1");
  const app = createApp({
    config: defaultEdgeConfig({ logLevel: "error" }),
    models: new RegistryModelSource(registry),
    registry: new Registry(),
    logger: createLogger("error"),
  });
  await app.warmup();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await app.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}
