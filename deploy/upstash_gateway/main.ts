/**
 * `deno task gateway`: runs the Upstash-compatible REST gateway.
 *
 * @module
 */
import { resolveGatewayConfig, startGateway } from "./mod.ts";

if (import.meta.main) {
  let config;
  try {
    config = resolveGatewayConfig(Deno.env.toObject());
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    Deno.exit(1);
  }
  const gateway = startGateway(config, (addr) => {
    console.log(
      `Upstash gateway listening on http://${addr.hostname}:${addr.port} -> ${config.redisUrl}`,
    );
  });
  const stop = async () => {
    await gateway.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
