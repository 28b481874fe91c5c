/**
 * `deno task gateway`: runs the Upstash-compatible REST gateway.
 *
 * @module
 */
import { redactText, redactUrl } from "../../schemas/redact.ts";
import { parseCommandOrExit } from "../../pipeline/cli/command.ts";
import { resolveGatewayConfig, startGateway } from "./mod.ts";

const USAGE = `Usage: deno task gateway
  The Upstash-compatible REST gateway in front of a Redis.
Env: UPSTASH_GATEWAY_TOKEN (required), REDIS_URL, UPSTASH_GATEWAY_PORT, UPSTASH_GATEWAY_HOST
  (see deploy/upstash_gateway/config.ts)`;

if (import.meta.main) {
  parseCommandOrExit(USAGE, Deno.args, {});
  let config;
  try {
    config = resolveGatewayConfig(Deno.env.toObject());
  } catch (e) {
    console.error(redactText(e instanceof Error ? e.message : String(e)));
    Deno.exit(1);
  }
  let gateway: ReturnType<typeof startGateway>;
  try {
    gateway = startGateway(config, (addr) => {
      const roles = Object.keys(config.tokens).join(", ");
      console.log(
        `Upstash gateway listening on http://${addr.hostname}:${addr.port} -> ${
          redactUrl(config.redisUrl)
        } (roles: ${roles}${config.allowQueryToken ? "; ?_token= accepted" : ""})`,
      );
    });
  } catch (e) {
    console.error(
      `error: Cannot listen on ${config.host}:${config.port}: ${
        e instanceof Deno.errors.AddrInUse
          ? "the port is in use; set UPSTASH_GATEWAY_PORT"
          : (e as Error).message
      }`,
    );
    Deno.exit(1);
  }
  const stop = async () => {
    await gateway.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
