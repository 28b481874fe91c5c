import assert from "node:assert/strict";
import { ConfigError } from "../schemas/errors.ts";
import { resolveIngestConfig } from "./config.ts";

Deno.test("resolveIngestConfig() applies documented defaults", () => {
  const c = resolveIngestConfig({});
  assert.equal(c.source, "http");
  assert.equal(c.port, 8091);
  assert.equal(c.maxDeliveries, 5);
  assert.deepEqual(c.apiKeys, []);
  assert.equal(c.kinesis.credentials, undefined);
});

Deno.test("resolveIngestConfig() uses dummy credentials for a local Kinesis endpoint", () => {
  const c = resolveIngestConfig({
    KINESIS_ENDPOINT: "http://127.0.0.1:54567",
    INGEST_API_KEYS: "a, b",
  });
  assert.deepEqual(c.kinesis.credentials, { accessKeyId: "local", secretAccessKey: "local" });
  assert.deepEqual(c.apiKeys, ["a", "b"]);
});

Deno.test("resolveIngestConfig() lists every bad variable at once", () => {
  assert.throws(
    () =>
      resolveIngestConfig({ INGEST_SOURCE: "mqtt", INGEST_PORT: "x", KINESIS_ENDPOINT: "nope" }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.details.map((d) => d.path).sort(), [
        "INGEST_PORT",
        "INGEST_SOURCE",
        "KINESIS_ENDPOINT",
      ]);
      return true;
    },
  );
});
