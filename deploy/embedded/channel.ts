/**
 * Two-way calls between the serving thread and the pipeline worker of the
 * embedded platform, over `postMessage` with `birpc`. Each side exposes
 * async functions; results and errors cross by structured clone. A thrown
 * `PlatformError` keeps its `code`, message and details across (a plain
 * structured clone of an `Error` keeps only its message), so the HTTP
 * surfaces map it to the same status as in one thread.
 *
 * @module
 */
import { createBirpc } from "birpc";
import { PlatformError, type PlatformErrorCode } from "../../schemas/errors.ts";
import { RetryableError } from "../../pipeline/mod.ts";

/** Anything that posts and receives messages: a `Worker`, a worker's global scope, a `MessagePort`. */
export interface MessageEndpoint {
  postMessage(data: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

// deno-lint-ignore no-explicit-any
type AsyncFunctions = { [name: string]: (...args: any[]) => Promise<unknown> };

/** An error as it crosses the channel. */
interface WireError {
  /** Set by {@linkcode toWire} from a `PlatformError` on the other side. */
  code?: PlatformErrorCode;
  name: string;
  message: string;
  details?: unknown;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: WireError };

function toWire(error: unknown): WireError {
  if (error instanceof PlatformError) {
    return { code: error.code, name: error.name, message: error.message, details: error.details };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

function fromWire(wire: WireError): Error {
  if (wire.code === "pipeline_retryable") return new RetryableError(wire.message);
  if (wire.code !== undefined) {
    return new PlatformError(wire.code, wire.message, { details: wire.details });
  }
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
}

/** Options of {@linkcode connectChannel}. */
export interface ChannelOptions<Remote> {
  /** The names of the functions the other side exposes. */
  remote: readonly (keyof Remote & string)[];
  /** Who answers on the other side, for error messages (`pipeline thread`). */
  peer: string;
  /** Longest wait for an answer before the call fails with `RetryableError`, ms. */
  timeoutMs: number;
}

/** One side of a channel. */
export interface Channel<Remote> {
  /** The other side's functions. */
  readonly remote: Remote;
  /** Stops listening; pending and later calls fail with `reason`. */
  close(reason: Error): void;
}

/** Exposes `local` on `endpoint` and returns callers of the other side's functions. */
export function connectChannel<Remote extends object>(
  endpoint: MessageEndpoint,
  local: AsyncFunctions,
  options: ChannelOptions<Remote>,
): Channel<Remote> {
  const guarded: Record<string, (...args: unknown[]) => Promise<Outcome>> = {};
  for (const [name, fn] of Object.entries(local)) {
    guarded[name] = async (...args) => {
      try {
        return { ok: true, value: await fn(...args) };
      } catch (error) {
        return { ok: false, error: toWire(error) };
      }
    };
  }
  const listeners = new Map<(data: unknown) => void, (event: MessageEvent) => void>();
  let closedWith: Error | null = null;
  type Guarded = Record<string, (...args: unknown[]) => Promise<Outcome>>;
  const rpc = createBirpc<Guarded, Guarded, false>(guarded, {
    post: (data) => endpoint.postMessage(data),
    on: (fn) => {
      const listener = (event: MessageEvent) => fn(event.data);
      listeners.set(fn, listener);
      endpoint.addEventListener("message", listener);
    },
    off: (fn) => {
      const listener = listeners.get(fn);
      if (listener) endpoint.removeEventListener("message", listener);
      listeners.delete(fn);
    },
    timeout: options.timeoutMs,
    proxify: false,
    onTimeoutError(name) {
      throw new RetryableError(
        `No answer from the ${options.peer} to '${name}' within ${options.timeoutMs} ms`,
      );
    },
  });
  const remote: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of options.remote) {
    remote[name] = async (...args) => {
      if (closedWith) throw closedWith;
      const outcome = await rpc.$call(name, ...args);
      if (outcome.ok) return outcome.value;
      throw fromWire(outcome.error);
    };
  }
  return {
    remote: remote as Remote,
    close(reason) {
      if (closedWith) return;
      closedWith = reason;
      rpc.$close(reason);
    },
  };
}
