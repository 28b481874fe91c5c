/**
 * Runs kinesalite bound to one address (env `KINESALITE_HOST`, default
 * 127.0.0.1; `KINESALITE_PORT`, default 54567), in memory, with streams that
 * become ACTIVE at once so tests do not wait.
 */
import kinesalite from "kinesalite";

const host = Deno.env.get("KINESALITE_HOST") ?? "127.0.0.1";
const port = Number(Deno.env.get("KINESALITE_PORT") ?? "54567");

const server = kinesalite({
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  shardLimit: 100,
});
server.listen(port, host, () => {
  console.log(`kinesalite listening on http://${host}:${port}`);
});
