import assert from "node:assert/strict";
import { ConfigError } from "../schemas/errors.ts";
import { resolveFeaturesConfig } from "./config.ts";

Deno.test("resolveFeaturesConfig() applies defaults and lists every bad variable", () => {
  const c = resolveFeaturesConfig({});
  assert.equal(c.dataDir, ".data");
  assert.equal(c.maxFutureMs, undefined); // each source's own
  assert.deepEqual(c.repository, { repo: undefined, example: undefined });
  assert.equal(resolveFeaturesConfig({ FEATURE_EXAMPLE: "sensors" }).repository.example, "sensors");
  assert.equal(c.databaseUrl, undefined);
  assert.throws(
    () => resolveFeaturesConfig({ DATABASE_URL: "mysql://x", FEATURES_PORT: "0" }),
    (e: unknown) =>
      e instanceof ConfigError && /DATABASE_URL/.test(e.message) && /FEATURES_PORT/.test(e.message),
  );
});
