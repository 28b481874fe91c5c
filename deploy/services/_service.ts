/**
 * The shape shared by every local service and a helper for the common case:
 * one long-running process, started detached, stopped by process group.
 */
import {
  alive,
  exists,
  readPid,
  ServiceError,
  spawnDetached,
  stopGroup,
  waitReady,
} from "./_proc.ts";
import type { ServicePorts } from "./ports.ts";
import { portHeldBy } from "./_listeners.ts";

/** Names of the services `deno task services:up` knows. */
export const SERVICE_NAMES = [
  "postgres",
  "redis",
  "gateway",
  "kafka",
  "kinesis",
  "pubsub",
  "mlflow",
] as const;

/** One of {@linkcode SERVICE_NAMES}. */
export type ServiceName = typeof SERVICE_NAMES[number];

/** Where things live and which Deno runs our own scripts. */
export interface ServiceContext {
  /** Repository root (absolute). */
  root: string;
  /** State directory, `<root>/.services`. */
  stateDir: string;
  /** The native Deno binary running this script. */
  denoPath: string;
  /** Environment given to child processes. */
  env: Record<string, string>;
  /** The loopback port of each service (`resolveServicePorts`). */
  ports: ServicePorts;
}

/** A local service that tests connect to. */
export interface LocalService {
  name: ServiceName;
  /** Env vars (connection settings) that tests receive when the service is up. */
  env(ctx: ServiceContext): Record<string, string>;
  /** Services that must be up first. */
  dependsOn?: ServiceName[];
  /** A quick check: does the service answer now? */
  ready(ctx: ServiceContext): Promise<boolean>;
  /**
   * Whether a live process started by this checkout (its PID file) is the
   * service: a port that answers without one belongs to someone else.
   */
  owned(ctx: ServiceContext): Promise<boolean>;
  /** Installs what is missing, starts the service and waits until it is ready. */
  start(ctx: ServiceContext): Promise<void>;
  /** Stops the service and every child process it started. */
  stop(ctx: ServiceContext): Promise<void>;
}

/** How to run a single-process service. */
export interface ProcessSpec {
  name: ServiceName;
  env(ctx: ServiceContext): Record<string, string>;
  dependsOn?: ServiceName[];
  readyTimeoutMs: number;
  ready(ctx: ServiceContext): Promise<boolean>;
  /** Installs binaries, prepares directories; returns the command to run. */
  prepare(ctx: ServiceContext): Promise<{ cmd: string[]; env?: Record<string, string> }>;
}

/** PID file path of a service. */
export function pidFile(ctx: ServiceContext, name: string): string {
  return `${ctx.stateDir}/${name}.pid`;
}

/** Log file path of a service. */
export function logFile(ctx: ServiceContext, name: string): string {
  return `${ctx.stateDir}/${name}.log`;
}

/** Builds a {@linkcode LocalService} that runs one detached process group. */
export function processService(spec: ProcessSpec): LocalService {
  return {
    name: spec.name,
    env: spec.env,
    dependsOn: spec.dependsOn,
    ready: spec.ready,
    async owned(ctx) {
      const pid = await readPid(pidFile(ctx, spec.name));
      if (pid === null || !alive(pid)) return false;
      // The live process must also be the one holding the port: after a port
      // change, or a reused PID, another checkout's service may answer there.
      return (await portHeldBy(ctx.ports[spec.name as keyof ServicePorts], pid)) !== false;
    },
    async start(ctx) {
      const { cmd, env } = await spec.prepare(ctx);
      const log = logFile(ctx, spec.name);
      const pidPath = pidFile(ctx, spec.name);
      const old = await readPid(pidPath);
      if (old !== null) await stopGroup(old, 5000);
      await Deno.writeTextFile(log, `--- ${new Date().toISOString()} ${cmd.join(" ")}\n`, {
        append: true,
      });
      const pid = await spawnDetached(cmd, {
        log,
        pidFile: pidPath,
        env: { ...ctx.env, ...env },
        cwd: ctx.root,
      });
      await waitReady(spec.name, () => spec.ready(ctx), {
        timeoutMs: spec.readyTimeoutMs,
        pid,
        log,
      });
    },
    async stop(ctx) {
      const pidPath = pidFile(ctx, spec.name);
      const pid = await readPid(pidPath);
      if (pid !== null) await stopGroup(pid);
      if (await exists(pidPath)) await Deno.remove(pidPath);
    },
  };
}

/** Throws a ServiceError naming the service when a required binary is missing. */
export function missing(service: string, what: string): never {
  throw new ServiceError(`Cannot start ${service}: ${what} not found`);
}
