import assert from "node:assert/strict";
import { chooseArm, fnv1a } from "./routing.ts";

Deno.test("chooseArm() is sticky and close to the configured share", () => {
  const split = { mode: "canary" as const, challenger_percent: 10 };
  let challenger = 0;
  for (let i = 0; i < 10_000; i++) {
    const a = chooseArm(split, true, `user_${i}`);
    assert.deepEqual(chooseArm(split, true, `user_${i}`), a);
    if (a.variant === "challenger") challenger++;
  }
  assert.ok(challenger > 800 && challenger < 1200, `${challenger}`);
});

Deno.test("chooseArm() serves the champion without a challenger and shadows in shadow mode", () => {
  assert.equal(
    chooseArm({ mode: "canary", challenger_percent: 100 }, false, "x").variant,
    "champion",
  );
  assert.deepEqual(chooseArm({ mode: "shadow", challenger_percent: 0 }, true, "x"), {
    variant: "champion",
    shadow: true,
  });
  assert.equal(
    chooseArm({ mode: "canary", challenger_percent: 100 }, true, "x").variant,
    "challenger",
  );
  assert.equal(chooseArm({ mode: "canary", challenger_percent: 0 }, true, "x").variant, "champion");
});

Deno.test("fnv1a() matches the reference FNV-1a 32-bit values", () => {
  assert.equal(fnv1a(""), 0x811c9dc5);
  assert.equal(fnv1a("a"), 0xe40c292c);
  assert.equal(fnv1a("foobar"), 0xbf9cf968);
});
