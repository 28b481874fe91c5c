/**
 * Why the embedded pipeline runs in a worker (see
 * `deploy/embedded/pipeline_thread.ts`): how long one `processBatch` on
 * PGlite holds the thread that calls it, at batch sizes of 200 (the soak's
 * ingest requests), 50 and 20 (the same work cut into slices).
 *
 * A `MessageChannel` ping-pong runs beside the batches; the longest gap
 * between two pings from a batch's start to the first ping after its end is
 * the longest time nothing else could run on that thread (a `/predict`
 * request would have waited as long).
 * Prints, per batch size, the batch's wall time and that longest stall
 * (p50, p99, max over 40 000 events into 5000 users), and the cost per event.
 *
 * `deno run -A tests/bench/soak/stall.ts [sizes...]`
 *
 * @module
 */
import { openFeatureRuntime, resolveFeaturesConfig } from "../../../pipeline/mod.ts";

const sizes = Deno.args.length > 0 ? Deno.args.map(Number) : [200, 50, 20];
const EVENTS = Number(Deno.env.get("STALL_EVENTS") ?? 40_000);
const USERS = 5000;

const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(1);

for (const size of sizes) {
  const dir = await Deno.makeTempDir({ prefix: "soak-stall-" });
  const rt = await openFeatureRuntime(resolveFeaturesConfig({ DATA_DIR: dir }));
  let seq = 0;
  const batch = () => {
    const now = Date.now();
    return Array.from({ length: size }, () => {
      const i = seq++;
      return {
        payload: JSON.stringify({
          event_id: `e${i}`,
          user_id: `u${(i * 7919) % USERS}`,
          amount: 1 + (i % 500),
          timestamp: new Date(now - (i % 1000)).toISOString(),
          merchant_category: ["grocery", "travel", "electronics"][i % 3],
          payment_method: "credit_card",
        }),
      };
    });
  };
  const channel = new MessageChannel();
  let last = performance.now();
  let longest = 0;
  let pinging = true;
  let pinged = () => {};
  channel.port1.onmessage = () => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
    pinged();
    if (pinging) channel.port2.postMessage(0);
  };
  // The gap that ends with the first ping after the batch counts too.
  const nextPing = () => new Promise<void>((r) => (pinged = r));
  channel.port2.postMessage(0);
  const walls: number[] = [];
  const stalls: number[] = [];
  const t0 = performance.now();
  while (seq < EVENTS) {
    longest = 0;
    last = performance.now();
    const t = performance.now();
    await rt.pipeline.processBatch(batch());
    walls.push(performance.now() - t);
    await nextPing();
    stalls.push(longest);
  }
  const perEventUs = (performance.now() - t0) * 1000 / EVENTS;
  pinging = false;
  await new Promise((r) => setTimeout(r, 10)); // the last ping lands
  channel.port1.close();
  channel.port2.close();
  await rt.close();
  await Deno.remove(dir, { recursive: true });
  console.log(
    `batches of ${size}: wall p50 ${q(walls, 0.5)} p99 ${q(walls, 0.99)} ms; ` +
      `longest stall p50 ${q(stalls, 0.5)} p99 ${q(stalls, 0.99)} max ${q(stalls, 1)} ms; ` +
      `${perEventUs.toFixed(0)} µs per event`,
  );
}
