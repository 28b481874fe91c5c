/**
 * Shared set-up of the edge's unit tests: a temporary `LocalRegistry` with
 * the demo-shaped test model as champion, and an app over it.
 *
 * @module
 */
import { Registry } from "prom-client";
import { LocalRegistry } from "../../registry/mod.ts";
import { createApp, type EdgeApp, type EdgeDeps } from "../../edge/app.ts";
import { defaultEdgeConfig, type EdgeConfig } from "../../edge/config.ts";
import { createLogger } from "../../edge/log.ts";
import { RegistryModelSource } from "../../edge/models/mod.ts";
import { demoPackage } from "./edge.ts";

/** A temporary registry with `fraud_detector` version 1 as champion. */
export async function tempRegistry(): Promise<{ registry: LocalRegistry; root: string }> {
  const root = await Deno.makeTempDir({ prefix: "edge-test-" });
  const registry = new LocalRegistry({ root });
  const m = await registry.register(await demoPackage());
  await registry.setAlias("fraud_detector", "champion", m.version);
  return { registry, root };
}

/** Log lines captured by {@linkcode testApp}. */
export type LogLines = Record<string, unknown>[];

/** Builds a warmed app over a temporary registry. */
export async function testApp(
  config: Partial<EdgeConfig> = {},
  deps: Partial<EdgeDeps> = {},
  options: { registry?: LocalRegistry; warm?: boolean } = {},
): Promise<
  { app: EdgeApp; registry: LocalRegistry; logs: LogLines; [Symbol.asyncDispose](): Promise<void> }
> {
  const registry = options.registry ?? (await tempRegistry()).registry;
  const logs: LogLines = [];
  const cfg = defaultEdgeConfig({ predictionCacheTtlMs: 0, pointerPollMs: 100, ...config });
  const app = createApp({
    config: cfg,
    models: new RegistryModelSource(registry, { traffic: cfg.traffic }),
    registry: new Registry(),
    logger: createLogger("debug", (l) => logs.push(JSON.parse(l))),
    ...deps,
  });
  if (options.warm !== false) await app.warmup();
  return {
    app,
    registry,
    logs,
    async [Symbol.asyncDispose]() {
      await app.close();
      await Deno.remove(registry.root, { recursive: true }).catch(() => {});
    },
  };
}
