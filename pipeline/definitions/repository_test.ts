import assert from "node:assert/strict";
import { FeatureRepository } from "./repository.ts";
import { EXAMPLES, loadExample, loadRepository, resolveRepository } from "./load.ts";
import { DefinitionError } from "../errors.ts";

/** The sensors example as plain, editable data. */
interface Def {
  sources: { name: string; fields: Record<string, { maxLength?: number }> }[];
  views: { entity: string; features: Record<string, unknown>[] }[];
  requestFeatures: Record<string, unknown>[];
}
const base = () => structuredClone(EXAMPLES.sensors) as Def;

function problems(def: unknown): string[] {
  try {
    FeatureRepository.fromDefinition(def, "test");
  } catch (e) {
    assert.ok(e instanceof DefinitionError, String(e));
    return e.details as string[];
  }
  throw new Error("expected a DefinitionError");
}

Deno.test("FeatureRepository loads the shipped examples", () => {
  for (const name of Object.keys(EXAMPLES)) assert.equal(loadExample(name).name, name);
  const s = loadExample("sensors");
  assert.deepEqual(s.viewsOfSource("sensor_readings").map((v) => v.entity), ["device", "site"]);
  assert.equal(s.sourceForRoute("kafkaTopic", "sensor-readings")?.name, "sensor_readings");
  assert.equal(s.sourceForRoute("httpPath", "sensor_readings")?.name, "sensor_readings");
  assert.equal(loadExample("fraud").sourceForRoute("httpPath", "events")?.name, "transactions");
});

Deno.test("FeatureRepository names the bad definition of a shape error", () => {
  const def = base();
  def.views[0].features[1].window = "an hour";
  def.views[0].features[2].aggregate = "median";
  const p = problems(def);
  assert.ok(
    p.some((x) => x.startsWith("views[device_readings].features[temperature_mean_1h].window")),
    p.join("\n"),
  );
  assert.ok(
    p.some((x) => x.startsWith("views[device_readings].features[temperature_std_1h].aggregate")),
    p.join("\n"),
  );
});

Deno.test("FeatureRepository lists every broken reference, naming view, feature and field", () => {
  const def = base();
  def.views[0].entity = "robot";
  def.views[1].features[2].field = "temp";
  def.views[1].features[0].where = { field: "colour", op: "==", value: "red" };
  def.views[1].features.push({
    name: "bad_sum",
    aggregate: "sum",
    field: "site_id",
    window: "1h",
    tile: "1m",
  });
  def.views[1].features.push({ name: "odd", aggregate: "count", window: "90s", tile: "1m" });
  def.requestFeatures.push({
    name: "t2",
    transform: { kind: "ratio", numerator: "temperature", denominator: "nothing" },
  });
  def.requestFeatures.push({
    name: "temperature",
    transform: { kind: "identity", source: "temperature" },
  });
  const p = problems(def);
  const want = [
    "view 'device_readings': entity 'robot' is not defined",
    "view 'site_readings' feature 'site_temperature_mean_1h': field 'temp' is not a field of source 'sensor_readings'",
    "view 'site_readings' feature 'site_readings_count_1h': filter reads 'colour'",
    "view 'site_readings' feature 'bad_sum': aggregate 'sum' needs a number field, 'site_id' is string",
    "view 'site_readings' feature 'odd': window 90000 ms is not a multiple of its tile 60000 ms",
    "request feature 't2': transform reads 'nothing'",
    "feature 'temperature' is defined twice",
  ];
  for (const w of want) {
    assert.ok(p.some((x) => x.includes(w)), `missing '${w}' in:\n${p.join("\n")}`);
  }
});

Deno.test("FeatureRepository refuses an entity key longer than /predict accepts and clashing routes", () => {
  const def = base();
  def.sources[0].fields.device_id.maxLength = 1000;
  def.sources.push({ ...def.sources[0], name: "copy" });
  const p = problems(def);
  assert.ok(
    p.some((x) =>
      x.includes(
        "key field 'device_id' of source 'sensor_readings' needs a maxLength of at most 256",
      )
    ),
  );
  assert.ok(p.some((x) => x.includes("Kafka topic 'sensor-readings' carries two sources")));
  assert.ok(p.some((x) => x.includes("HTTP path '/ingest/sensor_readings' carries two sources")));
});

Deno.test("FeatureRepository.modelFeatures() gives inputs, the request features they read and their views", () => {
  const m = loadExample("sensors").modelFeatures(["temperature_delta_site", "vibration_max_1h"]);
  assert.deepEqual(m.inputs.map((i) => i.name), ["temperature_delta_site", "vibration_max_1h"]);
  assert.deepEqual(m.requestFeatures.map((i) => i.name), ["temperature"]);
  assert.deepEqual(m.views.map((v) => v.name), ["device_readings", "site_readings"]);
  assert.deepEqual(m.requestFeatures[0].domain, { min: -50, max: 150 });
  assert.throws(
    () => loadExample("fraud").modelFeatures(["amount", "nope"]),
    /unknown feature 'nope'/,
  );
});

Deno.test("loadRepository() loads a folder's mod.ts and names a folder that has none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const defineUrl = new URL("./define.ts", import.meta.url).href;
    await Deno.writeTextFile(
      `${dir}/mod.ts`,
      `import { defineRepository } from "${defineUrl}";
export const repository = defineRepository(${JSON.stringify(EXAMPLES.sensors)});`,
    );
    assert.equal((await loadRepository(dir)).name, "sensors");
    await assert.rejects(() => loadRepository(`${dir}/missing`), /Cannot load feature repository/);
    await assert.rejects(() => resolveRepository({ repo: dir, example: "fraud" }), /choose one/);
    await assert.rejects(
      () => resolveRepository({ example: "nope" }),
      /expected one of fraud, sensors, recommendations/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
