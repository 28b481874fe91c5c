/**
 * The contract every `FeatureStore` adapter must satisfy. Each adapter test
 * calls {@linkcode featureStoreContract} with a factory that builds a fresh,
 * empty, migrated store.
 *
 * @module
 */
import assert from "node:assert/strict";
import { compileView, DAY_MS, HOUR_MS, MINUTE_MS, planOf } from "../../pipeline/features/mod.ts";
import type { FeatureStore, TileRecord } from "../../pipeline/store/port.ts";
import { historyKey } from "../../pipeline/store/port.ts";
import { storedGrains, tileDeltas } from "../../pipeline/store/_tiles.ts";
import { FeatureViewError } from "../../pipeline/errors.ts";
import { loadExample } from "../../pipeline/definitions/load.ts";
import { ALL_VIEW, DEVICE_VIEW, FRAUD_VIEW, SITE_VIEW } from "../support/views.ts";
import {
  storedEvent as ev,
  storedReading as reading,
  storedThing as thing,
} from "./feature_store_fixtures.ts";

/** A store under test and how to release it. */
export interface StoreUnderTest {
  store: FeatureStore;
  close(): Promise<void>;
}

/** Builds a fresh, empty, migrated store. */
export type StoreFactory = () => Promise<StoreUnderTest>;

const T = Date.UTC(2026, 2, 20, 12, 0, 0);

function slot(tile: TileRecord, op: string, field: string | null): number | null {
  const plan = planOf(FRAUD_VIEW);
  const k = plan.full.num.findIndex((s) => s.op === op && plan.inputs[s.input].field === field);
  return tile.state[k];
}

function assertTilesClose(actual: TileRecord[], expected: TileRecord[]): void {
  const key = (t: TileRecord) => `${t.entityId}/${t.tileMs}/${t.tileIndex}`;
  const byKey = new Map(expected.map((t) => [key(t), t]));
  assert.deepEqual(actual.map(key).sort(), [...byKey.keys()].sort());
  for (const a of actual) {
    const e = byKey.get(key(a))!;
    assert.deepEqual(a.sets, e.sets, key(a));
    a.state.forEach((v, i) => {
      const w = e.state[i];
      assert.ok(
        v === w || (v !== null && w !== null && Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(w))),
        `${key(a)} slot ${i}: ${v} vs ${w}`,
      );
    });
  }
}

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
    assert.equal(await store.registerView(FRAUD_VIEW), "new");
    assert.equal(await store.registerView(FRAUD_VIEW), "current");
    const changed = compileView(
      { ...FRAUD_VIEW.definition, tail: FRAUD_VIEW.tailMs + 1 },
      FRAUD_VIEW.entityDefinition,
    );
    await assert.rejects(() => store.registerView(changed), FeatureViewError);
    const v2 = compileView({ ...changed.definition, version: 2 }, FRAUD_VIEW.entityDefinition);
    assert.equal(await store.registerView(v2), "new");
    await store.retireView("user_transactions", 1);
    const views = await store.listViews();
    assert.deepEqual(views.map((v) => [v.name, v.version, v.retiredAt !== null]), [
      ["user_transactions", 1, true],
      ["user_transactions", 2, false],
    ]);
    assert.equal(await store.registerView(FRAUD_VIEW), "current"); // back in the repository
    assert.equal((await store.listViews())[0].retiredAt, null);
    await store.dropView("user_transactions", 2);
    assert.deepEqual((await store.listViews()).map((v) => v.version), [1]);
  });

  test("registerSource() tells new, current and changed definitions apart", async (store) => {
    const source = loadExample("sensors").source("sensor_readings")!;
    assert.equal(await store.registerSource(source), "new");
    assert.equal(await store.registerSource(source), "current");
    assert.equal(await store.registerSource({ ...source, description: "changed" }), "changed");
    const [row] = await store.listSources();
    assert.equal(row.definition.description, "changed");
  });

  test("writeBatch() accepts each event id once per source, across batches", async (store) => {
    const a = await store.writeBatch([ev("a", "u1", T), ev("b", "u1", T + 1)], []);
    assert.deepEqual(a.map((e) => e.eventId), ["a", "b"]);
    const b = await store.writeBatch([ev("b", "u1", T + 5), ev("c", "u2", T)], []);
    assert.deepEqual(b.map((e) => e.eventId), ["c"]);
    // The same id in another source is another event.
    const c = await store.writeBatch([reading("a", "d1", "s1", T, 20)], []);
    assert.equal(c.length, 1);
    assert.equal(await store.countEvents(), 4);
    assert.equal(await store.countEvents("transactions"), 3);
    const loaded = await store.loadEvents(FRAUD_VIEW, ["u1"], 0, T + 10);
    assert.deepEqual(loaded.get("u1")!.map((e) => e.timeMs), [T, T + 1]); // first accepted wins
  });

  test("writeBatchWithHistory() tells which entities had events before the batch", async (store) => {
    await store.writeBatch([ev("a", "u1", T), ev("c", "u3", T - 50)], []);
    const keys = ["u1", "u2", "u3", "u4"].map((id) => ({
      source: "transactions",
      entity: "user",
      id,
    }));
    const r = await store.writeBatchWithHistory(
      [ev("b", "u2", T + 100), ev("d", "u1", T + 200)],
      [],
      { keys, fromMs: T - 10 },
    );
    assert.deepEqual(r.accepted.map((e) => e.eventId), ["b", "d"]);
    // u2: only this batch's own event; u3: too old; u4: none.
    assert.deepEqual([...r.history], [historyKey(keys[0])]);
    const replay = await store.writeBatchWithHistory([ev("b", "u2", T + 100)], [], {
      keys: [keys[1]],
      fromMs: T - 10,
    });
    assert.deepEqual(replay.accepted, []);
    assert.deepEqual([...replay.history], [historyKey(keys[1])]); // stored by the first attempt
    const none = await store.writeBatchWithHistory([], [], { keys: [], fromMs: 0 });
    assert.deepEqual(none, { accepted: [], history: new Set() });
  });

  test("writeBatch() is exactly-once under concurrent writers", async (store) => {
    const events = Array.from({ length: 50 }, (_, i) => ev(`e${i}`, `u${i % 5}`, T + i));
    const results = await Promise.all([
      store.writeBatch(events, []),
      store.writeBatch([...events].reverse(), []),
    ]);
    assert.equal(results[0].length + results[1].length, 50);
    const tiles = await store.readTiles(FRAUD_VIEW, "u0");
    const day = tiles.find((t) => t.tileMs === DAY_MS)!;
    assert.equal(slot(day, "n", null), 10);
  });

  test("writeBatch() merges tiles across batches slot by slot, as one pass over the events would", async (store) => {
    const batches = [
      [
        thing("a", "t1", T, { kind: "a", x: 5, tag: "p" }),
        thing("b", "t1", T + 1000, { kind: "b", x: -7, tag: "q" }),
      ],
      [
        thing("c", "t1", T + 1000, { kind: "b", x: 9 }), // same time as b: last takes the greater
        thing("d", "t1", T - 2 * HOUR_MS, { kind: "a", x: null, tag: "p" }),
        thing("e", "t1", T + 5000, { kind: "c", x: 1000 }), // rejected by the view filter
      ],
      [thing("f", "t1", T + 3000, { kind: "a", x: 2.5, tag: "r" })],
    ];
    for (const b of batches) await store.writeBatch(b, []);
    const expected = tileDeltas(
      ALL_VIEW,
      batches.flat().flatMap((e) => e.views),
      store.minTileMs,
    );
    const stored = new Set(storedGrains(ALL_VIEW, store.minTileMs));
    const tiles = (await store.readTiles(ALL_VIEW, "t1")).filter((t) => stored.has(t.tileMs));
    assertTilesClose(tiles, expected);
  });

  test("writeBatch() keeps fraud tiles with category multisets, finer sizes only when asked", async (store) => {
    await store.writeBatch(
      [ev("a", "u1", T, 5, "grocery"), ev("b", "u1", T + 1000, 7, "travel")],
      [],
    );
    await store.writeBatch(
      [ev("c", "u1", T + 2000, 3, "grocery"), ev("d", "u1", T - DAY_MS, 100)],
      [],
    );
    const tiles = await store.readTiles(FRAUD_VIEW, "u1");
    const hour = tiles.find((t) =>
      t.tileMs === HOUR_MS && t.tileIndex === Math.floor(T / HOUR_MS)
    )!;
    assert.equal(slot(hour, "n", null), 3);
    assert.equal(slot(hour, "s", "amount"), 15);
    assert.equal(slot(hour, "max", "amount"), 7);
    assert.equal(slot(hour, "t", null), T + 2000);
    assert.deepEqual(hour.sets, [{ grocery: 2, travel: 1 }]);
    const minutes = tiles.filter((t) => t.tileMs === MINUTE_MS);
    if (store.minTileMs <= MINUTE_MS) {
      assert.equal(minutes.reduce((n, t) => n + (slot(t, "n", null) ?? 0), 0), 4);
    } else {
      assert.deepEqual(minutes, []); // finer than the store keeps
    }
    const days = tiles.filter((t) => t.tileMs === DAY_MS);
    assert.equal(days.reduce((n, t) => n + (slot(t, "n", null) ?? 0), 0), 4);
  });

  test("backfill() rebuilds the same tiles from raw events", async (store) => {
    await store.registerView(FRAUD_VIEW);
    for (let i = 0; i < 4; i++) {
      await store.writeBatch(
        Array.from(
          { length: 25 },
          (_, j) => ev(`e${i}-${j}`, `u${j % 3}`, T - j * 37 * MINUTE_MS, j, j % 2 ? "a" : "b"),
        ),
        [],
      );
    }
    const before = await store.readTiles(FRAUD_VIEW, "u1");
    assert.ok((await store.backfill(FRAUD_VIEW)) > 0);
    assertTilesClose(await store.readTiles(FRAUD_VIEW, "u1"), before);
  });

  test("loadEvents() returns one entity type's events of [from, to), sorted by time", async (store) => {
    await store.writeBatch(
      [ev("c", "u1", T + 2), ev("a", "u1", T), ev("b", "u1", T + 1), ev("z", "u2", T)],
      [],
    );
    const m = await store.loadEvents(FRAUD_VIEW, ["u1", "u2", "u3"], T + 1, T + 3);
    assert.deepEqual(m.get("u1")!.map((e) => e.timeMs), [T + 1, T + 2]);
    assert.equal(m.has("u2"), false);
    assert.equal(m.has("u3"), false);
    assert.deepEqual(
      (await store.loadPayloads("transactions", ["a", "nope"])).get("a")?.event_id,
      "a",
    );
    assert.deepEqual(await store.listEntities("transactions", "user", 0, null, 10), ["u1", "u2"]);
    assert.deepEqual(await store.listEntities("transactions", "user", 0, "u1", 10), ["u2"]);
  });

  test("loadEvents() takes one lower bound per entity, an entity named twice once", async (store) => {
    await store.writeBatch(
      [ev("a", "u1", T), ev("b", "u1", T + 5), ev("c", "u2", T), ev("d", "u2", T + 5)],
      [],
    );
    const m = await store.loadEvents(FRAUD_VIEW, ["u1", "u2", "u1"], [T + 1, T, T + 6], T + 10);
    assert.deepEqual(m.get("u1")!.map((e) => e.timeMs), [T + 5]);
    assert.deepEqual(m.get("u2")!.map((e) => e.timeMs), [T, T + 5]);
    await assert.rejects(store.loadEvents(FRAUD_VIEW, ["u1"], [T, T], T + 10), RangeError);
  });

  test("loadEvents() finds a reading under its device and its site", async (store) => {
    await store.writeBatch([
      reading("r1", "d1", "s1", T, 20),
      reading("r2", "d2", "s1", T + 1, null),
      reading("r3", "d1", "s2", T + 2, 22),
    ], []);
    const sites = await store.loadEvents(SITE_VIEW, ["s1"], 0, T + 10);
    assert.deepEqual(sites.get("s1")!.map((e) => e.timeMs), [T, T + 1]);
    const devices = await store.loadEvents(DEVICE_VIEW, ["d1"], 0, T + 10);
    assert.deepEqual(devices.get("d1")!.map((e) => e.timeMs), [T, T + 2]);
    assert.deepEqual(await store.listEntities("sensor_readings", "site", 0, null, 10), [
      "s1",
      "s2",
    ]);
  });

  test("writeDeadLetters() keeps the source, reason, base64 payload and meta", async (store) => {
    await store.writeBatch([], [{
      reason: "Payload is not JSON",
      payloadBase64: "/w==",
      meta: { line: "3" },
      source: "transactions",
    }]);
    await store.writeDeadLetters([{ reason: "gave up", payloadBase64: "AA==", meta: {} }]);
    const rows = await store.listDeadLetters(10);
    assert.deepEqual(rows.map((r) => r.reason), ["gave up", "Payload is not JSON"]);
    assert.equal(rows[1].payloadBase64, "/w==");
    assert.equal(rows[1].source, "transactions");
    assert.equal(rows[0].source, undefined);
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
