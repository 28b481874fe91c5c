/**
 * `deno task start`: the whole platform in one process on its embedded
 * default (PGlite, in-memory online cache, a folder registry). On first
 * start it loads the demo events and trains the demo model.
 *
 * @module
 */
import { resolveEmbeddedConfig } from "./config.ts";
import { openEmbedded } from "./server.ts";

const started = performance.now();
const config = resolveEmbeddedConfig();
const log = (line: string) => console.log(line);
const platform = await openEmbedded(config, Deno.env.toObject(), log);
const server = Deno.serve({
  hostname: config.host,
  port: config.port,
  onListen: ({ hostname, port }) => {
    const base = `http://${hostname}:${port}`;
    const ms = Math.round(performance.now() - started);
    log(`Ready in ${ms} ms on ${base} (data in ${config.dataDir})`);
    log(`Try:
  curl -s ${base}/health
  curl -s ${base}/predict -H 'content-type: application/json' \\
    -d '{"entity_id":"user_1","features":{"amount":950,"merchant_category":"electronics","payment_method":"credit_card"}}'
  curl -s ${base}/predict -H 'content-type: application/json' -d @pipeline/demo_data/requests/fraud_transaction.json
  curl -s ${base}/features/user/user_1/online
  open ${base}/docs      # interactive API reference (Swagger UI)
  open ${base}/console   # operator console`);
  },
}, platform.fetch);

const stop = async () => {
  await server.shutdown();
  await platform.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
