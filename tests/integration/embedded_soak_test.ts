/**
 * A short soak of the embedded platform (`deno task start`, first start on
 * an empty DATA_DIR): `/predict` by entity from 16 concurrent clients while
 * 850 events/s are posted to `/ingest/events` in batches of 200 (17 000
 * events, 20 s at that rate).
 * Correctness only, no timing: every prediction answers 200 with the model's
 * answer, no online read fails, every event is accepted, stored and online
 * with the exact count per user. RSS at the start and the end is printed
 * (`deno task bench:soak` is the 8-minute version with the figures).
 *
 * @module
 */
import assert from "node:assert/strict";
import { IngestLoad } from "../bench/soak/ingest_load.ts";
import { metricSum, startPlatform, verifyCounts } from "../bench/soak/platform.ts";

const EVENTS = 17_000;
const CLIENTS = 16;
const USERS = 500;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Posts `/predict` by entity from `CLIENTS` loops until `done`; counts answers by kind. */
async function predictLoad(
  baseUrl: string,
  users: (i: number) => string,
  done: () => boolean,
) {
  const seen = { ok: 0, bad: [] as string[] };
  const client = async (c: number) => {
    for (let n = 0; !done(); n++) {
      const res = await fetch(`${baseUrl}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          entity_id: users((n * CLIENTS + c) % USERS),
          features: {
            amount: 10 + n % 500,
            merchant_category: "grocery",
            payment_method: "paypal",
          },
        }),
      });
      const body = await res.json();
      const good = res.status === 200 && body.model_name === "fraud_detector" &&
        body.probabilities?.length === 2 &&
        typeof body.features_used?.transaction_count_24h === "number";
      if (good) seen.ok++;
      else if (seen.bad.length < 5) seen.bad.push(`${res.status} ${JSON.stringify(body)}`);
      else seen.bad.push("…");
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  return seen;
}

Deno.test({
  name:
    "deno task start answers every /predict and stores every event while it ingests 850 events/s",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "embedded-soak-" });
    const platform = await startPlatform({ dataDir, port: freePort() });
    try {
      const rssStart = platform.rssMb();
      const load = new IngestLoad({
        baseUrl: platform.baseUrl,
        eventsPerSecond: 850,
        batchSize: 200,
        users: USERS,
        userPrefix: `soak${Date.now().toString(36)}_u`,
        totalEvents: EVENTS,
      });
      load.start();
      let ingesting = true;
      const finished = load.finished().finally(() => (ingesting = false));
      const predictions = await predictLoad(
        platform.baseUrl,
        (i) => load.userId(i),
        () => !ingesting,
      );
      const ingest = await finished;
      const rssEnd = platform.rssMb();
      console.log(
        `RSS ${rssStart.toFixed(0)} MB at the start, ${rssEnd.toFixed(0)} MB at the end; ` +
          `${predictions.ok} predictions, ${ingest.accepted} events in ${ingest.requests} requests`,
      );

      assert.deepEqual(predictions.bad, [], "every /predict answers 200 with a prediction");
      assert.ok(predictions.ok > 0);
      assert.deepEqual(ingest.failures, [], "every ingest request is answered 202");
      assert.equal(ingest.sent, EVENTS);
      assert.equal(ingest.accepted, EVENTS);
      assert.deepEqual(await verifyCounts(platform.baseUrl, load), [], "stored and online counts");
      const metrics = await (await fetch(`${platform.baseUrl}/metrics`)).text();
      assert.equal(metricSum(metrics, "ml_online_store_errors_total"), 0, "no online read failed");
      // The demo's 1050 events, then the soak's, counted by the pipeline worker.
      assert.equal(
        metricSum(metrics, 'features_events_total{outcome="accepted"}'),
        1050 + ingest.accepted,
      );
    } finally {
      await platform.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
