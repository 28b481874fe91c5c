/**
 * The fraud example: card transactions keyed by `user_id`, the reference
 * platform's demo. Its features, the reference `/predict` contract and its
 * sample data (`pipeline/demo_data/`) are the platform's first use case,
 * expressed as a feature repository like any other.
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

/** A card holder. */
export const user = defineEntity({ name: "user", keys: ["user_id"] });

/** Card transactions, the shape of the reference's `demo_events.jsonl`. */
export const transactions = defineSource({
  name: "transactions",
  description: "Card transactions (the reference platform's demo events)",
  eventId: "event_id",
  timestamp: "timestamp",
  fields: {
    event_id: { type: "string", minLength: 1, maxLength: 128 },
    user_id: { type: "string", minLength: 1, maxLength: 256 },
    amount: { type: "number", min: 0, max: 1_000_000 },
    timestamp: { type: "timestamp" },
    merchant_category: { type: "string", maxLength: 64, optional: true, nullable: true },
    payment_method: { type: "string", maxLength: 64, optional: true, nullable: true },
    device_type: { type: "string", optional: true, nullable: true },
    location: { type: "object", optional: true, nullable: true },
    risk_score: { type: "number", min: 0, max: 1, optional: true, nullable: true },
  },
  routing: {
    kafkaTopic: "transactions",
    kinesisStream: "transactions",
    pubsubTopic: "transactions",
    pubsubSubscription: "ingest-workers",
    httpPath: "events",
  },
});

/** A user's transactions over sliding windows. */
export const userTransactions = defineFeatureView({
  name: "user_transactions",
  version: 1,
  entity: "user",
  source: "transactions",
  features: [
    { name: "transaction_count_1h", aggregate: "count", window: "1h", tile: "1m" },
    { name: "transaction_count_24h", aggregate: "count", window: "24h", tile: "1h" },
    { name: "amount_sum_24h", aggregate: "sum", field: "amount", window: "24h", tile: "1h" },
    { name: "avg_amount_30d", aggregate: "mean", field: "amount", window: "30d", tile: "1d" },
    { name: "max_amount_7d", aggregate: "max", field: "amount", window: "7d", tile: "1d" },
    {
      name: "distinct_merchant_categories_24h",
      aggregate: "distinct",
      field: "merchant_category",
      // The reference counts a transaction without a category as category `unknown`.
      missingAs: "unknown",
      window: "24h",
      tile: "1h",
    },
    {
      name: "seconds_since_last_txn",
      aggregate: "seconds_since_last",
      window: "30d",
      tile: "1d",
      empty: 2_592_000,
    },
  ],
});

/** Features of the transaction itself, computed at request (or event) time. */
export const requestFeatures = [
  defineRequestFeature({ name: "amount", transform: { kind: "identity", source: "amount" } }),
  defineRequestFeature({ name: "amount_log", transform: { kind: "log1p", source: "amount" } }),
  defineRequestFeature({
    name: "hour_of_day",
    transform: { kind: "hour_of_day", source: "timestamp" },
  }),
  defineRequestFeature({
    name: "day_of_week",
    transform: { kind: "day_of_week", source: "timestamp" },
  }),
  defineRequestFeature({
    name: "is_weekend",
    dtype: "bool",
    transform: { kind: "is_weekend", source: "timestamp" },
  }),
  defineRequestFeature({
    name: "is_night",
    dtype: "bool",
    transform: { kind: "is_night", source: "timestamp" },
  }),
  defineRequestFeature({
    name: "merchant_category_encoded",
    transform: { kind: "crc32_mod", source: "merchant_category", modulo: 100, missing: "unknown" },
  }),
  defineRequestFeature({
    name: "payment_method_encoded",
    transform: { kind: "crc32_mod", source: "payment_method", modulo: 10, missing: "unknown" },
  }),
  defineRequestFeature({
    name: "risk_score",
    transform: { kind: "identity", source: "risk_score" },
    default: 0,
  }),
];

/** The fraud feature repository. */
export const repository = defineRepository({
  name: "fraud",
  description: "Card fraud detection on the reference platform's transactions",
  entities: [user],
  sources: [transactions],
  views: [userTransactions],
  requestFeatures,
});
