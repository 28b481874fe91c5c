/**
 * The sensors use case of the demo: readings of the example's seeded
 * generator with labelled faults (spikes, drift, stuck sensors,
 * overheating), ending now, with event, device and site ids made unique to
 * the run; invalid messages (a fraud transaction among them) whose fate the
 * demo checks; and requests that name a device and its site.
 *
 * @module
 */
import { loadExample, type RawValue } from "../../../pipeline/mod.ts";
import { SENSOR_FEATURES } from "../../../pipeline/examples/sensors/demo.ts";
import {
  generateReadings,
  type GeneratorOptions,
} from "../../../pipeline/examples/sensors/generator.ts";
import {
  type DemoEvent,
  type DemoRequest,
  type DemoStream,
  type DemoUseCase,
  spreadOverStreams,
} from "./use_case.ts";

const encoder = new TextEncoder();
const round = (v: number) => Math.round(v * 100) / 100;

/** Invalid messages: each contains the run id so its dead letter can be found again. */
function invalidPayloads(runId: string, nowMs: number) {
  let n = 0;
  const reading = (over: Record<string, unknown>) =>
    encoder.encode(JSON.stringify({
      event_id: `bad-${runId}-${n++}`,
      device_id: `demo-${runId}`,
      site_id: `demo-${runId}`,
      timestamp: new Date(nowMs - 60_000).toISOString(),
      temperature: 50,
      ...over,
    }));
  const list = [
    { kind: "truncated JSON", value: encoder.encode(`{"event_id":"bad-${runId}-trunc","devi`) },
    {
      kind: "not UTF-8",
      value: new Uint8Array([0xff, 0xfe, ...encoder.encode(`bad-${runId}-bytes`), 0xc3, 0x28]),
    },
    { kind: "temperature is a string", value: reading({ temperature: "71.5" }) },
    { kind: "temperature above 150 °C", value: reading({ temperature: 180 }) },
    { kind: "no temperature, vibration or pressure", value: reading({ temperature: undefined }) },
    { kind: "unknown field humidity", value: reading({ humidity: 40 }) },
    {
      kind: "timestamp 1 h in the future",
      value: reading({ timestamp: new Date(nowMs + 3_600_000).toISOString() }),
    },
    { kind: "missing site_id", value: reading({ site_id: undefined }) },
    {
      kind: "a transaction of the fraud source",
      value: encoder.encode(JSON.stringify({
        event_id: `txn-${runId}`,
        user_id: `user.${runId}`,
        amount: 42.5,
        timestamp: new Date(nowMs - 60_000).toISOString(),
        merchant_category: "grocery",
        payment_method: "credit_card",
      })),
    },
  ];
  return list.map((p) => ({ ...p, key: `demo-${runId}` }));
}

/** Builds the run's readings (ending 1 s before `nowMs`) spread over the three streams. */
export function buildSensorStream(
  runId: string,
  nowMs: number,
  options: GeneratorOptions = {},
): DemoStream {
  const data = generateReadings({ ...options, endMs: nowMs - 1000 });
  if (data.length === 0) {
    throw new Error(`No readings in ${options.hours} h: give at least one interval of readings`);
  }
  const events: DemoEvent[] = data.map(({ reading: r }) => ({
    ...r,
    event_id: `${r.event_id}.${runId}`,
    device_id: `${r.device_id}.${runId}`,
    site_id: `${r.site_id}.${runId}`,
  }));
  const spread = spreadOverStreams(
    events,
    (e) => String(e.device_id),
    invalidPayloads(runId, nowMs),
  );
  return {
    events,
    ...spread,
    entities: {
      device: [...new Set(events.map((e) => String(e.device_id)))],
      site: [...new Set(events.map((e) => String(e.site_id)))],
    },
    // Labelled by event id: the export reads each reading's device and site from the store.
    labels: data.map((r, i) => ({
      keys: {},
      eventId: events[i].event_id,
      timeMs: r.timeMs,
      label: r.label,
    })),
  };
}

/** Each device's newest reading, by device id. */
const newestOf = new WeakMap<DemoStream, Map<string, DemoEvent>>();
function newest(stream: DemoStream): Map<string, DemoEvent> {
  let m = newestOf.get(stream);
  if (!m) {
    m = new Map(stream.events.map((e) => [String(e.device_id), e]));
    newestOf.set(stream, m);
  }
  return m;
}

/** A request about `device` (and its site) with the reading `values`. */
function reading(
  stream: DemoStream,
  model: string,
  device: string,
  values: Record<string, RawValue>,
): Record<string, unknown> {
  const site = String(newest(stream).get(device)!.site_id);
  return { model_name: model, entities: { device_id: device, site_id: site }, features: values };
}

/** Readings to score: the device's own newest values, and each kind of fault. */
const KINDS: { name: string; values: (e: DemoEvent) => Record<string, number> }[] = [
  { name: "typical", values: (e) => pick(e) },
  { name: "temperature spike", values: (e) => ({ ...pick(e), temperature: round(t(e) + 35) }) },
  {
    name: "vibration spike",
    values: (e) => ({ ...pick(e), vibration: round(Number(e.vibration) * 5) }),
  },
  { name: "drifted +12 °C", values: (e) => ({ ...pick(e), temperature: round(t(e) + 12) }) },
  { name: "overheating", values: (e) => ({ ...pick(e), temperature: 115 }) },
];
const t = (e: DemoEvent) => Number(e.temperature);
const pick = (e: DemoEvent) => ({
  temperature: t(e),
  vibration: Number(e.vibration),
  pressure: Number(e.pressure),
});

/** The sensors use case: `sensor_anomaly` on the example's device, site and request features. */
export function sensorsUseCase(options: GeneratorOptions = {}): DemoUseCase {
  const devices = (s: DemoStream) => s.entities.device;
  return {
    example: "sensors",
    repository: loadExample("sensors"),
    source: "sensor_readings",
    model: "sensor_anomaly",
    features: SENSOR_FEATURES,
    wording: {
      events: "generated readings with labelled faults, ending now,",
      spread: "each device's and each site's readings arrive through all three, so three " +
        "workers update one device's and one site's state concurrently",
      positive: "anomaly",
      newest: "newest reading",
      shown: ["temperature_zscore", "temperature_mean_1h", "site_temperature_mean_1h"],
    },
    buildStream: (runId, nowMs) => Promise.resolve(buildSensorStream(runId, nowMs, options)),
    samples: () => Promise.resolve([]),
    byEntity: (stream, model): DemoRequest[] =>
      KINDS.map((kind, i) => {
        const device = devices(stream)[i % devices(stream).length];
        const e = newest(stream).get(device)!;
        return {
          name: `${device} ${kind.name}`,
          body: reading(stream, model, device, kind.values(e)),
        };
      }),
    loadRequest: (stream, model, i) =>
      reading(stream, model, devices(stream)[i % devices(stream).length], {
        // A new reading every time: the prediction cache would otherwise answer repeated rows.
        temperature: round(30 + ((i * 0.37) % 80)),
        vibration: round(2 + (i % 40) * 0.1),
        pressure: 200,
      }),
    freshEvent(stream, model, k, source, timeMs) {
      const device = devices(stream)[devices(stream).length - 1 - k];
      const site = String(newest(stream).get(device)!.site_id);
      return {
        key: device,
        entities: { device, site },
        event: {
          event_id: `fresh-${source}-${model}`,
          device_id: device,
          site_id: site,
          timestamp: new Date(timeMs).toISOString(),
          temperature: 55.5,
          vibration: 3.3,
          pressure: 210,
        },
        request: (i) =>
          reading(stream, model, device, {
            temperature: round(50 + (i % 5000) * 0.01),
            vibration: 3,
            pressure: 200,
          }),
      };
    },
  };
}
