/**
 * `deno task gateway`: runs the Upstash-compatible REST gateway.
 *
 * @module
 */
import { redactText, redactUrl } from "../../schemas/redact.ts";
import { resolveGatewayConfig, startGateway } from "./mod.ts";

if (import.meta.main) {
  let config;
  try {
    config = resolveGatewayConfig(Deno.env.toObject());
  } catch (e) {
    console.error(redactText(e instanceof Error ? e.message : String(e)));
    Deno.exit(1);
  }
  const gateway = startGateway(config, (addr) => {
    const roles = Object.keys(config.tokens).join(", ");
    console.log(
      `Upstash gateway listening on http://${addr.hostname}:${addr.port} -> ${
        redactUrl(config.redisUrl)
      } (roles: ${roles}${config.allowQueryToken ? "; ?_token= accepted" : ""})`,
    );
  });
  const stop = async () => {
    await gateway.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
