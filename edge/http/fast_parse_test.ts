import assert from "node:assert/strict";
import fc from "fast-check";
import { BatchPredictRequestSchema, PredictRequestSchema } from "../../schemas/prediction.ts";
import { fastBatchRequest, fastPredictRequest } from "./fast_parse.ts";

const value = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
);
const features = fc.dictionary(fc.string(), value, { maxKeys: 5 });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const body = fc.record({
  features: maybe(fc.oneof(features, value)),
  entity_id: maybe(fc.oneof(fc.string({ maxLength: 300 }), value)),
  entities: maybe(fc.oneof(
    fc.dictionary(fc.string({ maxLength: 70 }), fc.oneof(fc.string({ maxLength: 300 }), value), {
      maxKeys: 10,
    }),
    value,
  )),
  model_name: maybe(fc.oneof(fc.string({ maxLength: 120 }), value)),
  version: maybe(fc.oneof(fc.string(), value)),
  return_probabilities: maybe(value),
  timestamp: maybe(value),
  explain: maybe(value),
  explain_top: maybe(fc.oneof(fc.integer({ min: -2, max: 1002 }), fc.double(), value)),
  extra: maybe(value),
}, { requiredKeys: [] });

Deno.test("fastPredictRequest() never accepts what the zod schema rejects, and agrees on the value", () => {
  fc.assert(
    fc.property(fc.oneof(body, value), (raw) => {
      const v = JSON.parse(JSON.stringify(raw ?? null));
      const fast = fastPredictRequest(v);
      const slow = PredictRequestSchema.safeParse(v);
      if (fast !== undefined) {
        assert.ok(slow.success);
        assert.deepEqual(fast, slow.data);
      }
    }),
    { numRuns: 2000 },
  );
  const ok = {
    features: { amount: 1, c: "x", b: true, n: null },
    entity_id: "u",
    entities: { device_id: "d1", site_id: "s1" },
    version: "2",
    explain: true,
    explain_top: 3,
  };
  assert.deepEqual(fastPredictRequest(ok), PredictRequestSchema.parse(ok));
  assert.equal(fastPredictRequest(ok)?.explain_top, 3);
  const batch = { instances: [{ a: 1 }], explain: false, explain_top: 2 };
  assert.deepEqual(fastBatchRequest(batch), BatchPredictRequestSchema.parse(batch));
});

Deno.test("fastBatchRequest() never accepts what the zod schema rejects, and agrees on the value", () => {
  const batch = fc.record({
    instances: fc.oneof(fc.array(fc.oneof(features, value), { maxLength: 4 }), value),
    entities: maybe(fc.oneof(fc.dictionary(fc.string({ maxLength: 3 }), fc.string()), value)),
    model_name: maybe(fc.oneof(fc.string({ maxLength: 120 }), value)),
    return_probabilities: maybe(value),
    explain: maybe(value),
    explain_top: maybe(fc.oneof(fc.integer({ min: -2, max: 1002 }), value)),
  }, { requiredKeys: [] });
  fc.assert(
    fc.property(batch, (raw) => {
      const v = JSON.parse(JSON.stringify(raw));
      const fast = fastBatchRequest(v);
      const slow = BatchPredictRequestSchema.safeParse(v);
      if (fast !== undefined) {
        assert.ok(slow.success);
        assert.deepEqual(fast, slow.data);
      }
    }),
    { numRuns: 2000 },
  );
  assert.ok(fastBatchRequest({ instances: [{ a: 1 }] }));
});
