import assert from "node:assert/strict";
import { RegistryError } from "./errors.ts";
import { MlflowRegistry } from "./mlflow.ts";

/** Serves `handler` on a free loopback port for one test. */
async function withServer(
  handler: (req: Request) => Response | Promise<Response>,
  fn: (url: string) => Promise<void>,
) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

const isCode = (code: string, text?: RegExp) => (e: unknown) =>
  e instanceof RegistryError && e.code === code && (!text || text.test(e.message));

Deno.test("MlflowRegistry sends the bearer token on every call", async () => {
  const seen: (string | null)[] = [];
  await withServer((req) => {
    seen.push(req.headers.get("authorization"));
    return Response.json({ registered_models: [{ name: "b" }, { name: "a" }] });
  }, async (url) => {
    const registry = new MlflowRegistry({ trackingUri: url, token: "secret-token" });
    assert.deepEqual(await registry.listModels(), ["a", "b"]);
  });
  assert.deepEqual(seen, ["Bearer secret-token"]);
});

Deno.test("MlflowRegistry sends basic auth when a username is configured", async () => {
  let seen: string | null = null;
  await withServer((req) => {
    seen = req.headers.get("authorization");
    return Response.json({});
  }, async (url) => {
    await new MlflowRegistry({ trackingUri: url, username: "ml", password: "pw" }).listModels();
  });
  assert.equal(seen, `Basic ${btoa("ml:pw")}`);
});

Deno.test("MlflowRegistry reports refused credentials as registry_unavailable", async () => {
  await withServer(() => new Response("denied", { status: 401 }), async (url) => {
    await assert.rejects(
      new MlflowRegistry({ trackingUri: url }).listModels(),
      isCode("registry_unavailable", /refused the credentials/),
    );
  });
});

Deno.test("MlflowRegistry reports a closed port as registry_unavailable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(
    new MlflowRegistry({ trackingUri: `http://127.0.0.1:${port}` }).getAliases("m"),
    isCode("registry_unavailable", /Cannot reach MLflow/),
  );
});

Deno.test("MlflowRegistry gives up on a silent server after its timeout", async () => {
  let release!: () => void;
  const hang = new Promise<void>((resolve) => release = resolve);
  await withServer(async () => {
    await hang;
    return Response.json({});
  }, async (url) => {
    try {
      await assert.rejects(
        new MlflowRegistry({ trackingUri: url, timeoutMs: 50 }).listModels(),
        isCode("registry_unavailable", /no answer within 50 ms/),
      );
    } finally {
      release();
    }
  });
});

Deno.test("MlflowRegistry translates a missing model into model_not_found", async () => {
  await withServer(() =>
    Response.json(
      { error_code: "RESOURCE_DOES_NOT_EXIST", message: "Registered Model with name=x not found" },
      { status: 404 },
    ), async (url) => {
    await assert.rejects(
      new MlflowRegistry({ trackingUri: url }).listVersions("x"),
      isCode("model_not_found", /^Model not found 'x'$/),
    );
  });
});

Deno.test("MlflowRegistry.client maps mlflow-artifacts URIs to the artifact proxy", () => {
  const registry = new MlflowRegistry({ trackingUri: "http://h:1/" });
  assert.equal(
    registry.client.artifactUrl("mlflow-artifacts:/1/abc/artifacts/model/model.onnx"),
    "http://h:1/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/model.onnx",
  );
  assert.equal(
    registry.client.artifactUrl("mlflow-artifacts://srv:5000/1/m-1/artifacts/MLmodel"),
    "http://h:1/api/2.0/mlflow-artifacts/artifacts/1/m-1/artifacts/MLmodel",
  );
  assert.throws(() => registry.client.artifactUrl("s3://bucket/x"), isCode("artifact_invalid"));
});
