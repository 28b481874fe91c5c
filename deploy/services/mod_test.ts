import assert from "node:assert/strict";
import { parseEnvFile, resolveNames, SERVICE_NAMES, ServiceError } from "./mod.ts";

Deno.test("resolveNames() defaults to every service in start order", () => {
  assert.deepEqual(resolveNames([]), [...SERVICE_NAMES]);
});

Deno.test("resolveNames() adds dependencies before the service", () => {
  assert.deepEqual(resolveNames(["gateway"]), ["redis", "gateway"]);
  assert.deepEqual(resolveNames(["mlflow", "postgres"]), ["postgres", "mlflow"]);
});

Deno.test("resolveNames() rejects an unknown name", () => {
  assert.throws(() => resolveNames(["redis", "mongo"]), ServiceError);
});

Deno.test("parseEnvFile() reads KEY=VALUE lines and skips comments", () => {
  assert.deepEqual(parseEnvFile("# x\nA=1\n\nB=postgres://u:p@h/db?x=1\n"), {
    A: "1",
    B: "postgres://u:p@h/db?x=1",
  });
});
