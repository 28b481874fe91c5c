import assert from "node:assert/strict";
import { decodeEvent, toBase64 } from "./_decode.ts";
import { loadExample } from "./definitions/load.ts";

const v = loadExample("fraud").validator("transactions");

const NOW = Date.UTC(2026, 2, 20, 12);
const ok = { event_id: "e", user_id: "u", amount: 1, timestamp: "2026-03-20T11:00:00Z" };

Deno.test("decodeEvent() rejects what Postgres could not store and labels reasons", () => {
  const nul = decodeEvent(JSON.stringify({ ...ok, merchant_category: "a\u0000b" }), NOW, v);
  assert.ok("label" in nul && nul.label === "unstorable_text");
  const lone = decodeEvent('{"event_id":"e","user_id":"\\ud800","amount":1}', NOW, v);
  assert.ok("label" in lone && lone.label === "unstorable_text");
  const key = decodeEvent(JSON.stringify({ ...ok, ["k\u0000"]: 1 }), NOW, v);
  assert.ok("label" in key && key.label === "unstorable_text");
  const escaped = decodeEvent(JSON.stringify({ ...ok, note: "\\u0000 is fine" }), NOW, v);
  assert.ok("timeMs" in escaped);
  const bad = decodeEvent(JSON.stringify({ ...ok, amount: "1" }), NOW, v);
  assert.ok("label" in bad && bad.label === "invalid_amount");
  const future = decodeEvent(
    JSON.stringify({ ...ok, timestamp: "2026-03-20T12:05:01Z" }),
    NOW,
    v,
  );
  assert.ok("label" in future && future.label === "invalid_timestamp");
  const good = decodeEvent(new TextEncoder().encode(JSON.stringify(ok)), NOW, v);
  assert.ok("timeMs" in good && good.timeMs === Date.UTC(2026, 2, 20, 11));
});

Deno.test("toBase64() encodes raw bytes and strings as UTF-8", () => {
  assert.equal(toBase64(new Uint8Array([0xff, 0x00])), "/wA=");
  assert.equal(toBase64("é"), "w6k=");
});

Deno.test("decodeEvent() keeps a valid payload's text, on one line, for the store", () => {
  const text =
    `{\n  "event_id": "e",\n  "user_id": "u",\n  "amount": 1.50,\n  "timestamp": "2026-03-20T11:00:00Z",\n  "note": "caf\\u00e9 \\n"\n}`;
  const d = decodeEvent(text, NOW, v);
  assert.ok("timeMs" in d);
  assert.equal(d.json, text.replaceAll("\n", " "));
  assert.ok(!d.json!.includes("\n"));
  assert.deepEqual(JSON.parse(d.json!), d.event);
  // A lone surrogate in the text itself (not escaped) is still caught.
  const raw = decodeEvent(`{"event_id":"e","user_id":"u\ud800","amount":1}`, NOW, v);
  assert.ok("label" in raw && raw.label === "unstorable_text");
});
