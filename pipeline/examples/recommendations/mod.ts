/**
 * The recommendations example (real-time personalisation): impressions,
 * clicks and purchases of items by users. Windowed click-through features
 * per user, per item and per user × item category (a composite key),
 * request-time click-through ratios and the candidate's price, and a GBDT
 * `ctr_ranker` that scores candidates for `POST /rank`, trained on
 * impressions labelled by a click of the same user on the same item within
 * 30 minutes (`training.ts`).
 *
 * @module
 */
import {
  defineEntity,
  defineFeatureView,
  defineRepository,
  defineRequestFeature,
  defineSource,
} from "../../definitions/define.ts";

/** A user. */
export const user = defineEntity({ name: "user", keys: ["user_id"] });
/** An item (a candidate of a ranking). */
export const item = defineEntity({ name: "item", keys: ["item_id"] });
/** A user's interest in one item category: a composite key. */
export const userCategory = defineEntity({
  name: "user_category",
  keys: ["user_id", "item_category"],
});

/** One interaction of a user with an item. */
export const interactions = defineSource({
  name: "interactions",
  description: "Interactions of users with items: impressions, clicks and purchases",
  eventId: "event_id",
  timestamp: "timestamp",
  fields: {
    event_id: { type: "string", minLength: 1, maxLength: 128 },
    user_id: { type: "string", minLength: 1, maxLength: 64 },
    item_id: { type: "string", minLength: 1, maxLength: 64 },
    item_category: { type: "string", minLength: 1, maxLength: 64 },
    event_type: { type: "string", enum: ["impression", "click", "purchase"] },
    timestamp: { type: "timestamp" },
    price: { type: "number", min: 0, max: 100_000, optional: true },
  },
  extraFields: "reject",
  routing: {
    kafkaTopic: "interactions",
    kinesisStream: "interactions",
    pubsubTopic: "interactions",
    pubsubSubscription: "interactions-workers",
    httpPath: "interactions",
  },
});

const is = (type: "impression" | "click" | "purchase") =>
  ({ field: "event_type", op: "==", value: type }) as const;

/** A user's recent interactions, over every item. */
export const userInteractions = defineFeatureView({
  name: "user_interactions",
  version: 1,
  entity: "user",
  source: "interactions",
  features: [
    {
      name: "user_impressions_24h",
      aggregate: "count",
      where: is("impression"),
      window: "24h",
      tile: "1h",
    },
    { name: "user_clicks_24h", aggregate: "count", where: is("click"), window: "24h", tile: "1h" },
    {
      name: "user_purchases_7d",
      aggregate: "count",
      where: is("purchase"),
      window: "7d",
      tile: "1d",
    },
    {
      name: "user_distinct_categories_7d",
      aggregate: "distinct",
      field: "item_category",
      window: "7d",
      tile: "1d",
    },
    {
      name: "seconds_since_last_click",
      aggregate: "seconds_since_last",
      where: is("click"),
      window: "7d",
      tile: "1d",
      empty: 604_800,
    },
  ],
});

/** An item's recent interactions, over every user. */
export const itemInteractions = defineFeatureView({
  name: "item_interactions",
  version: 1,
  entity: "item",
  source: "interactions",
  features: [
    {
      name: "item_impressions_1h",
      aggregate: "count",
      where: is("impression"),
      window: "1h",
      tile: "1m",
    },
    { name: "item_clicks_1h", aggregate: "count", where: is("click"), window: "1h", tile: "1m" },
    {
      name: "item_impressions_24h",
      aggregate: "count",
      where: is("impression"),
      window: "24h",
      tile: "1h",
    },
    { name: "item_clicks_24h", aggregate: "count", where: is("click"), window: "24h", tile: "1h" },
  ],
});

/** A user's clicks in one item category. */
export const userCategoryInteractions = defineFeatureView({
  name: "user_category_interactions",
  version: 1,
  entity: "user_category",
  source: "interactions",
  features: [
    {
      name: "user_category_clicks_7d",
      aggregate: "count",
      where: is("click"),
      window: "7d",
      tile: "1d",
    },
  ],
});

/** Click-through ratios of the user and the item, and the candidate's price. */
export const requestFeatures = [
  defineRequestFeature({
    name: "user_ctr_24h",
    transform: { kind: "ratio", numerator: "user_clicks_24h", denominator: "user_impressions_24h" },
  }),
  defineRequestFeature({
    name: "item_ctr_24h",
    transform: { kind: "ratio", numerator: "item_clicks_24h", denominator: "item_impressions_24h" },
  }),
  defineRequestFeature({
    name: "price",
    transform: { kind: "identity", source: "price" },
    default: 0,
    domain: { min: 0, max: 100_000 },
  }),
];

/** The recommendations feature repository. */
export const repository = defineRepository({
  name: "recommendations",
  description: "Click-through ranking of candidate items for a user",
  entities: [user, item, userCategory],
  sources: [interactions],
  views: [userInteractions, itemInteractions, userCategoryInteractions],
  requestFeatures,
});
