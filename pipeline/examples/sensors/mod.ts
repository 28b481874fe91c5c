/**
 * The sensor anomaly detection example (IoT): readings of temperature,
 * vibration and pressure from devices installed at sites. Windowed features
 * per device and per site, request-time z-score and site delta, and a GBDT
 * `sensor_anomaly` trained on labelled faults from `generator.ts`.
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

/** A sensor device. */
export const device = defineEntity({ name: "device", keys: ["device_id"] });
/** A site (a plant, a building) with many devices. */
export const site = defineEntity({ name: "site", keys: ["site_id"] });

const reading = (min: number, max: number) =>
  ({ type: "number", min, max, optional: true, nullable: true }) as const;

/** One reading of a device: at least one of its three values. */
export const sensorReadings = defineSource({
  name: "sensor_readings",
  description: "Sensor readings: temperature (°C), vibration (mm/s), pressure (kPa)",
  eventId: "event_id",
  timestamp: "timestamp",
  fields: {
    event_id: { type: "string", minLength: 1, maxLength: 128 },
    device_id: { type: "string", minLength: 1, maxLength: 64 },
    site_id: { type: "string", minLength: 1, maxLength: 64 },
    timestamp: { type: "timestamp" },
    temperature: reading(-50, 150),
    vibration: reading(0, 100),
    pressure: reading(0, 2000),
  },
  atLeastOneOf: [["temperature", "vibration", "pressure"]],
  extraFields: "reject",
  routing: {
    kafkaTopic: "sensor-readings",
    kinesisStream: "sensor-readings",
    pubsubTopic: "sensor-readings",
    pubsubSubscription: "sensor-readings-workers",
    httpPath: "sensor_readings",
  },
});

/** A device's recent readings. */
export const deviceReadings = defineFeatureView({
  name: "device_readings",
  version: 1,
  entity: "device",
  source: "sensor_readings",
  features: [
    { name: "readings_count_1h", aggregate: "count", window: "1h", tile: "1m" },
    {
      name: "temperature_mean_1h",
      aggregate: "mean",
      field: "temperature",
      window: "1h",
      tile: "1m",
    },
    {
      name: "temperature_std_1h",
      aggregate: "stddev",
      field: "temperature",
      window: "1h",
      tile: "1m",
    },
    {
      name: "temperature_max_24h",
      aggregate: "max",
      field: "temperature",
      window: "24h",
      tile: "1h",
    },
    {
      name: "temperature_min_24h",
      aggregate: "min",
      field: "temperature",
      window: "24h",
      tile: "1h",
    },
    { name: "vibration_mean_5m", aggregate: "mean", field: "vibration", window: "5m", tile: "1m" },
    { name: "vibration_max_1h", aggregate: "max", field: "vibration", window: "1h", tile: "1m" },
    { name: "pressure_mean_24h", aggregate: "mean", field: "pressure", window: "24h", tile: "1h" },
    {
      name: "seconds_since_last_reading",
      aggregate: "seconds_since_last",
      window: "24h",
      tile: "1h",
      empty: 86_400,
    },
  ],
});

/** A site's recent readings, over all its devices. */
export const siteReadings = defineFeatureView({
  name: "site_readings",
  version: 1,
  entity: "site",
  source: "sensor_readings",
  features: [
    { name: "site_readings_count_1h", aggregate: "count", window: "1h", tile: "1m" },
    {
      name: "site_active_devices_1h",
      aggregate: "distinct",
      field: "device_id",
      window: "1h",
      tile: "1m",
    },
    {
      name: "site_temperature_mean_1h",
      aggregate: "mean",
      field: "temperature",
      window: "1h",
      tile: "1m",
    },
  ],
});

/** The reading's own values and how they compare with the device's and the site's recent ones. */
export const requestFeatures = [
  defineRequestFeature({
    name: "temperature",
    transform: { kind: "identity", source: "temperature" },
    domain: { min: -50, max: 150 },
  }),
  defineRequestFeature({
    name: "vibration",
    transform: { kind: "identity", source: "vibration" },
    domain: { min: 0, max: 100 },
  }),
  defineRequestFeature({
    name: "pressure",
    transform: { kind: "identity", source: "pressure" },
    domain: { min: 0, max: 2000 },
  }),
  defineRequestFeature({
    name: "temperature_zscore",
    transform: {
      kind: "zscore",
      value: "temperature",
      mean: "temperature_mean_1h",
      std: "temperature_std_1h",
    },
  }),
  defineRequestFeature({
    name: "temperature_delta_site",
    transform: { kind: "difference", a: "temperature", b: "site_temperature_mean_1h" },
  }),
];

/** The sensors feature repository. */
export const repository = defineRepository({
  name: "sensors",
  description: "Anomaly detection on IoT sensor readings",
  entities: [device, site],
  sources: [sensorReadings],
  views: [deviceReadings, siteReadings],
  requestFeatures,
});
