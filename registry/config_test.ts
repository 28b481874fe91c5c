import assert from "node:assert/strict";
import { ConfigError } from "../schemas/errors.ts";
import { mlflowOptionsFrom, resolveRegistryConfig } from "./config.ts";

Deno.test("resolveRegistryConfig() applies the documented defaults", () => {
  const config = resolveRegistryConfig({});
  assert.equal(config.registryDir, ".data/registry");
  assert.deepEqual(config.REGISTRY_MODELS, ["fraud_detector"]);
  assert.deepEqual(config.canarySteps, [5, 25, 50, 100]);
  assert.equal(config.REGISTRY_POLL_INTERVAL_MS, 500);
  assert.equal(mlflowOptionsFrom(config), undefined);
});

Deno.test("resolveRegistryConfig() lists every bad variable at once", () => {
  assert.throws(
    () =>
      resolveRegistryConfig({
        MLFLOW_TRACKING_URI: "not a url",
        REGISTRY_POLL_INTERVAL_MS: "-1",
        REGISTRY_CANARY_STEPS: "50,25",
      }),
    (e) =>
      e instanceof ConfigError &&
      ["MLFLOW_TRACKING_URI", "REGISTRY_POLL_INTERVAL_MS", "REGISTRY_CANARY_STEPS"].every((k) =>
        e.details.some((d) => d.path === k)
      ),
  );
});

Deno.test("mlflowOptionsFrom() carries the tracking URI and credentials", () => {
  const options = mlflowOptionsFrom(resolveRegistryConfig({
    MLFLOW_TRACKING_URI: "http://127.0.0.1:55000",
    MLFLOW_TRACKING_TOKEN: "t",
    REGISTRY_TIMEOUT_MS: "700",
  }));
  assert.equal(options?.trackingUri, "http://127.0.0.1:55000");
  assert.equal(options?.token, "t");
  assert.equal(options?.timeoutMs, 700);
});
