import assert from "node:assert/strict";
import { mergeEvents, toWindowEvent, viewManifestEntry } from "../pipeline/features/mod.ts";
import { loadExample } from "../pipeline/definitions/load.ts";
import { redisKeys } from "../schemas/pointer.ts";
import { LocalRegistry } from "../registry/mod.ts";
import { testApp } from "../tests/support/edge_app.ts";
import { MemoryKeyValue, MemoryOnlineReader } from "./online/mod.ts";
import { jsonPost, logisticPackage } from "../tests/support/edge.ts";

const NOW = Date.parse("2026-03-20T12:00:00Z");
const sensors = loadExample("sensors");
const DEVICE = sensors.view("device_readings")!;
const SITE = sensors.view("site_readings")!;
const FEATURES = [
  "temperature_zscore",
  "temperature_delta_site",
  "readings_count_1h",
  "site_active_devices_1h",
];

class CountingKeyValue extends MemoryKeyValue {
  calls: string[][] = [];
  override mget(keys: string[]) {
    this.calls.push(keys);
    return super.mget(keys);
  }
}

/** A registry whose `sensor_anomaly` champion reads the device and the site views. */
async function sensorRegistry(): Promise<LocalRegistry> {
  const root = await Deno.makeTempDir({ prefix: "edge-entities-" });
  const registry = new LocalRegistry({ root });
  const m = sensors.modelFeatures(FEATURES);
  const pkg = await logisticPackage({
    name: "sensor_anomaly",
    inputs: m.inputs,
    weights: [0.5, 0.1, 0.01, 0.2],
  });
  pkg.manifest.feature_views = m.views.map(viewManifestEntry);
  pkg.manifest.request_features = m.requestFeatures;
  const v = await registry.register(pkg);
  await registry.setAlias("sensor_anomaly", "champion", v.version);
  return registry;
}

function kvWithReadings(): CountingKeyValue {
  const kv = new CountingKeyValue();
  const reading = (t: number, device: string, temperature: number) => ({
    device_id: device,
    site_id: "s1",
    temperature,
    timestamp: new Date(t).toISOString(),
  });
  const events = [
    reading(NOW - 30 * 60_000, "d1", 20),
    reading(NOW - 20 * 60_000, "d1", 24),
    reading(NOW - 10 * 60_000, "d2", 40),
  ];
  for (
    const [view, id, keep] of [
      [DEVICE, "d1", (e: { device_id: string }) => e.device_id === "d1"],
      [SITE, "s1", () => true],
    ] as const
  ) {
    const state = mergeEvents(
      view,
      null,
      events.filter(keep).map((e) => toWindowEvent(view, e, Date.parse(e.timestamp))!),
    );
    kv.set(redisKeys.online(view.name, view.version, id), JSON.stringify(state));
  }
  return kv;
}

Deno.test("createApp() POST /predict reads every entity of a request in one MGET and computes request-time features", async () => {
  const kv = kvWithReadings();
  await using t = await testApp(
    { defaultModel: "sensor_anomaly" },
    { clock: { now: () => NOW }, online: new MemoryOnlineReader(kv) },
    { registry: await sensorRegistry() },
  );
  const res = await t.app.request(
    "/predict",
    jsonPost({ entities: { device_id: "d1", site_id: "s1" }, features: { temperature: 30 } }),
  );
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  assert.deepEqual(kv.calls, [[
    redisKeys.online(DEVICE.name, DEVICE.version, "d1"),
    redisKeys.online(SITE.name, SITE.version, "s1"),
  ]]);
  // d1: mean 22, std 2 → z = (30 − 22) / 2; site mean (20 + 24 + 40) / 3 = 28.
  assert.equal(body.features_used.temperature_zscore, 4);
  assert.equal(body.features_used.temperature_delta_site, 2);
  assert.equal(body.features_used.readings_count_1h, 2);
  assert.equal(body.features_used.site_active_devices_1h, 2);
  assert.equal(body.features_as_of, new Date(NOW - 10 * 60_000).toISOString());
});

Deno.test("createApp() POST /predict names the entity a multi-entity model needs", async () => {
  await using t = await testApp(
    { defaultModel: "sensor_anomaly" },
    { clock: { now: () => NOW }, online: new MemoryOnlineReader(kvWithReadings()) },
    { registry: await sensorRegistry() },
  );
  const res = await t.app.request(
    "/predict",
    jsonPost({ entities: { device_id: "d1" }, features: { temperature: 30 } }),
  );
  assert.equal(res.status, 422);
  const body = await res.json();
  const byPath = Object.fromEntries(
    body.error.details.map((d: { path: string; message: string }) => [d.path, d.message]),
  );
  assert.match(byPath["features.site_active_devices_1h"], /give entities\.site_id/);
  assert.equal(byPath["features.readings_count_1h"], undefined); // the device was read
});

Deno.test("createApp() POST /predict/batch takes shared entities and per-instance keys in one MGET", async () => {
  const kv = kvWithReadings();
  await using t = await testApp(
    { defaultModel: "sensor_anomaly" },
    { clock: { now: () => NOW }, online: new MemoryOnlineReader(kv) },
    { registry: await sensorRegistry() },
  );
  const res = await t.app.request(
    "/predict/batch",
    jsonPost({
      entities: { site_id: "s1" },
      instances: [{ device_id: "d1", temperature: 30 }, { device_id: "d2", temperature: 41 }],
    }),
  );
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await res.json()).predictions.length, 2);
  assert.equal(kv.calls.length, 1);
  // Two devices and the shared site, read once for both instances.
  assert.equal(kv.calls[0].length, 3);
});
