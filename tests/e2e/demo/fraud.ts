/**
 * The fraud use case of the demo: the reference's sample events rebased so
 * the newest is now and made unique to the run (event and user ids carry the
 * run id, so repeated runs never collide in Postgres or Redis), labelled by
 * the reference's rule, invalid messages whose fate the demo checks, the
 * reference's sample requests and by-user requests.
 *
 * @module
 */
import { type LabelRow, loadExample, rebaseLines } from "../../../pipeline/mod.ts";
import {
  CHAMPION_FEATURES,
  gaussian,
  loadDemoEvents,
  referenceLabel,
} from "../../../pipeline/examples/fraud/training.ts";
import {
  type DemoEvent,
  type DemoRequest,
  type DemoStream,
  type DemoUseCase,
  spreadOverStreams,
} from "./use_case.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const encoder = new TextEncoder();
const CATEGORIES = ["grocery", "travel", "electronics", "jewelry", "cash_advance", "restaurant"];

/** Labels by the reference's rule (seeded noise), one per event at the event's own time. */
export function referenceLabels(events: readonly DemoEvent[], seed = 42): LabelRow[] {
  const noise = gaussian(seed);
  return events
    .map((e) => ({ e, t: Date.parse(e.timestamp) }))
    .sort((a, b) => a.t - b.t || a.e.event_id.localeCompare(b.e.event_id))
    .map(({ e, t }) => ({
      keys: { user_id: String(e.user_id) },
      timeMs: t,
      eventId: e.event_id,
      label: referenceLabel(String(e.merchant_category ?? "unknown"), Number(e.amount), t, noise()),
    }));
}

/** Invalid payloads: each contains the run id so its dead letter can be found again. */
function invalidPayloads(runId: string, nowMs: number) {
  let n = 0;
  const event = (over: Record<string, unknown>) =>
    encoder.encode(JSON.stringify({
      event_id: `bad-${runId}-${n++}`,
      user_id: `demo-${runId}`,
      amount: 10,
      timestamp: new Date(nowMs - 60_000).toISOString(),
      ...over,
    }));
  const list = [
    { kind: "truncated JSON", value: encoder.encode(`{"event_id":"bad-${runId}-trunc","user_`) },
    {
      kind: "not UTF-8",
      value: new Uint8Array([0xff, 0xfe, ...encoder.encode(`bad-${runId}-bytes`), 0xc3, 0x28]),
    },
    { kind: "amount is a string", value: event({ amount: "12.50" }) },
    { kind: "negative amount", value: event({ amount: -5 }) },
    {
      kind: "timestamp 1 h in the future",
      value: event({ timestamp: new Date(nowMs + 3_600_000).toISOString() }),
    },
    { kind: "missing user_id", value: event({ user_id: undefined }) },
    { kind: "risk_score above 1", value: event({ risk_score: 7 }) },
    { kind: "unparseable timestamp", value: event({ timestamp: "yesterday" }) },
    { kind: "JSON array instead of an object", value: encoder.encode(`["bad-${runId}-array"]`) },
  ];
  return list.map((p) => ({ ...p, key: `demo-${runId}` }));
}

/**
 * Builds the run's stream from the sample events (or `sample`), spread over
 * the three streams with cross-stream duplicates and invalid messages.
 */
export async function buildFraudStream(
  runId: string,
  nowMs: number,
  options: { dupEvery?: number; sample?: Record<string, unknown>[] } = {},
): Promise<DemoStream> {
  const sample = options.sample ?? await loadDemoEvents();
  const { lines } = rebaseLines(sample.map((e) => JSON.stringify(e)), nowMs);
  const events: DemoEvent[] = lines.map((l) => {
    const e = JSON.parse(l) as DemoEvent;
    return { ...e, event_id: `${e.event_id}.${runId}`, user_id: `${e.user_id}.${runId}` };
  });
  const spread = spreadOverStreams(
    events,
    (e) => String(e.user_id),
    invalidPayloads(runId, nowMs),
    options.dupEvery,
  );
  return {
    events,
    ...spread,
    entities: { user: [...new Set(events.map((e) => String(e.user_id)))] },
    labels: referenceLabels(events),
  };
}

/** The reference's sample requests (`pipeline/demo_data/requests/*.json`, responses skipped). */
export async function sampleRequests(): Promise<DemoRequest[]> {
  const dir = `${ROOT}pipeline/demo_data/requests`;
  const out: DemoRequest[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    const body = JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}`));
    if ("prediction" in body || !("features" in body)) continue;
    out.push({ name: entry.name, body });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The fraud use case: `fraud_detector` on the reference's eight inputs. */
export function fraudUseCase(): DemoUseCase {
  const users = (s: DemoStream) => s.entities.user;
  return {
    example: "fraud",
    repository: loadExample("fraud"),
    source: "transactions",
    model: "fraud_detector",
    features: CHAMPION_FEATURES,
    wording: {
      events: "sample events rebased to now,",
      spread: "each user's history arrives through all three, so three workers update one " +
        "user's state concurrently",
      positive: "fraud",
      newest: "last txn",
      shown: ["transaction_count_24h", "avg_amount_30d"],
    },
    buildStream: (runId, nowMs) => buildFraudStream(runId, nowMs),
    samples: async (model) =>
      (await sampleRequests()).map((s) => ({ ...s, body: { ...s.body, model_name: model } })),
    byEntity(stream, model) {
      const byUser = new Map(stream.events.map((e) => [e.user_id, e]));
      return users(stream).slice(0, 5).map((user, i) => {
        const e = byUser.get(user)!;
        return {
          name: user,
          body: {
            model_name: model,
            entity_id: user,
            features: {
              amount: [25, 1800, 60, 4200, 310][i],
              merchant_category: i % 2 ? "jewelry" : e.merchant_category ?? "grocery",
              payment_method: e.payment_method ?? "credit_card",
            },
          },
        };
      });
    },
    loadRequest: (stream, model, i) => ({
      model_name: model,
      entity_id: users(stream)[i % users(stream).length],
      features: {
        // A new amount every time: the prediction cache would otherwise answer repeated rows.
        amount: Math.round((5 + ((i * 0.37) % 2000)) * 100) / 100,
        merchant_category: CATEGORIES[i % CATEGORIES.length],
        payment_method: "credit_card",
      },
    }),
    freshEvent(stream, model, k, source, timeMs) {
      const user = users(stream)[users(stream).length - 1 - k];
      return {
        key: user,
        entities: { user },
        event: {
          event_id: `fresh-${source}-${model}`,
          user_id: user,
          amount: 77.7,
          timestamp: new Date(timeMs).toISOString(),
          merchant_category: "travel",
          payment_method: "credit_card",
        },
        request: (i) => ({
          model_name: model,
          entity_id: user,
          features: {
            amount: 10 + i,
            merchant_category: "grocery",
            payment_method: "credit_card",
          },
        }),
      };
    },
  };
}
