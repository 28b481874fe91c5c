import assert from "node:assert/strict";
import { RowAssembler } from "./row.ts";
import { TransformError } from "./transforms.ts";
import { loadExample } from "../definitions/load.ts";
import type { ModelInput } from "../../schemas/manifest.ts";

const T = Date.UTC(2026, 2, 21, 21, 30); // a Saturday, 21:30 UTC
const sensors = loadExample("sensors");
const fraud = loadExample("fraud");

function sensorRows(names: string[]) {
  const m = sensors.modelFeatures(names);
  return new RowAssembler({ inputs: m.inputs, requestFeatures: m.requestFeatures, views: m.views });
}

Deno.test("RowAssembler resolves a request value, then a view feature, then a transform, then a default", () => {
  const rows = new RowAssembler({
    inputs: [
      { name: "readings_count_1h", dtype: "float32" },
      { name: "b", dtype: "float32", transform: { kind: "log1p", source: "raw" } },
      { name: "c", dtype: "float32", default: 7 },
    ],
    views: [sensors.view("device_readings")!],
  });
  const online = { readings_count_1h: 3 };
  const direct = rows.assemble({
    fields: { readings_count_1h: 1, raw: 0, c: 2 },
    views: [online],
    timeMs: T,
  });
  assert.deepEqual([...direct.row], [1, 0, 2]);
  assert.deepEqual(direct.defaultsUsed, []);
  const fallback = rows.assemble({ fields: { raw: Math.E - 1 }, views: [online], timeMs: T });
  assert.equal(fallback.row[0], 3);
  assert.ok(Math.abs(fallback.row[1] - 1) < 1e-6);
  assert.deepEqual(fallback.defaultsUsed, ["c"]);
  const none = rows.assemble({ fields: {}, views: [null], timeMs: T });
  assert.deepEqual(none.missing, ["readings_count_1h", "b"]);
});

Deno.test("RowAssembler refuses a string or boolean where a number belongs, naming the field", () => {
  const m = fraud.modelFeatures(["amount", "is_weekend", "hour_of_day"]);
  const rows = new RowAssembler({ inputs: m.inputs, views: m.views });
  const bad = rows.assemble({
    fields: { amount: "950", is_weekend: "no", hour_of_day: true },
    timeMs: T,
  });
  assert.deepEqual(bad.issues.map((i) => i.path), [
    "features.amount",
    "features.is_weekend",
    "features.hour_of_day",
  ]);
  assert.match(bad.issues[0].message, /Expected a number, got the string "950"/);
  assert.match(bad.issues[1].message, /Expected a boolean/);
  assert.match(bad.issues[2].message, /Expected a number, got boolean true/);
  const ok = rows.assemble({ fields: { amount: 950, is_weekend: false }, timeMs: T });
  assert.deepEqual(ok.issues, []);
  assert.deepEqual([...ok.row], [950, 0, 21]); // hour of the request time
  assert.equal(rows.assemble({ fields: { is_weekend: 1, amount: 1 }, timeMs: T }).row[1], 1);
});

Deno.test("RowAssembler refuses a value outside a declared domain", () => {
  const m = fraud.modelFeatures(["hour_of_day", "merchant_category_encoded"]);
  const rows = new RowAssembler({ inputs: m.inputs });
  const a = rows.assemble({
    fields: { hour_of_day: 99, merchant_category_encoded: 63 },
    timeMs: T,
  });
  assert.deepEqual(a.issues.map((i) => i.path), ["features.hour_of_day"]);
  assert.match(a.issues[0].message, /domain \[0, 23\]: 99/);
});

Deno.test("RowAssembler with strict names refuses an unknown feature but takes raw fields and keys", () => {
  const rows = sensorRows(["temperature_zscore", "readings_count_1h"]);
  const a = rows.assemble(
    {
      fields: { temperature: 20, device_id: "d1", timestamp: "2026-03-21T00:00:00Z", nope: 1 },
      views: [null],
      timeMs: T,
    },
    { strict: true },
  );
  assert.deepEqual(a.issues.map((i) => i.path), ["features.nope"]);
  assert.match(
    a.issues[0].message,
    /Unknown feature: the model reads temperature_zscore, readings_count_1h/,
  );
});

Deno.test("RowAssembler with strict names takes any name of the model's repository, not typos", () => {
  const repo = loadExample("sensors");
  const model = repo.modelFeatures(["temperature_zscore"]);
  // `pressure` is a field of the sensors source the model does not read: a client of an
  // A/B split sends it for the other version, and keeps sending it after a rollback.
  const fields = { temperature: 20, pressure: 101.3, timestamp: "2026-03-21T00:00:00Z" };
  const strictOnly = new RowAssembler({ inputs: model.inputs, views: model.views });
  assert.deepEqual(
    strictOnly.assemble({ fields, views: [null], timeMs: T }, { strict: true }).issues.map((i) =>
      i.path
    ),
    ["features.pressure"],
  );
  const rows = new RowAssembler(model);
  assert.deepEqual(
    rows.assemble({ fields, views: [null], timeMs: T }, { strict: true }).issues,
    [],
  );
  const typo = rows.assemble({ fields: { ...fields, presure: 1 }, views: [null], timeMs: T }, {
    strict: true,
  });
  assert.deepEqual(typo.issues.map((i) => i.path), ["features.presure"]);
});

Deno.test("RowAssembler computes request-time features over request values and several views", () => {
  const rows = sensorRows(["temperature_zscore", "temperature_delta_site", "temperature"]);
  assert.deepEqual(rows.views.map((v) => v.name), ["device_readings", "site_readings"]);
  const device = { temperature_mean_1h: 20, temperature_std_1h: 4 };
  const site = { site_temperature_mean_1h: 25 };
  const a = rows.assemble({ fields: { temperature: 30 }, views: [device, site], timeMs: T });
  assert.deepEqual([...a.row], [2.5, 5, 30]);
  const flat = rows.assemble({
    fields: { temperature: 30 },
    views: [{ ...device, temperature_std_1h: 0 }, site],
    timeMs: T,
  });
  assert.equal(flat.row[0], 0); // the zero guard
  const noSite = rows.assemble({ fields: { temperature: 30 }, views: [device, null], timeMs: T });
  assert.deepEqual(noSite.missing, ["temperature_delta_site"]);
});

Deno.test("RowAssembler reads CSV text by each input's type", () => {
  const rows = new RowAssembler({
    inputs: [
      { name: "x", dtype: "float32" },
      { name: "flag", dtype: "bool" },
      {
        name: "code",
        dtype: "float32",
        transform: { kind: "crc32_mod", source: "cat", modulo: 10 },
      },
    ],
  });
  const a = rows.assemble({ fields: { x: " 12.5", flag: "True", cat: "12" }, timeMs: T }, {
    text: true,
  });
  assert.deepEqual(a.issues, []);
  assert.equal(a.row[0], 12.5);
  assert.equal(a.row[1], 1);
  const b = rows.assemble({ fields: { x: "abc", flag: "maybe", cat: "" }, timeMs: T }, {
    text: true,
  });
  assert.deepEqual(b.issues.map((i) => i.path), ["features.x", "features.flag"]);
  assert.deepEqual(b.missing, ["code"]); // an empty cell is missing
});

Deno.test("RowAssembler flags values outside the training range, or refuses them by policy", () => {
  const inputs: ModelInput[] = [{
    name: "x",
    dtype: "float32",
    training_range: { min: 0, max: 10 },
  }];
  const flag = new RowAssembler({ inputs }).assemble({ fields: { x: 11 }, timeMs: T });
  assert.deepEqual(flag.outOfRange, [{ feature: "x", value: 11, min: 0, max: 10 }]);
  assert.deepEqual(flag.issues, []);
  const refuse = new RowAssembler({ inputs, outOfRange: "refuse" }).assemble({
    fields: { x: 11 },
    timeMs: T,
  });
  assert.match(refuse.issues[0].message, /Outside the training range \[0, 10\]: 11/);
});

Deno.test("RowAssembler reads a JSON boolean as 0/1 only for format-1 models", () => {
  const inputs: ModelInput[] = [{ name: "is_weekend", dtype: "float32" }];
  const legacy = new RowAssembler({ inputs, booleansAsNumbers: true });
  assert.equal(legacy.assemble({ fields: { is_weekend: true }, timeMs: T }).row[0], 1);
  const strict = new RowAssembler({ inputs });
  assert.equal(strict.assemble({ fields: { is_weekend: true }, timeMs: T }).issues.length, 1);
});

Deno.test("RowAssembler refuses transforms that read each other in a cycle", () => {
  assert.throws(
    () =>
      new RowAssembler({
        inputs: [{
          name: "a",
          dtype: "float32",
          transform: { kind: "difference", a: "b", b: "c" },
        }],
        requestFeatures: [{
          name: "b",
          dtype: "float32",
          transform: { kind: "ratio", numerator: "a", denominator: "c" },
        }],
      }),
    (e: unknown) => e instanceof TransformError && /a → b → a/.test(e.message),
  );
});

Deno.test("RowAssembler.covers() tells whether the request alone gives every input", () => {
  const m = fraud.modelFeatures(["amount", "hour_of_day", "transaction_count_24h"]);
  const rows = new RowAssembler({ inputs: m.inputs, views: m.views });
  assert.equal(rows.covers({ amount: 5 }), false);
  assert.equal(rows.covers({ amount: 5, transaction_count_24h: 2 }), true);
});
