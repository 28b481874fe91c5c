/**
 * The sensors example's demo: generated readings with labelled faults, and
 * the point-in-time training set of `sensor_anomaly` built from them.
 *
 * @module
 */
import { loadExample } from "../../definitions/load.ts";
import { pointInTimeFromEvents } from "../../training_set.ts";
import type { ExampleDemo } from "../demo.ts";
import { generateReadings, type GeneratorOptions } from "./generator.ts";

/** The inputs of `sensor_anomaly`: the reading, its device's and its site's recent readings. */
export const SENSOR_FEATURES = [
  "temperature",
  "vibration",
  "pressure",
  "temperature_zscore",
  "temperature_delta_site",
  "readings_count_1h",
  "temperature_mean_1h",
  "temperature_std_1h",
  "temperature_max_24h",
  "temperature_min_24h",
  "vibration_mean_5m",
  "vibration_max_1h",
  "pressure_mean_24h",
  "seconds_since_last_reading",
  "site_readings_count_1h",
  "site_active_devices_1h",
  "site_temperature_mean_1h",
] as const;

/** The sensors demo (options reach the generator). */
export function sensorsDemo(options: GeneratorOptions = {}): ExampleDemo {
  const readings = () => generateReadings(options);
  return {
    model: "sensor_anomaly",
    source: "sensor_readings",
    tryLines: (base) => [
      `curl -s ${base}/predict -H 'content-type: application/json' \\
    -d '{"entities":{"device_id":"device_001","site_id":"site_01"},"features":{"temperature":104.5,"vibration":7.9,"pressure":180.2}}'`,
      `curl -s ${base}/features/device/device_001/online`,
      `curl -s ${base}/features/site/site_01/online`,
    ],
    eventLines: () => Promise.resolve(readings().map((r) => JSON.stringify(r.reading))),
    generate: (o) => {
      const data = generateReadings({ ...options, ...o });
      return {
        lines: data.map((r) => JSON.stringify(r.reading)),
        labels: [
          "event_id,timestamp,label",
          ...data.map((r) => `${r.reading.event_id},${r.reading.timestamp},${r.label}`),
        ],
      };
    },
    training: () => {
      const repo = loadExample("sensors");
      const data = readings();
      const labels = new Map(data.map((r) => [r.reading.event_id, r.label]));
      const records = pointInTimeFromEvents(
        repo,
        "sensor_readings",
        data.map((r) => ({ event: r.reading, timeMs: r.timeMs })),
        (e) => labels.get(String(e.event.event_id))!,
      );
      return Promise.resolve({
        records,
        champion: repo.modelFeatures(SENSOR_FEATURES),
        source: "generated sensor readings (point-in-time)",
      });
    },
  };
}
