import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { FeaturePipeline, MemoryOnlineCache, PgliteFeatureStore } from "../../pipeline/mod.ts";
import { LocalRegistry, MemoryRegistryStore, resolveRegistryConfig } from "../../registry/mod.ts";
import { createModelOperations, createSyncService } from "../../registry/wiring.ts";
import { undocumentedRoutes } from "../../schemas/api.ts";
import { onnxPackage } from "../../tests/contracts/model_registry_fixtures.ts";
import { CONSOLE_MAX_BODY_BYTES, createConsole } from "./app.tsx";
import { MetricsSampler } from "./prom.ts";
import { consoleOpenApiDocument } from "./services.ts";

const NOW = Date.UTC(2026, 2, 20, 12, 0, 0);
const TOKEN = "console-test-token-0123";

async function setup(adminToken?: string) {
  const root = await Deno.makeTempDir({ prefix: "console-test-" });
  const registry = new LocalRegistry({ root });
  await registry.register(onnxPackage("m"));
  await registry.register(onnxPackage("m", { seed: 2 }));
  await registry.setAlias("m", "champion", "1");
  const store = new MemoryRegistryStore();
  // A loaded shared machine must not fail the validation latency smoke run.
  const config = resolveRegistryConfig({
    REGISTRY_MODELS: "m",
    REGISTRY_VALIDATION_LATENCY_MS: "10000",
  });
  const sync = createSyncService(config, { registry, store, log: () => {}, challengerMode: "off" });
  await sync.worker.sync("m");
  const models = createModelOperations(sync, config, {
    pointerIsLive: true,
    target: "on the test platform",
  });
  const featureStore = new PgliteFeatureStore();
  await featureStore.migrate();
  const pipeline = new FeaturePipeline({
    store: featureStore,
    cache: new MemoryOnlineCache(),
    now: () => NOW,
  });
  const metrics = new Registry();
  const sampler = new MetricsSampler({ sources: [{ name: "x", read: () => metrics.metrics() }] });
  const app = createConsole({
    registry,
    models,
    rollouts: sync,
    pipeline,
    featureStore,
    sampler,
    canarySteps: [5, 25, 50, 100],
    driftThreshold: 0.25,
    adminToken,
    mode: "test",
    now: () => NOW,
  });
  return {
    app,
    registry,
    sync,
    pipeline,
    featureStore,
    async [Symbol.asyncDispose]() {
      app.close();
      await sampler.stop();
      await featureStore.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

const action = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", "x-rtml-console": "1", ...headers },
  body: JSON.stringify(body),
});

Deno.test("createConsole() with a token refuses requests without it and signs in by cookie", async () => {
  await using t = await setup(TOKEN);
  const page = await t.app.request("/console");
  assert.equal(page.status, 303);
  assert.equal(page.headers.get("location"), "/console/login");
  const api = await t.app.request("/console/api/overview?model=m");
  assert.equal(api.status, 401);
  assert.equal((await api.json()).error.code, "unauthorized");
  const wrong = await t.app.request("/console/login", {
    method: "POST",
    body: new URLSearchParams({ token: "nope" }),
  });
  assert.equal(wrong.status, 401);
  const login = await t.app.request("/console/login", {
    method: "POST",
    body: new URLSearchParams({ token: TOKEN }),
  });
  assert.equal(login.status, 303);
  const cookie = login.headers.get("set-cookie")!.split(";")[0];
  assert.ok(!cookie.includes(TOKEN), "the cookie does not carry the token");
  assert.match(cookie, /HttpOnly|rtml_console=/);
  const ok = await t.app.request("/console", { headers: { cookie } });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /^<!doctype html>/);
  const bearer = await t.app.request("/console/models/m", {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(bearer.status, 200);
});

Deno.test("createConsole() reads bodies within a limit, after the token", async () => {
  await using t = await setup(TOKEN);
  const big = "x".repeat(CONSOLE_MAX_BODY_BYTES + 1);
  const anonymous = await t.app.request("/console/api/dead-letters/replay", action(big));
  assert.equal(anonymous.status, 401);
  const auth = { authorization: `Bearer ${TOKEN}` };
  const tooLarge = await t.app.request("/console/api/dead-letters/replay", action(big, auth));
  assert.equal(tooLarge.status, 413);
  assert.equal((await tooLarge.json()).error.code, "payload_too_large");
  const login = await t.app.request("/console/login", {
    method: "POST",
    body: new URLSearchParams({ token: "y".repeat(10_000) }),
  });
  assert.equal(login.status, 413);
});

Deno.test("createConsole() actions need the x-rtml-console header and name bad fields", async () => {
  await using t = await setup();
  const noHeader = await t.app.request("/console/api/models/m/canary", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ version: "2", percent: 20 }),
  });
  assert.equal(noHeader.status, 401);
  const bad = await t.app.request(
    "/console/api/models/m/canary",
    action({ version: "2", percent: 0 }),
  );
  assert.equal(bad.status, 422);
  const err = await bad.json();
  assert.equal(err.error.details[0].path, "percent");
  const missing = await t.app.request(
    "/console/api/models/m/canary",
    action({ version: "9", percent: 5 }),
  );
  assert.equal(missing.status, 404);
  const noChallenger = await t.app.request("/console/api/models/m/promote", action({}));
  // The status and code /admin/models gives the same refusal.
  assert.equal(noChallenger.status, 400);
  const refusal = (await noChallenger.json()).error;
  assert.equal(refusal.code, "invalid_request");
  assert.match(refusal.message, /no challenger.*nothing changed/);
  assert.equal(
    (await t.registry.getAliases("m")).champion,
    "1",
    "a refused action changes nothing",
  );
});

Deno.test("createConsole() canary, promote and rollback move the aliases and the pointer", async () => {
  await using t = await setup();
  const canary = await t.app.request(
    "/console/api/models/m/canary",
    action({ version: "2", percent: 20 }),
  );
  assert.equal(canary.status, 200, await canary.clone().text());
  assert.equal((await canary.json()).action, "canary");
  assert.deepEqual((await t.sync.publisher.readPointer("m"))?.traffic, {
    mode: "canary",
    challenger_percent: 20,
  });
  const page = await (await t.app.request("/console/models/m")).text();
  assert.match(page, /challenger v2 gets 20 % of traffic/);
  assert.match(page, /on the test platform/);
  const promoted = await t.app.request("/console/api/models/m/promote", action({}));
  const promotion = await promoted.json();
  assert.equal(promotion.action, "promote");
  assert.equal(promotion.aliases.champion, "2");
  assert.match(promotion.message, /previous champion 1/);
  const rolled = await t.app.request("/console/api/models/m/rollback", action({ reason: "test" }));
  assert.match((await rolled.json()).message, /removed version 2, serving 1/);
  assert.equal((await t.sync.publisher.readPointer("m"))?.champion.version, "1");
});

Deno.test("createConsole() canary of a version with other inputs refuses unless forced", async () => {
  await using t = await setup();
  await t.registry.register(onnxPackage("m", { graphFeatures: 4 }));
  const refused = await t.app.request(
    "/console/api/models/m/canary",
    action({ version: "3", percent: 10 }),
  );
  assert.equal(refused.status, 409);
  const error = (await refused.json()).error;
  assert.equal(error.code, "input_schema_changed");
  assert.match(error.message, /adds f3/);
  assert.deepEqual(error.details, [{ input: "f3", change: "added" }]);
  assert.equal((await t.registry.getAliases("m")).challenger, undefined, "nothing changed");
  const forced = await t.app.request(
    "/console/api/models/m/canary",
    action({ version: "3", percent: 10, force: true }),
  );
  const result = await forced.json();
  assert.equal(forced.status, 200, JSON.stringify(result));
  assert.deepEqual(result.input_changes, [{ input: "f3", change: "added" }]);
  assert.equal((await t.sync.publisher.readPointer("m"))?.challenger?.version, "3");
});

Deno.test("createConsole() replays a fixed dead letter once and leaves an invalid one alone", async () => {
  await using t = await setup();
  const bad = { event_id: "d1", user_id: "u9", amount: "x", timestamp: "2026-03-20T11:00:00Z" };
  await t.pipeline.processBatch([{ payload: JSON.stringify(bad), meta: { source: "http" } }]);
  const [letter] = await t.featureStore.listDeadLetters(1);
  const still = await t.app.request(
    "/console/api/dead-letters/replay",
    action({ items: [{ id: letter.id }] }),
  );
  const stillBody = await still.json();
  assert.equal(stillBody.results[0].status, "invalid");
  assert.match(stillBody.results[0].reason, /amount/);
  assert.equal((await t.featureStore.listDeadLetters(10)).length, 1, "no new dead letter");
  const fixed = JSON.stringify({ ...bad, amount: 7 });
  const res = await t.app.request(
    "/console/api/dead-letters/replay",
    action({ items: [{ id: letter.id, payload: fixed }, { id: 424242 }] }),
  );
  const body = await res.json();
  assert.deepEqual(body.results.map((r: { status: string }) => r.status), [
    "replayed",
    "not_found",
  ]);
  const online = await t.pipeline.getOnlineFeatures("user", "u9", NOW);
  assert.equal(online.features.transaction_count_24h, 1);
  const [row] = await t.featureStore.getDeadLetters([letter.id]);
  assert.equal(row.meta.replayed_event_id, "d1");
  const again = await t.app.request(
    "/console/api/dead-letters/replay",
    action({ items: [{ id: letter.id, payload: fixed }] }),
  );
  assert.equal((await again.json()).results[0].status, "already_replayed");
  const lookup = await (await t.app.request(
    "/console/features?entity=user&id=u9&as_of=2026-03-20T10:00:00Z",
  )).text();
  assert.match(lookup, /<tr class="differs" data-feature="transaction_count_24h">/);
});

Deno.test("createConsole() serves its script as JavaScript that compiles", async () => {
  await using t = await setup();
  const res = await t.app.request("/console/assets/console.js");
  assert.equal(res.status, 200);
  const script = await res.text();
  // Compiled, not run: a syntax error (an escape lost in the template) fails here, not in a browser.
  assert.doesNotThrow(() => new Function(script));
  assert.match(script, /input_schema_changed/);
});

Deno.test("createConsole() documents every route it serves", async () => {
  await using t = await setup();
  assert.deepEqual(undocumentedRoutes(t.app.routes, consoleOpenApiDocument()), []);
});
