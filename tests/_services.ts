/**
 * Connection settings of the real services started by
 * `deno task services:up` (read from `.services/env`).
 *
 * @example
 * ```ts
 * const env = await serviceEnv("postgres", "redis");
 * const sql = postgres(env.DATABASE_URL);
 * ```
 *
 * @module
 */
import { connect } from "node:net";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** The env file written by services:up. */
export const SERVICES_ENV_FILE = `${ROOT}/.services/env`;

/** Env vars each service provides, and the address checked before a test uses it. */
const PROVIDES: Record<ServiceName, { keys: string[]; address: (env: Env) => string }> = {
  postgres: { keys: ["DATABASE_URL"], address: (e) => new URL(e.DATABASE_URL).host },
  redis: { keys: ["REDIS_URL"], address: (e) => new URL(e.REDIS_URL).host },
  gateway: {
    keys: [
      "UPSTASH_REDIS_REST_URL",
      "UPSTASH_REDIS_REST_TOKEN",
      "UPSTASH_EDGE_TOKEN",
      "UPSTASH_WORKER_TOKEN",
      "UPSTASH_ADMIN_TOKEN",
    ],
    address: (e) => new URL(e.UPSTASH_REDIS_REST_URL).host,
  },
  kafka: { keys: ["KAFKA_BROKERS"], address: (e) => e.KAFKA_BROKERS.split(",")[0] },
  kinesis: {
    keys: ["KINESIS_ENDPOINT", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
    address: (e) => new URL(e.KINESIS_ENDPOINT).host,
  },
  pubsub: {
    keys: ["PUBSUB_EMULATOR_HOST", "PUBSUB_PROJECT_ID"],
    address: (e) => e.PUBSUB_EMULATOR_HOST,
  },
  mlflow: { keys: ["MLFLOW_TRACKING_URI"], address: (e) => new URL(e.MLFLOW_TRACKING_URI).host },
};

type Env = Record<string, string>;

/** Names accepted by {@linkcode serviceEnv}. */
export type ServiceName =
  | "postgres"
  | "redis"
  | "gateway"
  | "kafka"
  | "kinesis"
  | "pubsub"
  | "mlflow";

/**
 * Reads `.services/env`. With service names, also checks that each one's
 * variables are present and its port accepts connections, and throws an
 * error naming the service (and how to start it) when it is not up.
 *
 * Returned keys: `DATABASE_URL`, `REDIS_URL`, `UPSTASH_REDIS_REST_URL`,
 * `UPSTASH_REDIS_REST_TOKEN` (the gateway's `data` role), `UPSTASH_EDGE_TOKEN`,
 * `UPSTASH_WORKER_TOKEN`, `UPSTASH_ADMIN_TOKEN` (one per role), `KAFKA_BROKERS`, `KINESIS_ENDPOINT`,
 * `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `PUBSUB_EMULATOR_HOST`, `PUBSUB_PROJECT_ID`, `MLFLOW_TRACKING_URI`.
 */
export async function serviceEnv(...required: ServiceName[]): Promise<Env> {
  let text: string;
  try {
    text = await Deno.readTextFile(SERVICES_ENV_FILE);
  } catch {
    throw new Error(
      `Services are not up: ${SERVICES_ENV_FILE} is missing; run deno task services:up ${
        required.join(" ")
      }`.trimEnd(),
    );
  }
  const env: Env = {};
  for (const line of text.split("\n")) {
    const t = line.trim();
    const i = t.indexOf("=");
    if (t !== "" && !t.startsWith("#") && i > 0) env[t.slice(0, i)] = t.slice(i + 1);
  }
  for (const name of required) {
    const spec = PROVIDES[name];
    if (!spec) throw new Error(`Unknown service '${name}'`);
    const absent = spec.keys.filter((k) => !env[k]);
    if (absent.length > 0) {
      throw new Error(
        `Service ${name} is not up: ${
          absent.join(", ")
        } missing from ${SERVICES_ENV_FILE}; run deno task services:up ${name}`,
      );
    }
    const address = spec.address(env);
    if (!(await portOpen(address))) {
      throw new Error(
        `Service ${name} is not up: nothing answers on ${address}; run deno task services:up ${name}`,
      );
    }
  }
  return env;
}

function portOpen(address: string): Promise<boolean> {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
