/**
 * A small client for MLflow's REST API (`/api/2.0/mlflow/...`) and the
 * tracking server's artifact proxy (`/api/2.0/mlflow-artifacts/...`), with
 * optional bearer or basic auth, bounded timeouts and errors translated to
 * `RegistryError` codes at this boundary.
 *
 * @module
 */
import { redactText, redactUrl } from "../schemas/redact.ts";
import { RegistryError, type RegistryErrorCode } from "./errors.ts";

/** How to reach an MLflow tracking server. */
export interface MlflowClientOptions {
  /** Base URL of the tracking server, e.g. `http://127.0.0.1:55000`. */
  trackingUri: string;
  /** Bearer token (`MLFLOW_TRACKING_TOKEN`). */
  token?: string;
  /** Basic auth (`MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`). */
  username?: string;
  password?: string;
  /** Per-request timeout for API calls in ms (default 10000). */
  timeoutMs?: number;
  /** Per-request timeout for artifact transfers in ms (default 30000). */
  artifactTimeoutMs?: number;
  /** The fetch to use (tests may wrap it). */
  fetch?: typeof fetch;
}

/**
 * An error answer of the MLflow API, already a `RegistryError` (`registry_conflict`
 * for RESOURCE_ALREADY_EXISTS, `invalid_request` for other 4xx answers,
 * `registry_unavailable` for 5xx) that adapters refine where they know more.
 */
export class MlflowApiError extends RegistryError {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(codeFor(status, errorCode), `MLflow answered ${errorCode}: ${message}`, {
      details: { mlflow_error_code: errorCode, status },
    });
  }
}

function codeFor(status: number, errorCode: string): RegistryErrorCode {
  if (errorCode === "RESOURCE_ALREADY_EXISTS") return "registry_conflict";
  return status >= 500 ? "registry_unavailable" : "invalid_request";
}

type Query = Record<string, string | number | undefined>;

/** Thin REST client; every method throws `MlflowApiError` or `RegistryError`. */
export class MlflowClient {
  readonly baseUrl: string;
  /** `baseUrl` with any credentials redacted: the only form put in messages. */
  readonly displayUrl: string;
  #headers: Record<string, string>;
  #timeoutMs: number;
  #artifactTimeoutMs: number;
  #fetch: typeof fetch;

  constructor(options: MlflowClientOptions) {
    this.baseUrl = options.trackingUri.replace(/\/+$/, "");
    this.displayUrl = redactUrl(this.baseUrl);
    this.#headers = {};
    if (options.token) this.#headers.authorization = `Bearer ${options.token}`;
    else if (options.username !== undefined) {
      const pair = `${options.username}:${options.password ?? ""}`;
      this.#headers.authorization = `Basic ${btoa(pair)}`;
    }
    this.#timeoutMs = options.timeoutMs ?? 10000;
    this.#artifactTimeoutMs = options.artifactTimeoutMs ?? 30000;
    this.#fetch = options.fetch ?? fetch;
  }

  /** GET `/api/2.0/mlflow/<path>` with query parameters. */
  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.#json<T>("GET", `/api/2.0/mlflow/${path}${toQuery(query)}`);
  }

  /** POST `/api/2.0/mlflow/<path>` with a JSON body. */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.#json<T>("POST", `/api/2.0/mlflow/${path}`, body);
  }

  /** PATCH `/api/2.0/mlflow/<path>` with a JSON body. */
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.#json<T>("PATCH", `/api/2.0/mlflow/${path}`, body);
  }

  /** DELETE `/api/2.0/mlflow/<path>` with a JSON body (as MLflow's own client sends it). */
  delete<T>(path: string, body: unknown): Promise<T> {
    return this.#json<T>("DELETE", `/api/2.0/mlflow/${path}`, body);
  }

  /** Uploads bytes to an `mlflow-artifacts:` URI through the proxy. */
  async putArtifact(uri: string, bytes: Uint8Array | string): Promise<void> {
    const body = typeof bytes === "string"
      ? new TextEncoder().encode(bytes)
      : bytes as Uint8Array<ArrayBuffer>;
    const res = await this.#send("PUT", this.artifactUrl(uri), body, this.#artifactTimeoutMs, {
      "content-type": "application/octet-stream",
    });
    await this.#check(res);
    await res.body?.cancel();
  }

  /** Downloads an artifact, or returns null when it does not exist. */
  async getArtifact(uri: string): Promise<Uint8Array | null> {
    const url = this.artifactUrl(uri);
    const res = await this.#send("GET", url, undefined, this.#artifactTimeoutMs);
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    await this.#check(res);
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (cause) {
      throw unavailable(`Cannot download artifact '${uri}' from MLflow`, cause);
    }
  }

  /** Maps `mlflow-artifacts:/a/b` (or `mlflow-artifacts://host/a/b`) to a proxy URL. */
  artifactUrl(uri: string): string {
    const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri);
    if (!match) {
      throw new RegistryError(
        "artifact_invalid",
        `Cannot read artifact through the MLflow proxy: unsupported URI '${uri}'`,
      );
    }
    const path = match[1].split("/").map(encodeURIComponent).join("/");
    return `${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${path}`;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#send(
      method,
      `${this.baseUrl}${path}`,
      body === undefined ? undefined : JSON.stringify(body),
      this.#timeoutMs,
      body === undefined ? {} : { "content-type": "application/json" },
    );
    await this.#check(res);
    const text = await res.text().catch((cause) => {
      throw unavailable(`Cannot read MLflow answer to ${method} ${path}`, cause);
    });
    return (text === "" ? {} : JSON.parse(text)) as T;
  }

  async #send(
    method: string,
    url: string,
    body: BodyInit | undefined,
    timeoutMs: number,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    try {
      return await this.#fetch(url, {
        method,
        body,
        headers: { ...this.#headers, ...headers },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      const reason = cause instanceof DOMException && cause.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : redactText(cause instanceof Error ? cause.message : String(cause));
      throw unavailable(`Cannot reach MLflow at '${this.displayUrl}': ${reason}`, cause);
    }
  }

  async #check(res: Response): Promise<void> {
    if (res.ok) return;
    const text = await res.text().catch(() => "");
    let errorCode = `HTTP_${res.status}`;
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text);
      errorCode = parsed.error_code ?? errorCode;
      message = parsed.message ?? message;
    } catch {
      // Not JSON (proxy error page, auth challenge): keep the raw text.
    }
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(
        "registry_unavailable",
        `MLflow refused the credentials at '${this.displayUrl}': HTTP ${res.status}`,
        { details: { status: res.status } },
      );
    }
    if (res.status >= 500 && errorCode.startsWith("HTTP_")) {
      throw unavailable(`MLflow at '${this.displayUrl}' failed: HTTP ${res.status} ${message}`);
    }
    throw new MlflowApiError(res.status, errorCode, message);
  }
}

function toQuery(query: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

function unavailable(message: string, cause?: unknown): RegistryError {
  return new RegistryError("registry_unavailable", message, { cause });
}

/** True when `error` is an MLflow "does not exist" answer. */
export function isNotFound(error: unknown): boolean {
  return error instanceof MlflowApiError &&
    (error.errorCode === "RESOURCE_DOES_NOT_EXIST" || error.status === 404);
}

/** Translates an MLflow API error into a `RegistryError` with `code`. */
export function translate(error: unknown, code: RegistryErrorCode, message: string): unknown {
  if (!(error instanceof MlflowApiError)) return error;
  return new RegistryError(code, message, {
    cause: error,
    details: { mlflow_error_code: error.errorCode, status: error.status },
  });
}
