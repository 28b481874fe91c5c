/**
 * One ONNX model in `onnxruntime-web` (WASM, one thread): loaded from bytes,
 * warmed with one run, fed a float32 `[N, F]` tensor named after the
 * manifest's `input_name`, read back through the manifest's `outputs`.
 *
 * Single-row predictions can be coalesced: rows that arrive while the event
 * loop is busy are queued and run as one `[N, F]` batch, flushed from a
 * `MessageChannel` message (a macrotask that runs after pending I/O
 * callbacks, unlike `setTimeout(0)` which is clamped and slower). The
 * per-call overhead of `session.run`, not the model, is what this amortises.
 *
 * @module
 */
import * as ort from "onnxruntime-web";
import type { ModelManifest } from "../../schemas/manifest.ts";
import { ModelSessionError } from "../errors.ts";

let configured = false;
/**
 * Sets onnxruntime-web up as the edge runs it (one WASM thread, no proxy
 * worker, errors-only logging). The registry's validation and evaluation
 * call it too, so they load models exactly as the edge will (this module
 * sits in `pipeline/` so that both can import it).
 */
export function configureOnnxRuntime(): void {
  if (configured) return;
  // One thread: Deno Deploy isolates have one core and no worker threads
  // for WASM; the wasm file is read from the installed package, never fetched.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  configured = true;
}

/** Scores of `n` rows: probability of the positive class and the full rows. */
export interface Scores {
  /** Rows scored. */
  n: number;
  /** `[p0, p1]` per row, row-major (`2n` values). */
  probabilities: Float32Array;
}

/** Options of {@linkcode OnnxSession.create}. */
export interface OnnxSessionOptions {
  /** Coalesce concurrent {@linkcode OnnxSession.scoreRow} calls (default true). */
  coalesce?: boolean;
  /** Rows per coalesced run at most (default 512). */
  maxRows?: number;
  /** Called with the row count of every coalesced run (for metrics). */
  onRun?: (rows: number) => void;
}

interface Pending {
  row: Float32Array;
  resolve: (p: Float32Array) => void;
  reject: (e: unknown) => void;
}

/** A loaded, warmed ONNX session of one model version. */
export class OnnxSession {
  readonly manifest: ModelManifest;
  /** Number of model inputs (`F`). */
  readonly width: number;
  readonly #session: ort.InferenceSession;
  readonly #coalesce: boolean;
  readonly #maxRows: number;
  readonly #onRun?: (rows: number) => void;
  #queue: Pending[] = [];
  #scheduled = false;
  #running = false;
  #channel: MessageChannel | undefined;
  #released = false;

  private constructor(
    session: ort.InferenceSession,
    manifest: ModelManifest,
    options: OnnxSessionOptions,
  ) {
    this.#session = session;
    this.manifest = manifest;
    this.width = manifest.inputs.length;
    this.#coalesce = options.coalesce ?? true;
    this.#maxRows = options.maxRows ?? 512;
    this.#onRun = options.onRun;
  }

  /**
   * Builds a session from the model bytes and warms it with one run (the
   * first golden row when the manifest has one, else zeros).
   */
  static async create(
    bytes: Uint8Array,
    manifest: ModelManifest,
    options: OnnxSessionOptions = {},
  ): Promise<OnnxSession> {
    configureOnnxRuntime();
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
      });
    } catch (cause) {
      throw new ModelSessionError(
        "model_load_failed",
        `Cannot load model '${manifest.name}' version ${manifest.version}: ${errorText(cause)}`,
        { cause },
      );
    }
    const missing = [manifest.outputs.probabilities].filter((o) =>
      !session.outputNames.includes(o)
    );
    if (!session.inputNames.includes(manifest.input_name)) missing.push(manifest.input_name);
    if (missing.length > 0) {
      await session.release();
      throw new ModelSessionError(
        "model_load_failed",
        `Cannot load model '${manifest.name}' version ${manifest.version}: graph lacks ${
          missing.join(", ")
        }`,
      );
    }
    const s = new OnnxSession(session, manifest, options);
    const warm = manifest.golden?.rows[0] ?? new Array(s.width).fill(0);
    await s.score(Float32Array.from(warm), 1);
    return s;
  }

  /** Scores `n` rows stored row-major in `data` (`n * width` values) in one run. */
  async score(data: Float32Array, n: number): Promise<Scores> {
    if (this.#released) {
      throw new ModelSessionError("model_not_ready", `Model '${this.manifest.name}' was unloaded`);
    }
    const input = new ort.Tensor("float32", data, [n, this.width]);
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.#session.run(
        { [this.manifest.input_name]: input },
        [this.manifest.outputs.probabilities],
      );
    } catch (cause) {
      throw new ModelSessionError("inference_failed", `Inference failed: ${errorText(cause)}`, {
        cause,
      });
    }
    const probs = out[this.manifest.outputs.probabilities];
    const values = probs.data instanceof Float32Array
      ? probs.data
      : Float32Array.from(probs.data as ArrayLike<number>);
    return { n, probabilities: values };
  }

  /**
   * Scores one row; concurrent calls are coalesced into one run when
   * enabled. Resolves to `[p0, p1]`.
   */
  scoreRow(row: Float32Array): Promise<Float32Array> {
    if (!this.#coalesce) return this.score(row, 1).then((s) => s.probabilities);
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      if (!this.#scheduled && !this.#running) {
        this.#scheduled = true;
        const port = this.#port();
        // Keep the event loop alive only while rows wait for the flush.
        setRef(this.#channel!.port1, true);
        port.postMessage(null);
      }
    });
  }

  /** Frees the WASM memory of the session once queued rows are done. */
  async release(): Promise<void> {
    if (this.#released) return;
    await this.#flush();
    while (this.#running || this.#queue.length > 0) {
      await new Promise((r) => setTimeout(r, 1));
    }
    this.#released = true;
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    await this.#session.release();
  }

  #port(): MessagePort {
    if (!this.#channel) {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => void this.#flush();
      setRef(channel.port1, false);
      this.#channel = channel;
    }
    return this.#channel.port2;
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    // One drain loop at a time: rows queued while a run is in flight join the next run.
    if (this.#running) return;
    this.#running = true;
    try {
      // The emptiness check and `#running = false` happen in one synchronous
      // step, so a row queued by a resolved caller always finds either a
      // running loop or no loop (and then schedules one).
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxRows);
        this.#onRun?.(batch.length);
        const w = this.width;
        const data = new Float32Array(batch.length * w);
        for (let i = 0; i < batch.length; i++) data.set(batch[i].row, i * w);
        try {
          const { probabilities } = await this.score(data, batch.length);
          for (let i = 0; i < batch.length; i++) {
            batch[i].resolve(probabilities.subarray(2 * i, 2 * i + 2));
          }
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.#running = false;
      if (!this.#scheduled && this.#channel) setRef(this.#channel.port1, false);
    }
  }
}

/** `ref()`/`unref()` of a port where the runtime has them (Deno, Node). */
function setRef(port: MessagePort, on: boolean): void {
  const p = port as unknown as { ref?: () => void; unref?: () => void };
  (on ? p.ref : p.unref)?.call(port);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
