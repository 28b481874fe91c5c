/**
 * Runs kinesalite bound to one address (env `KINESALITE_HOST`, default
 * 127.0.0.1; `KINESALITE_PORT`, default 54567), in memory, with streams that
 * become ACTIVE at once so tests do not wait.
 *
 * A client that drops a request mid-body makes Node's HTTP server emit
 * `error` on the request; kinesalite has no listener for it, which would end
 * the process and take the shared service down for every test after it.
 */
import type { IncomingMessage } from "node:http";
import kinesalite from "kinesalite";

const host = Deno.env.get("KINESALITE_HOST") ?? "127.0.0.1";
const port = Number(Deno.env.get("KINESALITE_PORT") ?? "54567");

const server = kinesalite({
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  shardLimit: 100,
});
server.on("request", (req: IncomingMessage) => {
  req.on("error", (e: Error) => console.error(`kinesalite: request error: ${e.message}`));
});
server.on("clientError", (e: Error, socket: { destroy(): void }) => {
  console.error(`kinesalite: client error: ${e.message}`);
  socket.destroy();
});
globalThis.addEventListener("error", (e) => {
  console.error(`kinesalite: uncaught: ${e.message}`);
  e.preventDefault();
});
globalThis.addEventListener("unhandledrejection", (e) => {
  console.error(`kinesalite: unhandled rejection: ${e.reason}`);
  e.preventDefault();
});
server.listen(port, host, () => {
  console.log(`kinesalite listening on http://${host}:${port}`);
});
