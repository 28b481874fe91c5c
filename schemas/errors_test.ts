import assert from "node:assert/strict";
import { ConfigError, PlatformError, type PlatformErrorCode } from "./errors.ts";

Deno.test("PlatformError code is a literal union: a misspelt code does not compile", () => {
  // @ts-expect-error: "model_not_fund" is not a PlatformErrorCode (deno check fails if it became one)
  const e = new PlatformError("model_not_fund", "Cannot find model 'x'");
  const code: PlatformErrorCode = new ConfigError("edge", []).code;
  assert.equal(code, "config_invalid");
  assert.equal(e.name, "PlatformError");
  assert.equal(e.code as string, "model_not_fund");
});
