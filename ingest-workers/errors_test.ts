import assert from "node:assert/strict";
import { RetryableError } from "../pipeline/errors.ts";
import { PlatformError } from "../schemas/errors.ts";
import { IngestRequestError, IngestRetryableError, isRetryable, SourceError } from "./errors.ts";

Deno.test("isRetryable() is true for the two retryable classes, also as a cause's wrapper subclass", () => {
  assert.equal(isRetryable(new IngestRetryableError("Cannot reach the broker")), true);
  assert.equal(isRetryable(new RetryableError("Cannot write: store is down")), true);
  class StoreDown extends RetryableError {}
  assert.equal(isRetryable(new StoreDown("Cannot write")), true);
});

Deno.test("isRetryable() does not decide by name or code strings", () => {
  const named = new Error("Cannot parse");
  named.name = "RetryableError";
  assert.equal(isRetryable(named), false);
  assert.equal(
    isRetryable(new PlatformError("registry_unavailable", "Cannot reach MLflow")),
    false,
  );
  assert.equal(isRetryable(new SourceError("Cannot find topic 'x'")), false);
  assert.equal(isRetryable(new IngestRequestError("service_unavailable", 503, "Draining")), false);
  assert.equal(isRetryable({ code: "ingest_retryable" }), false);
  assert.equal(isRetryable(undefined), false);
});
