/**
 * MLflow 3 tracking server on 127.0.0.1 (port `ctx.ports.mlflow`, default
 * 55000) with a SQLite backend store and
 * a proxied artifact store under `.services/mlflow`. MLflow lives in a
 * virtualenv cached between runs (`~/.cache/rtml/mlflow-venv-<version>`).
 */
import { processService, type ServiceContext } from "./_service.ts";
import { aptInstall, exists, run, runOk, ServiceError, which } from "./_proc.ts";

/** The pinned MLflow version (PyPI). */
export const MLFLOW_VERSION = "3.17.2";

/** The env var tests get. */
export function mlflowEnv(ctx: ServiceContext): { MLFLOW_TRACKING_URI: string } {
  return { MLFLOW_TRACKING_URI: `http://127.0.0.1:${ctx.ports.mlflow}` };
}

/** The cached virtualenv holding MLflow. */
export function mlflowVenv(ctx: ServiceContext): string {
  const home = ctx.env.HOME ?? Deno.env.get("HOME") ?? "/tmp";
  return `${home}/.cache/rtml/mlflow-venv-${MLFLOW_VERSION}`;
}

async function ready(ctx: ServiceContext): Promise<boolean> {
  const res = await fetch(`${mlflowEnv(ctx).MLFLOW_TRACKING_URI}/health`, {
    signal: AbortSignal.timeout(2000),
  });
  return res.ok && (await res.text()).trim() === "OK";
}

async function ensureVenv(ctx: ServiceContext): Promise<string> {
  const venv = mlflowVenv(ctx);
  const marker = `${venv}/.complete`;
  if (await exists(marker)) return venv;
  const python = (await which("python3")) ?? (await which("python"));
  if (!python) await aptInstall("mlflow", ["python3", "python3-venv"]);
  console.log(`[services] mlflow: installing mlflow==${MLFLOW_VERSION} into ${venv} (cached)`);
  await Deno.remove(venv, { recursive: true }).catch(() => {});
  let made = await run([python ?? "python3", "-m", "venv", venv]);
  if (made.code !== 0) {
    // Debian's python3 needs python3-venv for ensurepip.
    await aptInstall("mlflow", ["python3-venv"]);
    await Deno.remove(venv, { recursive: true }).catch(() => {});
    made = await run(["/usr/bin/python3", "-m", "venv", venv]);
    if (made.code !== 0) throw new ServiceError(`Cannot create the mlflow virtualenv ${venv}`);
  }
  await runOk("install mlflow", [
    `${venv}/bin/pip`,
    "install",
    "-q",
    "--disable-pip-version-check",
    `mlflow==${MLFLOW_VERSION}`,
  ]);
  await Deno.writeTextFile(marker, "");
  return venv;
}

/** The MLflow service. */
export const mlflowService = processService({
  name: "mlflow",
  env: mlflowEnv,
  readyTimeoutMs: 120_000,
  ready,
  async prepare(ctx) {
    const venv = await ensureVenv(ctx);
    const dir = `${ctx.stateDir}/mlflow`;
    await Deno.mkdir(`${dir}/artifacts`, { recursive: true });
    return {
      cmd: [
        `${venv}/bin/mlflow`,
        "server",
        "--backend-store-uri",
        `sqlite:///${dir}/db.sqlite`,
        "--artifacts-destination",
        `${dir}/artifacts`,
        "--host",
        "127.0.0.1",
        "--port",
        String(ctx.ports.mlflow),
        "--workers",
        "1",
      ],
      // No background job runner (GenAI jobs): it costs ~1 GB RSS and tests do not use it.
      env: {
        MLFLOW_HOME: dir,
        PYTHONUNBUFFERED: "1",
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION: "false",
        // Webhooks to the registry's sync worker on loopback over plain HTTP,
        // with no cached delivery settings between tests.
        MLFLOW_WEBHOOK_ALLOWED_SCHEMES: "http,https",
        MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: "true",
        MLFLOW_WEBHOOK_CACHE_TTL: "1",
      },
    };
  },
});
