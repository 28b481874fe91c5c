/**
 * A seeded generator of labelled sensor readings for the sensors example.
 *
 * Sites hold devices; each device reports temperature (°C), vibration
 * (mm/s) and pressure (kPa) every `intervalMs`. A healthy device reads its
 * own base values, a daily temperature cycle shared by its site, and
 * Gaussian noise. Faults are episodes; every reading inside one is labelled
 * `1` (an anomaly), every other reading `0`:
 *
 * | fault         | what the readings do                                              | length      |
 * | ------------- | ----------------------------------------------------------------- | ----------- |
 * | `spike`       | one reading: temperature +25–40 °C, or vibration ×4–6              | 1 reading   |
 * | `drift`       | temperature creeps up linearly, reaching +8–15 °C                   | 40–80 min   |
 * | `stuck`       | every value frozen at the last healthy reading (no noise at all)    | 30–60 min   |
 * | `overheating` | temperature climbs towards 100–120 °C, vibration up by half         | 20–40 min   |
 *
 * The same seed and options give the same readings, in time order, with
 * event ids `r<index>`.
 *
 * @module
 */

/** The kinds of fault the generator injects. */
export type FaultKind = "spike" | "drift" | "stuck" | "overheating";

/** Options of {@linkcode generateReadings}. */
export interface GeneratorOptions {
  /** Seed of every random draw. Default 7. */
  seed?: number;
  /** Number of sites. Default 3. */
  sites?: number;
  /** Devices per site. Default 8. */
  devicesPerSite?: number;
  /** Time of the last reading, epoch ms. Default 2026-03-20T12:00:00Z. */
  endMs?: number;
  /** Hours of readings. Default 12. */
  hours?: number;
  /** Time between two readings of a device. Default 2 minutes. */
  intervalMs?: number;
  /** Expected faults per device per 12 hours, of each kind. Default 0.8. */
  faultRate?: number;
}

/** One generated reading with its label and the fault it belongs to. */
export interface LabelledReading {
  reading: {
    event_id: string;
    device_id: string;
    site_id: string;
    timestamp: string;
    temperature: number;
    vibration: number;
    pressure: number;
  };
  timeMs: number;
  /** 1 inside a fault episode. */
  label: 0 | 1;
  fault: FaultKind | null;
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

interface Episode {
  kind: FaultKind;
  start: number;
  end: number;
  /** Size of the fault (spike height, drift, overheating peak). */
  size: number;
  /** A spike in vibration rather than temperature. */
  vibration: boolean;
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Generates labelled readings (ascending by time, then device). */
export function generateReadings(options: GeneratorOptions = {}): LabelledReading[] {
  const rand = uniform(options.seed ?? 7);
  const normal = () => {
    const u = 1 - rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const sites = options.sites ?? 3;
  const perSite = options.devicesPerSite ?? 8;
  const endMs = options.endMs ?? Date.UTC(2026, 2, 20, 12);
  const interval = options.intervalMs ?? 120_000;
  const steps = Math.floor(((options.hours ?? 12) * 3_600_000) / interval);
  const startMs = endMs - (steps - 1) * interval;
  const rate = (options.faultRate ?? 0.8) * (steps * interval) / (12 * 3_600_000);
  const devices = Array.from({ length: sites * perSite }, (_, d) => {
    const episodes: Episode[] = [];
    for (const kind of ["spike", "drift", "stuck", "overheating"] as FaultKind[]) {
      let n = 0;
      while (rand() < rate / (n + 1) && n < 3) {
        n++;
        const len = kind === "spike" ? 1 : Math.round(
          (kind === "drift"
            ? 40 + 40 * rand()
            : kind === "stuck"
            ? 30 + 30 * rand()
            : 20 + 20 * rand()) *
            60_000 / interval,
        );
        // Faults start after an hour of history, so windows have something to compare with.
        const start = Math.floor(60 * 60_000 / interval + rand() * Math.max(1, steps - len - 30));
        episodes.push({
          kind,
          start,
          end: start + len - 1,
          size: kind === "spike"
            ? 25 + 15 * rand()
            : kind === "drift"
            ? 8 + 7 * rand()
            : 100 + 20 * rand(),
          vibration: kind === "spike" && rand() < 0.4,
        });
      }
    }
    return {
      id: `device_${String(d + 1).padStart(3, "0")}`,
      site: `site_${String(Math.floor(d / perSite) + 1).padStart(2, "0")}`,
      temperature: 40 + 30 * rand(),
      vibration: 2 + 4 * rand(),
      pressure: 100 + 200 * rand(),
      phase: rand() * 2 * Math.PI,
      episodes,
      last: null as { temperature: number; vibration: number; pressure: number } | null,
    };
  });
  const out: LabelledReading[] = [];
  for (let s = 0; s < steps; s++) {
    const t = startMs + s * interval;
    const day = 2 * Math.PI * (t % 86_400_000) / 86_400_000;
    for (const dev of devices) {
      const ep = dev.episodes.find((e) => s >= e.start && s <= e.end) ?? null;
      let temperature = dev.temperature + 3 * Math.sin(day + dev.phase) + 0.5 * normal();
      let vibration = dev.vibration + 0.3 * normal();
      let pressure = dev.pressure + 2 * normal();
      if (ep?.kind === "stuck" && dev.last) {
        ({ temperature, vibration, pressure } = dev.last);
      } else if (ep?.kind === "spike") {
        if (ep.vibration) vibration *= 4 + 2 * rand();
        else temperature += ep.size;
      } else if (ep?.kind === "drift") {
        temperature += ep.size * (s - ep.start + 1) / (ep.end - ep.start + 1);
      } else if (ep?.kind === "overheating") {
        const f = (s - ep.start + 1) / (ep.end - ep.start + 1);
        temperature += (ep.size - temperature) * f;
        vibration *= 1 + 0.5 * f;
      }
      const values = {
        temperature: round(clamp(temperature, -50, 150)),
        vibration: round(clamp(vibration, 0, 100)),
        pressure: round(clamp(pressure, 0, 2000), 1),
      };
      if (ep?.kind !== "stuck") dev.last = values;
      out.push({
        reading: {
          event_id: `r${out.length}`,
          device_id: dev.id,
          site_id: dev.site,
          timestamp: new Date(t).toISOString(),
          ...values,
        },
        timeMs: t,
        label: ep ? 1 : 0,
        fault: ep?.kind ?? null,
      });
    }
  }
  return out;
}
