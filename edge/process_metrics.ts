/**
 * Process metrics for the System dashboard (memory, CPU, event loop lag,
 * GC) from prom-client's defaults, with the resident memory read from
 * `Deno.memoryUsage()`: prom-client reads `/proc/self/status`, which Deno
 * only allows with `--allow-all`, so under the edge's
 * `--allow-net --allow-env --allow-read` it would report 0.
 *
 * @module
 */
import { collectDefaultMetrics, Gauge, type Registry } from "prom-client";

const RSS = "process_resident_memory_bytes";

/** Registers the default process metrics on `registry`, with a working RSS gauge. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  registry.removeSingleMetric(RSS);
  registry.registerMetric(
    new Gauge({
      name: RSS,
      help: "Resident memory size in bytes.",
      registers: [],
      collect() {
        this.set(Deno.memoryUsage().rss);
      },
    }),
  );
}
