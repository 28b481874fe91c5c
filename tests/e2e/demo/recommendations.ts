/**
 * The recommendations use case of the demo: interactions of the example's
 * seeded generator (drifting category preferences, changing popularity,
 * position bias), ending now, with event, user and item ids made unique to
 * the run; impressions labelled by a click of the same user on the same
 * item within 30 minutes; invalid messages (a sensor reading among them)
 * whose fate the demo checks; `/predict` requests naming a user, an item and
 * its category (three entity types, one of them a composite key) and `/rank`
 * requests scoring a slate of candidates for a user.
 *
 * @module
 */
import { loadExample } from "../../../pipeline/mod.ts";
import { RANKER_FEATURES } from "../../../pipeline/examples/recommendations/training.ts";
import { labelImpressions } from "../../../pipeline/examples/recommendations/training.ts";
import {
  generateInteractions,
  type InteractionOptions,
} from "../../../pipeline/examples/recommendations/generator.ts";
import { entityIdOf } from "../../../pipeline/features/view.ts";
import {
  type DemoEvent,
  type DemoRequest,
  type DemoStream,
  type DemoUseCase,
  spreadOverStreams,
} from "./use_case.ts";

const encoder = new TextEncoder();
const USER_CATEGORY_KEYS = ["user_id", "item_category"] as const;

/** Invalid messages: each contains the run id so its dead letter can be found again. */
function invalidPayloads(runId: string, nowMs: number) {
  let n = 0;
  const interaction = (over: Record<string, unknown>) =>
    encoder.encode(JSON.stringify({
      event_id: `bad-${runId}-${n++}`,
      user_id: `demo-${runId}`,
      item_id: `demo-${runId}`,
      item_category: "cat_a",
      event_type: "click",
      timestamp: new Date(nowMs - 60_000).toISOString(),
      price: 10,
      ...over,
    }));
  const list = [
    { kind: "truncated JSON", value: encoder.encode(`{"event_id":"bad-${runId}-trunc","use`) },
    {
      kind: "not UTF-8",
      value: new Uint8Array([0xff, 0xfe, ...encoder.encode(`bad-${runId}-bytes`), 0xc3, 0x28]),
    },
    { kind: "event type 'view'", value: interaction({ event_type: "view" }) },
    { kind: "price above 100 000", value: interaction({ price: 250_000 }) },
    { kind: "price is a string", value: interaction({ price: "9.99" }) },
    { kind: "unknown field position", value: interaction({ position: 3 }) },
    {
      kind: "timestamp 1 h in the future",
      value: interaction({ timestamp: new Date(nowMs + 3_600_000).toISOString() }),
    },
    { kind: "missing item_category", value: interaction({ item_category: undefined }) },
    { kind: "user_id of 65 characters", value: interaction({ user_id: "u".repeat(65) }) },
    {
      kind: "a reading of the sensors source",
      value: encoder.encode(JSON.stringify({
        event_id: `reading-${runId}`,
        device_id: `device.${runId}`,
        site_id: "site_01",
        timestamp: new Date(nowMs - 60_000).toISOString(),
        temperature: 41.5,
      })),
    },
  ];
  return list.map((p) => ({ ...p, key: `demo-${runId}` }));
}

/** Builds the run's interactions (ending 1 s before `nowMs`) spread over the three streams. */
export function buildInteractionStream(
  runId: string,
  nowMs: number,
  options: InteractionOptions = {},
): DemoStream {
  const data = generateInteractions({ ...options, endMs: nowMs - 1000 });
  if (data.length === 0) {
    throw new Error(`No interactions in ${options.hours} h: give more hours`);
  }
  const events: DemoEvent[] = data.map(({ event: e }) => ({
    ...e,
    event_id: `${e.event_id}.${runId}`,
    user_id: `${e.user_id}.${runId}`,
    item_id: `${e.item_id}.${runId}`,
  }));
  const spread = spreadOverStreams(events, (e) => String(e.user_id), invalidPayloads(runId, nowMs));
  const labels = labelImpressions(data);
  return {
    events,
    ...spread,
    entities: {
      user: [...new Set(events.map((e) => String(e.user_id)))],
      item: [...new Set(events.map((e) => String(e.item_id)))],
      user_category: [...new Set(events.map((e) => entityIdOf(USER_CATEGORY_KEYS, e)!))],
    },
    // One label per impression, by event id: the export reads its user, item and category.
    labels: data.flatMap((r, i) =>
      r.event.event_type === "impression"
        ? [{
          keys: {},
          eventId: events[i].event_id,
          timeMs: r.timeMs,
          label: labels.get(r.event.event_id)!,
        }]
        : []
    ),
  };
}

/** Per run: the users, and the items with their category and price (first seen). */
const catalogueOf = new WeakMap<DemoStream, { users: string[]; items: DemoEvent[] }>();
function catalogue(stream: DemoStream) {
  let c = catalogueOf.get(stream);
  if (!c) {
    const items = new Map<string, DemoEvent>();
    for (const e of stream.events) {
      if (!items.has(String(e.item_id))) items.set(String(e.item_id), e);
    }
    c = { users: stream.entities.user, items: [...items.values()] };
    catalogueOf.set(stream, c);
  }
  return c;
}

/** A `/predict` request: `user` and the `item` (with its category) at `price`. */
function pair(model: string, user: string, item: DemoEvent, price: number) {
  return {
    model_name: model,
    entities: {
      user_id: user,
      item_id: String(item.item_id),
      item_category: String(item.item_category),
    },
    features: { price },
  };
}

/** The recommendations use case: `ctr_ranker` on the user, item and user × category views. */
export function recommendationsUseCase(options: InteractionOptions = {}): DemoUseCase {
  return {
    example: "recommendations",
    repository: loadExample("recommendations"),
    source: "interactions",
    model: "ctr_ranker",
    features: RANKER_FEATURES,
    wording: {
      events: "generated interactions (impressions, clicks, purchases), ending now,",
      spread: "each user's, item's and user × category's interactions arrive through all " +
        "three, so three workers update one entity's state concurrently",
      positive: "click",
      newest: "newest interaction",
      shown: ["user_ctr_24h", "item_ctr_24h", "user_category_clicks_7d"],
    },
    buildStream: (runId, nowMs) => Promise.resolve(buildInteractionStream(runId, nowMs, options)),
    samples: () => Promise.resolve([]),
    byEntity: (stream, model): DemoRequest[] => {
      const { users, items } = catalogue(stream);
      return [0, 1, 2, 3, 4].map((k) => {
        const user = users[k % users.length], item = items[(k * 7) % items.length];
        return {
          name: `${user} × ${item.item_id} (${item.item_category})`,
          body: pair(model, user, item, Number(item.price)),
        };
      });
    },
    loadRequest: (stream, model, i) => {
      const { users, items } = catalogue(stream);
      // A new price every time: the prediction cache would otherwise answer repeated rows.
      return pair(model, users[i % users.length], items[i % items.length], 1 + (i % 5000) * 0.01);
    },
    rankRequests: (stream, model) => {
      const { users, items } = catalogue(stream);
      return [0, 1].map((k) => ({
        name: `${users[k]}: ${Math.min(100, items.length)} candidates`,
        body: {
          model_name: model,
          user_id: users[k],
          candidates: items.slice(0, 100).map((e) => ({
            item_id: String(e.item_id),
            item_category: String(e.item_category),
            price: Number(e.price),
          })),
          top_k: 10,
        },
      }));
    },
    freshEvent(stream, model, k, source, timeMs) {
      const { users, items } = catalogue(stream);
      const user = users[users.length - 1 - k];
      const item = items[items.length - 1 - k];
      const event = {
        event_id: `fresh-${source}-${model}`,
        user_id: user,
        item_id: String(item.item_id),
        item_category: String(item.item_category),
        event_type: "click",
        timestamp: new Date(timeMs).toISOString(),
        price: Number(item.price),
      };
      return {
        key: user,
        entities: {
          user,
          item: event.item_id,
          user_category: entityIdOf(USER_CATEGORY_KEYS, event)!,
        },
        event,
        request: (i) => pair(model, user, item, 1 + (i % 5000) * 0.01),
      };
    },
  };
}
