/**
 * The HTTP source end to end: a worker subprocess with real Postgres and
 * Redis answers 202 with exact counts, and its events become features.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";
import {
  deadLettersOf,
  featureMismatches,
  makeStream,
  payloadSet,
  spawnWorker,
  waitFor,
} from "../support/ingest.ts";
import { serviceEnv } from "../_services.ts";

Deno.test({
  name: "http worker: 202 with exact counts, features in Postgres and Redis, dead letters",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const env = await serviceEnv("postgres", "redis");
    const runId = `h${crypto.randomUUID().slice(0, 8)}`;
    const asOf = Date.now();
    const stream = makeStream(runId, {
      events: 800,
      users: 8,
      dupEvery: 4,
      invalid: 6,
      asOfMs: asOf,
    });
    const worker = spawnWorker("http", {
      DATABASE_URL: env.DATABASE_URL,
      REDIS_URL: env.REDIS_URL,
      INGEST_API_KEYS: "secret",
    });
    const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const runtime = await openFeatureRuntime(
      resolveFeaturesConfig({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL }),
      { skipWarm: true },
    );
    try {
      await waitFor(async () => (await worker.readyStatus()) === 200, "worker ready", 60_000);
      const url = `http://127.0.0.1:${worker.port}/ingest/events`;
      const body = new Blob(stream.records.flatMap((r) => [r.value as BlobPart, "\n"]));
      const denied = await fetch(url, { method: "POST", body });
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
      const res = await fetch(url, {
        method: "POST",
        body,
        headers: { "x-api-key": "secret", "content-type": "application/x-ndjson" },
      });
      assert.equal(res.status, 202);
      const out = await res.json();
      assert.equal(out.accepted, stream.valid.size);
      assert.equal(
        out.duplicate,
        stream.records.length - stream.valid.size - stream.invalid.length,
      );
      assert.equal(out.rejected, stream.invalid.length);
      assert.deepEqual(await featureMismatches(runtime.pipeline, stream, asOf), []);
      assert.deepEqual(payloadSet(await deadLettersOf(sql, runId)), payloadSet(stream.invalid));
      // Posting the same body again changes nothing.
      const again = await fetch(url, { method: "POST", body, headers: { "x-api-key": "secret" } });
      assert.equal((await again.json()).accepted, 0);
      assert.deepEqual(await featureMismatches(runtime.pipeline, stream, asOf), []);
    } finally {
      assert.equal(await worker.stop(), 0, worker.logs());
      await runtime.close();
      await sql.end();
    }
  },
});
