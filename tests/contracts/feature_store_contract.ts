/**
 * The contract every `FeatureStore` adapter must satisfy. Each adapter test
 * calls {@linkcode featureStoreContract} with a factory that builds a fresh,
 * empty, migrated store.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DAY_MS, DEMO_VIEW, HOUR_MS, MINUTE_MS } from "../../pipeline/features/mod.ts";
import type { FeatureStore } from "../../pipeline/store/port.ts";
import { FeatureViewError } from "../../pipeline/errors.ts";
import { storedEvent as ev } from "./feature_store_fixtures.ts";

/** A store under test and how to release it. */
export interface StoreUnderTest {
  store: FeatureStore;
  close(): Promise<void>;
}

/** Builds a fresh, empty, migrated store. */
export type StoreFactory = () => Promise<StoreUnderTest>;

const T = Date.UTC(2026, 2, 20, 12, 0, 0);

/** Registers the contract tests for one adapter. */
export function featureStoreContract(name: string, factory: StoreFactory): void {
  const test = (what: string, fn: (store: FeatureStore) => Promise<void>) =>
    Deno.test(`${name} ${what}`, async () => {
      const s = await factory();
      try {
        await fn(s.store);
      } finally {
        await s.close();
      }
    });

  test("migrate() is idempotent and registerView() detects a changed definition", async (store) => {
    await store.migrate();
    assert.equal(await store.registerView(DEMO_VIEW), "new");
    assert.equal(await store.registerView(DEMO_VIEW), "current");
    const changed = { ...DEMO_VIEW, tailMs: DEMO_VIEW.tailMs + 1 };
    await assert.rejects(() => store.registerView(changed), FeatureViewError);
    assert.equal(await store.registerView({ ...changed, version: 2 }), "new");
  });

  test("writeBatch() accepts each event_id once, across batches", async (store) => {
    const a = await store.writeBatch([ev("a", "u1", T), ev("b", "u1", T + 1)], [], [DEMO_VIEW]);
    assert.deepEqual(a.map((e) => e.eventId), ["a", "b"]);
    const b = await store.writeBatch([ev("b", "u1", T + 5), ev("c", "u2", T)], [], [DEMO_VIEW]);
    assert.deepEqual(b.map((e) => e.eventId), ["c"]);
    assert.equal(await store.countEvents(), 3);
    const loaded = await store.loadEvents(DEMO_VIEW, ["u1"], 0, T + 10);
    assert.deepEqual(loaded.get("u1")!.map((e) => e.timeMs), [T, T + 1]); // first accepted wins
  });

  test("writeBatchWithHistory() tells which entities had events before the batch", async (store) => {
    await store.writeBatch([ev("a", "u1", T), ev("c", "u3", T - 50)], [], [DEMO_VIEW]);
    const entityIds = ["u1", "u2", "u3", "u4"];
    const r = await store.writeBatchWithHistory(
      [ev("b", "u2", T + 100), ev("d", "u1", T + 200)],
      [],
      [DEMO_VIEW],
      { entityIds, fromMs: T - 10 },
    );
    assert.deepEqual(r.accepted.map((e) => e.eventId), ["b", "d"]);
    // u2: only this batch's own event; u3: too old; u4: none.
    assert.deepEqual([...r.history], ["u1"]);
    const replay = await store.writeBatchWithHistory([ev("b", "u2", T + 100)], [], [DEMO_VIEW], {
      entityIds: ["u2"],
      fromMs: T - 10,
    });
    assert.deepEqual(replay.accepted, []);
    assert.deepEqual([...replay.history], ["u2"]); // stored by the first attempt
    const none = await store.writeBatchWithHistory([], [], [DEMO_VIEW], {
      entityIds: [],
      fromMs: 0,
    });
    assert.deepEqual(none, { accepted: [], history: new Set() });
  });

  test("writeBatch() is exactly-once under concurrent writers", async (store) => {
    const events = Array.from({ length: 50 }, (_, i) => ev(`e${i}`, `u${i % 5}`, T + i));
    const results = await Promise.all([
      store.writeBatch(events, [], [DEMO_VIEW]),
      store.writeBatch([...events].reverse(), [], [DEMO_VIEW]),
    ]);
    assert.equal(results[0].length + results[1].length, 50);
    const tiles = await store.readTiles(DEMO_VIEW, "u0");
    const day = tiles.find((t) => t.tileMs === DAY_MS)!;
    assert.equal(day.count, 10);
  });

  test("writeBatch() sums tiles across batches with category multisets", async (store) => {
    await store.writeBatch(
      [ev("a", "u1", T, 5, "grocery"), ev("b", "u1", T + 1000, 7, "travel")],
      [],
      [DEMO_VIEW],
    );
    await store.writeBatch(
      [ev("c", "u1", T + 2000, 3, "grocery"), ev("d", "u1", T - DAY_MS, 100)],
      [],
      [DEMO_VIEW],
    );
    const tiles = await store.readTiles(DEMO_VIEW, "u1");
    const hour = tiles.find((t) =>
      t.tileMs === HOUR_MS && t.tileIndex === Math.floor(T / HOUR_MS)
    )!;
    assert.equal(hour.count, 3);
    assert.equal(hour.sum, 15);
    assert.equal(hour.max, 7);
    assert.equal(hour.maxTimeMs, T + 2000);
    assert.deepEqual(hour.categories, { grocery: 2, travel: 1 });
    const minutes = tiles.filter((t) => t.tileMs === MINUTE_MS);
    if (store.minTileMs <= MINUTE_MS) {
      assert.equal(minutes.reduce((n, t) => n + t.count, 0), 4);
      assert.deepEqual(minutes[0].categories, {}); // no distinct feature on 1-minute tiles
    } else {
      assert.deepEqual(minutes, []); // finer than the store keeps
    }
    const days = tiles.filter((t) => t.tileMs === DAY_MS);
    assert.equal(days.reduce((n, t) => n + t.count, 0), 4);
  });

  test("backfill() rebuilds the same tiles from raw events", async (store) => {
    await store.registerView(DEMO_VIEW);
    for (let i = 0; i < 4; i++) {
      await store.writeBatch(
        Array.from(
          { length: 25 },
          (_, j) => ev(`e${i}-${j}`, `u${j % 3}`, T - j * 37 * MINUTE_MS, j, j % 2 ? "a" : "b"),
        ),
        [],
        [DEMO_VIEW],
      );
    }
    const before = await store.readTiles(DEMO_VIEW, "u1");
    assert.ok((await store.backfill(DEMO_VIEW)) > 0);
    assert.deepEqual(await store.readTiles(DEMO_VIEW, "u1"), before);
  });

  test("loadEvents() returns [from, to) per entity, sorted by time", async (store) => {
    await store.writeBatch(
      [ev("c", "u1", T + 2), ev("a", "u1", T), ev("b", "u1", T + 1), ev("z", "u2", T)],
      [],
      [DEMO_VIEW],
    );
    const m = await store.loadEvents(DEMO_VIEW, ["u1", "u2", "u3"], T + 1, T + 3);
    assert.deepEqual(m.get("u1")!.map((e) => e.timeMs), [T + 1, T + 2]);
    assert.equal(m.has("u2"), false);
    assert.equal(m.has("u3"), false);
    assert.deepEqual((await store.loadPayloads(["a", "nope"])).get("a")?.event_id, "a");
    assert.deepEqual(await store.listEntities(0, null, 10), ["u1", "u2"]);
    assert.deepEqual(await store.listEntities(0, "u1", 10), ["u2"]);
  });

  test("writeDeadLetters() keeps reason, base64 payload and meta", async (store) => {
    await store.writeBatch([], [{
      reason: "Payload is not JSON",
      payloadBase64: "/w==",
      meta: { line: "3" },
    }], [
      DEMO_VIEW,
    ]);
    await store.writeDeadLetters([{ reason: "gave up", payloadBase64: "AA==", meta: {} }]);
    const rows = await store.listDeadLetters(10);
    assert.deepEqual(rows.map((r) => r.reason), ["gave up", "Payload is not JSON"]);
    assert.equal(rows[1].payloadBase64, "/w==");
    assert.deepEqual(rows[1].meta, { line: "3" });
    assert.ok(rows[0].createdAt instanceof Date && !Number.isNaN(rows[0].createdAt.getTime()));
  });

  test("markDeadLettersReplayed() keeps the row and records when and as which event", async (store) => {
    await store.writeDeadLetters([
      { reason: "bad amount", payloadBase64: "e30=", meta: { source: "http" } },
      { reason: "bad time", payloadBase64: "e30=", meta: {} },
    ]);
    const [second, first] = await store.listDeadLetters(10);
    await store.markDeadLettersReplayed([{ id: first.id, eventId: "e-fixed" }], T);
    const rows = await store.getDeadLetters([second.id, first.id, 999_999]);
    assert.deepEqual(rows.map((r) => r.id), [first.id, second.id]);
    assert.deepEqual(rows[0].meta, {
      source: "http",
      replayed_at: new Date(T).toISOString(),
      replayed_event_id: "e-fixed",
    });
    assert.equal(rows[0].reason, "bad amount");
    assert.deepEqual(rows[1].meta, {});
    assert.deepEqual(await store.getDeadLetters([]), []);
  });
}
