/**
 * PostgreSQL 15: a private cluster (`initdb`/`pg_ctl`) on 127.0.0.1 (port
 * `ctx.ports.postgres`, default 55432) with
 * superuser `platform` (password `platform`) and database `platform`.
 *
 * Postgres refuses to run as root, so as root the cluster belongs to the
 * `postgres` OS user (created when missing) and every command goes through
 * `runuser`. When that user cannot reach the repository (e.g. a clone under
 * `/root`), the data directory moves to `/var/tmp/rtml-pg-<port>`.
 */
import type { LocalService, ServiceContext } from "./_service.ts";
import { portHeldBy } from "./_listeners.ts";
import { logFile } from "./_service.ts";
import {
  alive,
  aptInstall,
  exists,
  isRoot,
  readPid,
  run,
  runOk,
  ServiceError,
  tcpOpen,
  waitReady,
} from "./_proc.ts";

const USER = "platform";
const PASSWORD = "platform";
const OS_USER = "postgres";

/** The env var tests get. */
export function postgresEnv(ctx: ServiceContext): { DATABASE_URL: string } {
  return { DATABASE_URL: `postgres://${USER}:${PASSWORD}@127.0.0.1:${ctx.ports.postgres}/${USER}` };
}

async function binDir(): Promise<string | null> {
  for (const v of ["15", "16", "17", "14"]) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (await exists(`${dir}/pg_ctl`)) return dir;
  }
  return null;
}

async function ensureBinDir(): Promise<string> {
  let dir = await binDir();
  if (dir) return dir;
  await aptInstall("postgres", ["postgresql"]);
  dir = await binDir();
  if (!dir) throw new ServiceError("Cannot start postgres: pg_ctl not found after install");
  return dir;
}

/** Wraps a command so it runs as the cluster owner. */
function asOwner(cmd: string[]): string[] {
  return isRoot() ? ["runuser", "-u", OS_USER, "--", ...cmd] : cmd;
}

async function ensureOsUser(): Promise<void> {
  if (!isRoot()) return;
  if ((await run(["id", "-u", OS_USER])).code === 0) return;
  console.log(`[services] postgres: creating OS user '${OS_USER}'`);
  await runOk("create the postgres OS user", [
    "useradd",
    "--system",
    "--no-create-home",
    "--shell",
    "/bin/sh",
    OS_USER,
  ]);
}

/** The cluster directory: under `.services/pg`, or `/var/tmp` when the owner cannot reach it. */
async function clusterDir(ctx: ServiceContext): Promise<string> {
  const inTree = `${ctx.stateDir}/pg`;
  if (!isRoot()) return inTree;
  const probe = await run(["runuser", "-u", OS_USER, "--", "test", "-x", ctx.stateDir]);
  return probe.code === 0 ? inTree : `/var/tmp/rtml-pg-${ctx.ports.postgres}`;
}

async function ready(ctx: ServiceContext): Promise<boolean> {
  if (!(await tcpOpen("127.0.0.1", ctx.ports.postgres))) return false;
  const { default: postgres } = await import("postgres");
  const sql = postgres(postgresEnv(ctx).DATABASE_URL, {
    max: 1,
    connect_timeout: 2,
    onnotice: () => {},
  });
  try {
    const rows = await sql`select 1 as ok`;
    return rows[0]?.ok === 1;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function initCluster(bin: string, dir: string): Promise<void> {
  const data = `${dir}/data`;
  if (await exists(`${data}/PG_VERSION`)) return;
  await Deno.mkdir(dir, { recursive: true });
  const pwfile = `${dir}/pwfile`;
  await Deno.writeTextFile(pwfile, `${PASSWORD}\n`);
  if (isRoot()) await runOk("chown the postgres dir", ["chown", "-R", `${OS_USER}:`, dir]);
  await runOk(
    "initialise the postgres cluster",
    asOwner([
      `${bin}/initdb`,
      "-D",
      data,
      "-U",
      USER,
      `--pwfile=${pwfile}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ]),
  );
}

async function createDatabase(bin: string, dir: string, port: number): Promise<void> {
  const psql = (sqlText: string) =>
    runOk(
      "create the platform database",
      asOwner([
        `${bin}/psql`,
        "-h",
        `${dir}/sock`,
        "-p",
        String(port),
        "-U",
        USER,
        "-d",
        "postgres",
        "-tAc",
        sqlText,
      ]),
    );
  const found = await psql(`select 1 from pg_database where datname = '${USER}'`);
  if (found.trim() !== "1") await psql(`create database ${USER}`);
}

/** The PostgreSQL service. */
export const postgresService: LocalService = {
  name: "postgres",
  env: postgresEnv,
  ready,
  async owned(ctx) {
    const dirFile = `${ctx.stateDir}/pg.dir`;
    if (!(await exists(dirFile))) return false;
    const dir = (await Deno.readTextFile(dirFile)).trim();
    const pid = await readPid(`${dir}/data/postmaster.pid`);
    if (pid === null || !alive(pid)) return false;
    return (await portHeldBy(ctx.ports.postgres, pid)) !== false;
  },
  async start(ctx) {
    const bin = await ensureBinDir();
    await ensureOsUser();
    const dir = await clusterDir(ctx);
    await Deno.writeTextFile(`${ctx.stateDir}/pg.dir`, `${dir}\n`);
    await initCluster(bin, dir);
    await Deno.mkdir(`${dir}/sock`, { recursive: true });
    if (isRoot()) await runOk("chown the postgres dir", ["chown", "-R", `${OS_USER}:`, dir]);
    const log = `${dir}/postgres.log`;
    const opts = [
      `-p ${ctx.ports.postgres}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${dir}/sock`,
      "-c max_connections=300",
      // A throwaway test cluster: durability is not what we test here.
      "-c fsync=off",
      "-c full_page_writes=off",
      "-c shared_buffers=1GB",
    ].join(" ");
    await runOk(
      "start postgres",
      asOwner([
        `${bin}/pg_ctl`,
        "-D",
        `${dir}/data`,
        "-l",
        log,
        "-o",
        opts,
        "-w",
        "-t",
        "60",
        "start",
      ]),
    );
    await createDatabase(bin, dir, ctx.ports.postgres);
    await waitReady("postgres", () => ready(ctx), { timeoutMs: 30_000, log });
    // Keep a copy of the log path where the other services' logs are.
    await Deno.writeTextFile(logFile(ctx, "postgres"), `see ${log}\n`);
  },
  async stop(ctx) {
    const dirFile = `${ctx.stateDir}/pg.dir`;
    const dir = (await exists(dirFile))
      ? (await Deno.readTextFile(dirFile)).trim()
      : await clusterDir(ctx);
    const data = `${dir}/data`;
    const pid = await readPid(`${data}/postmaster.pid`);
    if (pid === null || !alive(pid)) return;
    const bin = await binDir();
    if (bin) {
      const res = await run(asOwner([`${bin}/pg_ctl`, "-D", data, "-m", "fast", "-w", "stop"]));
      if (res.code === 0) return;
    }
    Deno.kill(pid, "SIGQUIT");
  },
};
