/**
 * `MlflowRegistry` with bearer and basic auth: the real MLflow server behind
 * a loopback proxy that refuses requests without the expected
 * `Authorization` header (as an authenticating gateway in front of MLflow
 * would). Every call, artifact uploads and downloads included, must carry
 * it; wrong credentials surface as `registry_unavailable`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { RegistryError } from "../../registry/errors.ts";
import { MlflowRegistry } from "../../registry/mlflow.ts";
import { serviceEnv } from "../_services.ts";
import { onnxPackage } from "../contracts/model_registry_fixtures.ts";

async function withAuthProxy(
  expected: string,
  fn: (url: string, refused: () => number) => Promise<void>,
) {
  const env = await serviceEnv("mlflow");
  const upstream = env.MLFLOW_TRACKING_URI.replace(/\/+$/, "");
  let refused = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    if (req.headers.get("authorization") !== expected) {
      refused++;
      return new Response("Unauthorized", { status: 401 });
    }
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.delete("authorization");
    headers.delete("host");
    const res = await fetch(`${upstream}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: req.body,
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, () => refused);
  } finally {
    await server.shutdown();
  }
}

Deno.test("MlflowRegistry sends the bearer token on API and artifact calls", async () => {
  await withAuthProxy("Bearer t0ken", async (url, refused) => {
    const registry = new MlflowRegistry({ trackingUri: url, token: "t0ken" });
    const name = `auth_${crypto.randomUUID().slice(0, 8)}`;
    const stored = await registry.register(onnxPackage(name));
    await registry.setAlias(name, "champion", stored.version);
    const loaded = await registry.getPackage(name, "champion");
    assert.equal(loaded.manifest.sha256, stored.sha256);
    assert.equal(refused(), 0);
  });
});

Deno.test("MlflowRegistry sends basic auth and reports wrong credentials as registry_unavailable", async () => {
  await withAuthProxy(`Basic ${btoa("ml:secret")}`, async (url) => {
    const ok = new MlflowRegistry({ trackingUri: url, username: "ml", password: "secret" });
    assert.ok(Array.isArray(await ok.listModels()));
    const wrong = new MlflowRegistry({ trackingUri: url, username: "ml", password: "nope" });
    await assert.rejects(
      wrong.listModels(),
      (e) =>
        e instanceof RegistryError && e.code === "registry_unavailable" &&
        /HTTP 401/.test(e.message),
    );
  });
});
