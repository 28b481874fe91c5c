/**
 * Real services for integration tests and local development, as local
 * processes on loopback ports (no Docker). The ports default to fixed ones
 * and move with `SERVICES_PORT_BASE` or `SERVICES_<NAME>_PORT` (see
 * `ports.ts`), so two checkouts can each run their own.
 *
 * `deno task services:up [name...]` starts what is not already running,
 * waits for each to answer, and writes `<root>/.services/env`;
 * `deno task services:down [name...]` stops them by process group. A port
 * that answers but was not started from this checkout is refused, never
 * shared.
 *
 * | service  | env                                                    |
 * | -------- | ------------------------------------------------------ |
 * | postgres | `DATABASE_URL`                                         |
 * | redis    | `REDIS_URL`                                            |
 * | gateway  | `UPSTASH_REDIS_REST_URL`, `UPSTASH_REDIS_REST_TOKEN` (data role), `UPSTASH_{EDGE,WORKER,ADMIN}_TOKEN` |
 * | kafka    | `KAFKA_BROKERS`                                        |
 * | kinesis  | `KINESIS_ENDPOINT`, `AWS_REGION`, dummy AWS keys       |
 * | pubsub   | `PUBSUB_EMULATOR_HOST`, `PUBSUB_PROJECT_ID`            |
 * | mlflow   | `MLFLOW_TRACKING_URI`                                  |
 *
 * @example
 * ```ts
 * import { upServices } from "./mod.ts";
 * const { started } = await upServices(defaultContext(), ["postgres", "redis"]);
 * ```
 *
 * @module
 */
import { SERVICE_NAMES, type ServiceContext, type ServiceName } from "./_service.ts";
import type { LocalService } from "./_service.ts";
import { alive, readPid, ServiceError, sleep } from "./_proc.ts";
import { postgresService } from "./postgres.ts";
import { redisService } from "./redis.ts";
import { gatewayService } from "./gateway.ts";
import { kafkaService } from "./kafka.ts";
import { kinesisService } from "./kinesis.ts";
import { pubsubService } from "./pubsub.ts";
import { mlflowService } from "./mlflow.ts";
import { DEFAULT_PORTS, resolveServicePorts, type ServicePorts } from "./ports.ts";

export { DEFAULT_PORTS, resolveServicePorts, SERVICE_NAMES, ServiceError };
export type { ServicePorts };
export type { LocalService, ServiceContext, ServiceName };

/** Every service by name. */
export const SERVICES: Record<ServiceName, LocalService> = {
  postgres: postgresService,
  redis: redisService,
  gateway: gatewayService,
  kafka: kafkaService,
  kinesis: kinesisService,
  pubsub: pubsubService,
  mlflow: mlflowService,
};

/** The repository root, derived from this file's location. */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Builds the context for this checkout; `env` is passed to child processes
 * and gives the ports (`SERVICES_PORT_BASE`, `SERVICES_<NAME>_PORT`).
 */
export function defaultContext(env: Record<string, string> = {}): ServiceContext {
  return {
    root: REPO_ROOT,
    stateDir: `${REPO_ROOT}/.services`,
    denoPath: Deno.execPath(),
    env,
    ports: resolveServicePorts(env),
  };
}

/** The connection settings a service gives with the default ports (for config checks). */
export function defaultServiceEnv(name: ServiceName): Record<string, string> {
  return SERVICES[name].env({ ...defaultContext(), ports: { ...DEFAULT_PORTS } });
}

/** Checks names and adds the services they depend on, in start order. */
export function resolveNames(names: string[]): ServiceName[] {
  if (names.length === 0) return [...SERVICE_NAMES];
  const unknown = names.filter((n) => !(SERVICE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new ServiceError(
      `Unknown service '${unknown.join("', '")}': expected one of ${SERVICE_NAMES.join(", ")}`,
    );
  }
  const wanted = new Set<ServiceName>();
  const add = (n: ServiceName) => {
    for (const dep of SERVICES[n].dependsOn ?? []) add(dep);
    wanted.add(n);
  };
  for (const n of names as ServiceName[]) add(n);
  return SERVICE_NAMES.filter((n) => wanted.has(n));
}

/** Outcome of {@linkcode upServices}. */
export interface UpResult {
  /** Services this call started. */
  started: ServiceName[];
  /** Services that were already running. */
  already: ServiceName[];
  /** Services that did not start, with the reason. */
  failed: { name: ServiceName; error: Error }[];
}

/**
 * Starts the named services (default all) that are not already running, in
 * parallel where dependencies allow, and updates `.services/env`.
 */
export async function upServices(
  ctx: ServiceContext,
  names: string[] = [],
  log: (line: string) => void = console.log,
): Promise<UpResult> {
  const order = resolveNames(names);
  await Deno.mkdir(ctx.stateDir, { recursive: true });
  const release = await lock(ctx, log);
  try {
    return await upLocked(ctx, order, log);
  } finally {
    await release();
  }
}

async function upLocked(
  ctx: ServiceContext,
  order: ServiceName[],
  log: (line: string) => void,
): Promise<UpResult> {
  const result: UpResult = { started: [], already: [], failed: [] };
  const running = new Map<ServiceName, Promise<boolean>>();
  const bring = async (name: ServiceName): Promise<boolean> => {
    const svc = SERVICES[name];
    for (const dep of svc.dependsOn ?? []) {
      if (!(await running.get(dep))) {
        result.failed.push({ name, error: new ServiceError(`Service ${name} needs ${dep}`) });
        return false;
      }
    }
    const t0 = performance.now();
    if (await svc.ready(ctx).catch(() => false)) {
      if (!(await svc.owned(ctx))) {
        const error = new ServiceError(
          `Cannot start ${name}: port ${portOf(ctx, name)} answers but no process this checkout ` +
            `started (PID files in ${ctx.stateDir}) holds it; stop that process or move this ` +
            `checkout's ports with SERVICES_PORT_BASE`,
        );
        result.failed.push({ name, error });
        log(`[services] ${name}: FAILED: ${error.message}`);
        return false;
      }
      result.already.push(name);
      log(`[services] ${name}: already running`);
      return true;
    }
    log(`[services] ${name}: starting`);
    try {
      await svc.start(ctx);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      result.failed.push({ name, error });
      log(`[services] ${name}: FAILED: ${error.message}`);
      return false;
    }
    result.started.push(name);
    log(`[services] ${name}: ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return true;
  };
  for (const name of order) running.set(name, bring(name));
  await Promise.all(running.values());
  const up = [...result.started, ...result.already];
  await updateEnvFile(ctx, up, []);
  return result;
}

function portOf(ctx: ServiceContext, name: ServiceName): number {
  return ctx.ports[name as keyof ServicePorts];
}

/** Stops the named services (default all), dependents first, and updates `.services/env`. */
export async function downServices(
  ctx: ServiceContext,
  names: string[] = [],
  log: (line: string) => void = console.log,
): Promise<void> {
  const order = names.length === 0 ? [...SERVICE_NAMES] : resolveNamesExact(names);
  await Deno.mkdir(ctx.stateDir, { recursive: true });
  const release = await lock(ctx, log);
  try {
    await downLocked(ctx, order, log);
  } finally {
    await release();
  }
}

async function downLocked(
  ctx: ServiceContext,
  order: ServiceName[],
  log: (line: string) => void,
): Promise<void> {
  // In parallel: each stop mostly waits for its processes to be reaped.
  await Promise.all(
    [...order].reverse().map(async (name) => {
      const t0 = performance.now();
      try {
        await SERVICES[name].stop(ctx);
        log(`[services] ${name}: stopped (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        log(`[services] ${name}: stop failed: ${e instanceof Error ? e.message : e}`);
      }
    }),
  );
  await updateEnvFile(ctx, [], order);
}

function resolveNamesExact(names: string[]): ServiceName[] {
  resolveNames(names);
  return SERVICE_NAMES.filter((n) => names.includes(n));
}

/** Path of the env file tests read. */
export function envFilePath(ctx: ServiceContext): string {
  return `${ctx.stateDir}/env`;
}

/** Parses `KEY=VALUE` lines (comments and blanks ignored). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    const i = t.indexOf("=");
    if (i > 0) env[t.slice(0, i)] = t.slice(i + 1);
  }
  return env;
}

async function updateEnvFile(
  ctx: ServiceContext,
  add: ServiceName[],
  remove: ServiceName[],
): Promise<void> {
  const path = envFilePath(ctx);
  let current: Record<string, string> = {};
  try {
    current = parseEnvFile(await Deno.readTextFile(path));
  } catch {
    // No file yet.
  }
  for (const name of remove) {
    for (const key of Object.keys(SERVICES[name].env(ctx))) delete current[key];
  }
  for (const name of add) Object.assign(current, SERVICES[name].env(ctx));
  const lines = Object.entries(current).map(([k, v]) => `${k}=${v}`);
  await Deno.mkdir(ctx.stateDir, { recursive: true });
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(
    tmp,
    `# Written by deno task services:up; connection settings of the running services\n${
      lines.join("\n")
    }\n`,
  );
  await Deno.rename(tmp, path);
}

/**
 * Serialises services:up/down across processes (several test runs may share
 * one checkout); a lock left by a dead process is taken over.
 */
async function lock(
  ctx: ServiceContext,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
  const path = `${ctx.stateDir}/lock`;
  let told = false;
  const deadline = Date.now() + 15 * 60_000;
  while (Date.now() < deadline) {
    try {
      const file = await Deno.open(path, { write: true, createNew: true });
      await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
      file.close();
      return () => Deno.remove(path).catch(() => {});
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const owner = await readPid(path);
    if (owner === null || !alive(owner)) {
      await sleep(200);
      // Re-read: the owner may have just written its PID.
      const again = await readPid(path);
      if (again === null || !alive(again)) await Deno.remove(path).catch(() => {});
      continue;
    }
    if (!told) log(`[services] waiting for another services:up/down (pid ${owner})`);
    told = true;
    await sleep(300);
  }
  throw new ServiceError(`Cannot lock ${path}: held for more than 15 minutes`);
}
