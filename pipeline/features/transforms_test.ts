import assert from "node:assert/strict";
import {
  applyCombine,
  applyTransform,
  crc32,
  transformDomain,
  TransformError,
} from "./transforms.ts";

Deno.test("crc32() matches zlib's value for known strings", () => {
  assert.equal(crc32(""), 0);
  assert.equal(crc32("The quick brown fox jumps over the lazy dog"), 0x414fa339);
  assert.equal(crc32("électronique"), crc32("électronique"));
});

Deno.test("applyTransform() encodes a category as crc32 % modulo", () => {
  const spec = { kind: "crc32_mod", source: "merchant_category", modulo: 100 } as const;
  assert.equal(applyTransform(spec, "electronics"), crc32("electronics") % 100);
  assert.throws(() => applyTransform(spec, null), TransformError);
  assert.equal(
    applyTransform({ ...spec, missing: "unknown" }, null),
    crc32("unknown") % 100,
  );
});

Deno.test("applyTransform() reads time parts in UTC, Monday = 0", () => {
  // 2026-03-21 is a Saturday.
  const ts = "2026-03-21T23:30:00+02:00"; // 21:30 UTC
  assert.equal(applyTransform({ kind: "hour_of_day", source: "timestamp" }, ts), 21);
  assert.equal(applyTransform({ kind: "day_of_week", source: "timestamp" }, ts), 5);
  assert.equal(applyTransform({ kind: "is_weekend", source: "timestamp" }, ts), 1);
  assert.equal(applyTransform({ kind: "is_night", source: "timestamp" }, ts), 0);
  assert.equal(
    applyTransform({ kind: "hour_of_day", source: "timestamp" }, "2026-03-21T03:00:00"),
    3,
  );
});

Deno.test("applyTransform() log1p and bool", () => {
  assert.equal(applyTransform({ kind: "log1p", source: "amount" }, 0), 0);
  assert.ok(Math.abs(applyTransform({ kind: "log1p", source: "amount" }, Math.E - 1) - 1) < 1e-12);
  assert.equal(applyTransform({ kind: "bool", source: "is_weekend" }, false), 0);
  assert.throws(
    () => applyTransform({ kind: "identity", source: "amount" }, "12"),
    /amount|number/,
  );
});

Deno.test("applyCombine() gives difference, ratio and z-score with their zero guards", () => {
  assert.equal(applyCombine({ kind: "difference", a: "t", b: "m" }, [5, 7]), -2);
  assert.equal(applyCombine({ kind: "ratio", numerator: "c", denominator: "i" }, [3, 4]), 0.75);
  assert.equal(applyCombine({ kind: "ratio", numerator: "c", denominator: "i" }, [3, 0]), 0);
  assert.equal(applyCombine({ kind: "zscore", value: "t", mean: "m", std: "s" }, [12, 10, 4]), 0.5);
  assert.equal(applyCombine({ kind: "zscore", value: "t", mean: "m", std: "s" }, [12, 10, 0]), 0);
});

Deno.test("transformDomain() bounds the transforms with bounded outputs", () => {
  assert.deepEqual(transformDomain({ kind: "hour_of_day", source: "timestamp" }), {
    min: 0,
    max: 23,
  });
  assert.deepEqual(transformDomain({ kind: "crc32_mod", source: "c", modulo: 10 }), {
    min: 0,
    max: 9,
  });
  assert.equal(transformDomain({ kind: "identity", source: "amount" }), undefined);
});
