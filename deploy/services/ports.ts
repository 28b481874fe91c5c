/**
 * The loopback ports of the local services, resolved once from the
 * environment, so that two checkouts (or a test run next to a demo) can run
 * their own services side by side instead of silently sharing one Postgres.
 *
 * | env                          | meaning                                                    |
 * | ---------------------------- | ---------------------------------------------------------- |
 * | `SERVICES_PORT_BASE`         | consecutive ports from this base, in {@linkcode PORT_ORDER} |
 * | `SERVICES_<NAME>_PORT`       | one service's port (e.g. `SERVICES_POSTGRES_PORT`), wins     |
 *
 * Without either, the historical defaults ({@linkcode DEFAULT_PORTS}) apply.
 *
 * @module
 */
import { ServiceError } from "./_proc.ts";

/** The port of every local service (Kafka has two: broker and controller). */
export interface ServicePorts {
  postgres: number;
  redis: number;
  gateway: number;
  kafka: number;
  kafkaController: number;
  kinesis: number;
  pubsub: number;
  mlflow: number;
}

/** Ports used when no `SERVICES_*` variable is set. */
export const DEFAULT_PORTS: Readonly<ServicePorts> = Object.freeze({
  postgres: 55432,
  redis: 56379,
  gateway: 58079,
  kafka: 59092,
  kafkaController: 59093,
  kinesis: 54567,
  pubsub: 58085,
  mlflow: 55000,
});

/** The order of ports counted from `SERVICES_PORT_BASE`. */
export const PORT_ORDER: readonly (keyof ServicePorts)[] = [
  "postgres",
  "redis",
  "gateway",
  "kafka",
  "kafkaController",
  "kinesis",
  "pubsub",
  "mlflow",
];

function envName(key: keyof ServicePorts): string {
  return `SERVICES_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_PORT`;
}

function parsePort(name: string, text: string, problems: string[]): number | undefined {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1024 || n > 65535) {
    problems.push(`${name}: expected an integer port in [1024, 65535], got '${text}'`);
    return undefined;
  }
  return n;
}

/**
 * Resolves the ports from env (`SERVICES_PORT_BASE`, `SERVICES_<NAME>_PORT`);
 * throws a `ServiceError` listing every bad or clashing value.
 */
export function resolveServicePorts(env: Record<string, string | undefined>): ServicePorts {
  const problems: string[] = [];
  const ports: ServicePorts = { ...DEFAULT_PORTS };
  const baseText = env.SERVICES_PORT_BASE;
  if (baseText !== undefined && baseText !== "") {
    const base = parsePort("SERVICES_PORT_BASE", baseText, problems);
    if (base !== undefined) {
      if (base + PORT_ORDER.length - 1 > 65535) {
        problems.push(`SERVICES_PORT_BASE: ${base} leaves no room for ${PORT_ORDER.length} ports`);
      } else PORT_ORDER.forEach((k, i) => (ports[k] = base + i));
    }
  }
  for (const k of PORT_ORDER) {
    const text = env[envName(k)];
    if (text === undefined || text === "") continue;
    const p = parsePort(envName(k), text, problems);
    if (p !== undefined) ports[k] = p;
  }
  const seen = new Map<number, string>();
  for (const k of PORT_ORDER) {
    const other = seen.get(ports[k]);
    if (other) problems.push(`${k} and ${other} both use port ${ports[k]}`);
    seen.set(ports[k], k);
  }
  if (problems.length > 0) {
    throw new ServiceError(`Invalid service ports: ${problems.join("; ")}`);
  }
  return ports;
}
