/**
 * `HttpModelControl`: the {@linkcode ModelControl} of a running platform,
 * through its `/admin/models` routes (`admin_http.ts`). Errors come back as
 * `RegistryError`s with the server's code and message.
 *
 * @module
 */
import { RegistryError, type RegistryErrorCode } from "./errors.ts";
import type {
  CanaryOptions,
  ModelControl,
  ModelListing,
  ModelStatus,
  OperationResult,
  PromoteOptions,
  RollbackOptions,
} from "./operations.ts";

/** Model operations on a platform reached over HTTP. */
export class HttpModelControl implements ModelControl {
  readonly target: string;
  readonly #base: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(
    baseUrl: string,
    token: string,
    options: { target?: string; timeoutMs?: number } = {},
  ) {
    this.#base = baseUrl.replace(/\/+$/, "");
    this.#token = token;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.target = options.target ?? `on the platform at ${this.#base}`;
  }

  async list(): Promise<ModelListing[]> {
    return (await this.#call<{ models: ModelListing[] }>("GET", "/admin/models")).models;
  }

  status(model: string): Promise<ModelStatus> {
    return this.#call("GET", `/admin/models/${encodeURIComponent(model)}`);
  }

  promote(model: string, options: PromoteOptions = {}): Promise<OperationResult> {
    return this.#call("POST", `/admin/models/${encodeURIComponent(model)}/promote`, options);
  }

  canary(model: string, options: CanaryOptions): Promise<OperationResult> {
    return this.#call("POST", `/admin/models/${encodeURIComponent(model)}/canary`, options);
  }

  rollback(model: string, options: RollbackOptions = {}): Promise<OperationResult> {
    return this.#call("POST", `/admin/models/${encodeURIComponent(model)}/rollback`, options);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw new RegistryError(
        "registry_unavailable",
        `Cannot reach the platform at ${this.#base}: ${(cause as Error).message}`,
        { cause },
      );
    }
    const text = await res.text();
    let json: { error?: { code?: string; message?: string; details?: unknown } } & T;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RegistryError(
        "registry_unavailable",
        `The platform at ${this.#base} answered ${res.status} without JSON`,
      );
    }
    if (!res.ok) {
      throw new RegistryError(
        (json.error?.code ?? "registry_unavailable") as RegistryErrorCode,
        json.error?.message ?? `The platform at ${this.#base} answered ${res.status}`,
        { details: json.error?.details },
      );
    }
    return json;
  }
}
