/**
 * A seeded generator of interactions for the recommendations example.
 *
 * Users open sessions (on average `sessionsPerDay` a day, more in the
 * evening, taking `endMs` as noon); each session shows a slate of `slate` items, one `impression`
 * each. Whether the user clicks an item depends on:
 *
 * | effect              | how                                                                            |
 * | ------------------- | ------------------------------------------------------------------------------ |
 * | category preference | each user likes 1–2 categories strongly; every 12 h a user's favourite drifts   |
 * |                     | to another category with probability `drift`                                  |
 * | item popularity     | each item has a base appeal plus a slow wave (period 6–30 h) and trending bursts |
 * | position bias       | the click odds fall by `e^(−0.25·position)` down the slate (not in the events)  |
 * | price               | dearer items are clicked a little less                                         |
 *
 * A click follows its impression after 2 s to ~10 min (a few after more than
 * 30 min, which the training label does not count); a purchase follows some
 * clicks. Every event carries the item's category and price. The same seed
 * and options give the same events, in time order, with event ids `i<index>`;
 * another `endMs` gives the same events shifted in time.
 *
 * @module
 */

/** Options of {@linkcode generateInteractions}. */
export interface InteractionOptions {
  /** Seed of every random draw. Default 11. */
  seed?: number;
  /** Number of users. Default 100. */
  users?: number;
  /** Number of items. Default 150. */
  items?: number;
  /** Number of item categories (at most 26). Default 8. */
  categories?: number;
  /** Time of the last session, epoch ms. Default 2026-03-20T12:00:00Z. */
  endMs?: number;
  /** Hours of interactions. Default 72. */
  hours?: number;
  /** Sessions per user per day, on average. Default 5. */
  sessionsPerDay?: number;
  /** Items shown per session. Default 10. */
  slate?: number;
  /** Probability that a user's favourite category changes every 12 h. Default 0.3. */
  drift?: number;
}

/** One interaction event (the `interactions` source's fields). */
export type Interaction = {
  event_id: string;
  user_id: string;
  item_id: string;
  item_category: string;
  event_type: "impression" | "click" | "purchase";
  timestamp: string;
  price: number;
};

/** One generated event with its time. */
export interface TimedInteraction {
  event: Interaction;
  timeMs: number;
}

/** A seeded uniform generator on [0, 1) (mulberry32). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOUR = 3_600_000;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Generates interactions (ascending by time, then event id). */
export function generateInteractions(options: InteractionOptions = {}): TimedInteraction[] {
  const rand = uniform(options.seed ?? 11);
  const normal = () => {
    const u = 1 - rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const nUsers = options.users ?? 100;
  const nItems = options.items ?? 150;
  const nCats = Math.min(26, options.categories ?? 8);
  const endMs = options.endMs ?? Date.UTC(2026, 2, 20, 12);
  const hours = options.hours ?? 72;
  const startMs = endMs - hours * HOUR;
  const slate = options.slate ?? 10;
  const drift = options.drift ?? 0.3;
  const perDay = options.sessionsPerDay ?? 5;
  const categories = Array.from({ length: nCats }, (_, c) => `cat_${String.fromCharCode(97 + c)}`);
  const items = Array.from({ length: nItems }, (_, i) => {
    const cat = Math.floor(rand() * nCats);
    return {
      id: `item_${String(i + 1).padStart(4, "0")}`,
      cat,
      price: Math.round(Math.exp(2.5 + 0.3 * cat + 0.8 * normal()) * 100) / 100,
      appeal: normal() * 0.9,
      period: (6 + 24 * rand()) * HOUR,
      phase: rand() * 2 * Math.PI,
      wave: 0.3 + 0.7 * rand(),
      // A trending burst: a window of a few hours with a strong lift.
      burstAt: startMs + rand() * hours * HOUR,
      burstLen: (2 + 6 * rand()) * HOUR,
      burst: rand() < 0.3 ? 1 + rand() : 0,
    };
  });
  const users = Array.from({ length: nUsers }, (_, u) => {
    const pref = categories.map(() => -1 + 0.5 * normal());
    const fav = Math.floor(rand() * nCats);
    pref[fav] = 1.8 + 0.5 * rand();
    if (rand() < 0.5) pref[Math.floor(rand() * nCats)] = 1 + 0.5 * rand();
    return {
      id: `user_${String(u + 1).padStart(3, "0")}`,
      pref,
      fav,
      activity: 0.3 + 1.4 * rand(),
      nextDrift: startMs + 12 * HOUR * rand(),
    };
  });
  // Every draw depends on times relative to `endMs` only: the same options with another `endMs`
  // give the same events shifted in time.
  const appealAt = (it: typeof items[number], t: number) =>
    it.appeal + it.wave * Math.sin(2 * Math.PI * (t - endMs) / it.period + it.phase) +
    (t >= it.burstAt && t < it.burstAt + it.burstLen ? it.burst : 0);
  const raw: { t: number; order: number; e: Omit<Interaction, "event_id"> }[] = [];
  const push = (t: number, e: Omit<Interaction, "event_id">) =>
    raw.push({ t, order: raw.length, e });
  // Sessions: a Poisson process per user, denser in the evening (UTC).
  for (const user of users) {
    let t = startMs;
    const rate = perDay * user.activity / (24 * HOUR);
    for (;;) {
      t += Math.round(-Math.log(1 - rand()) / rate);
      if (t > endMs) break;
      // The generated clock: `endMs` is noon (UTC noon with the default `endMs`).
      const hour = Math.floor((((t - endMs) / HOUR + 12) % 24 + 24) % 24);
      if (rand() > (hour >= 17 && hour <= 22 ? 1 : 0.6)) continue;
      while (user.nextDrift <= t) {
        if (rand() < drift) {
          const to = Math.floor(rand() * nCats);
          [user.pref[user.fav], user.pref[to]] = [user.pref[to], user.pref[user.fav]];
          user.fav = to;
        }
        user.nextDrift += 12 * HOUR;
      }
      // The slate: half by current appeal (a popularity-led recommender), half at random.
      const shown = new Set<number>();
      while (shown.size < Math.min(slate, nItems)) {
        if (rand() < 0.5) {
          let best = -1, bestScore = -Infinity;
          for (let k = 0; k < 6; k++) {
            const i = Math.floor(rand() * nItems);
            const s = appealAt(items[i], t);
            if (!shown.has(i) && s > bestScore) [best, bestScore] = [i, s];
          }
          if (best >= 0) shown.add(best);
        } else shown.add(Math.floor(rand() * nItems));
      }
      [...shown].forEach((i, position) => {
        const it = items[i];
        const base = {
          user_id: user.id,
          item_id: it.id,
          item_category: categories[it.cat],
          price: it.price,
        };
        push(t, { ...base, event_type: "impression", timestamp: "" });
        const z = -3 + 1.5 * user.pref[it.cat] + appealAt(it, t) - 0.25 * position -
          0.15 * Math.log1p(it.price / 20);
        if (rand() >= sigmoid(z)) return;
        const late = rand() < 0.05;
        const click = t +
          Math.round(
            late ? (31 + 60 * rand()) * 60_000 : 2000 - 150_000 * Math.log(1 - rand() * 0.98),
          );
        if (click > endMs) return;
        push(click, { ...base, event_type: "click", timestamp: "" });
        if (rand() < 0.12 + 0.1 * Math.max(0, user.pref[it.cat] - 1)) {
          const buy = click + Math.round((1 + 20 * rand()) * 60_000);
          if (buy <= endMs) push(buy, { ...base, event_type: "purchase", timestamp: "" });
        }
      });
    }
  }
  raw.sort((a, b) => a.t - b.t || a.order - b.order);
  return raw.map((r, i) => ({
    event: { event_id: `i${i}`, ...r.e, timestamp: new Date(r.t).toISOString() },
    timeMs: r.t,
  }));
}
