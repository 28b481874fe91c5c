import assert from "node:assert/strict";
import { DEFAULT_PORTS, PORT_ORDER, resolveServicePorts } from "./ports.ts";
import { ServiceError } from "./_proc.ts";

Deno.test("resolveServicePorts() keeps the defaults without SERVICES_* variables", () => {
  assert.deepEqual(resolveServicePorts({}), DEFAULT_PORTS);
});

Deno.test("resolveServicePorts() counts consecutive ports from SERVICES_PORT_BASE", () => {
  const p = resolveServicePorts({ SERVICES_PORT_BASE: "41000" });
  assert.deepEqual(PORT_ORDER.map((k) => p[k]), PORT_ORDER.map((_, i) => 41000 + i));
});

Deno.test("resolveServicePorts() lets one service's variable win over the base", () => {
  const p = resolveServicePorts({
    SERVICES_PORT_BASE: "41000",
    SERVICES_KAFKA_CONTROLLER_PORT: "42000",
  });
  assert.equal(p.kafkaController, 42000);
  assert.equal(p.kafka, 41003);
});

Deno.test("resolveServicePorts() lists every bad value and clash", () => {
  assert.throws(
    () =>
      resolveServicePorts({
        SERVICES_PORT_BASE: "abc",
        SERVICES_REDIS_PORT: "55432",
        SERVICES_MLFLOW_PORT: "80",
      }),
    (e: unknown) =>
      e instanceof ServiceError && /SERVICES_PORT_BASE/.test(e.message) &&
      /SERVICES_MLFLOW_PORT/.test(e.message) && /redis and postgres both use port 55432/.test(
        e.message,
      ),
  );
});
