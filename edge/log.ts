/**
 * Structured JSON logs, one line per event, with the request id when there
 * is one. Credentials in any URL of a line are redacted before it is
 * written (`schemas/redact.ts`).
 *
 * @module
 */
import { redactText } from "../schemas/redact.ts";

/** Log levels, most verbose first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** A structured logger. */
export interface Logger {
  /** Whether `level` is written (to skip building costly fields). */
  enabled(level: Exclude<LogLevel, "silent">): boolean;
  log(level: Exclude<LogLevel, "silent">, msg: string, fields?: Record<string, unknown>): void;
}

/** A logger writing JSON lines to `write` (default: `console.log`). */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => console.log(l),
  now: () => number = Date.now,
): Logger {
  const min = RANK[level];
  return {
    enabled: (l) => RANK[l] >= min,
    log(l, msg, fields = {}) {
      if (RANK[l] < min) return;
      const line = JSON.stringify({ ts: new Date(now()).toISOString(), level: l, msg, ...fields });
      // Only lines with a URL pay for the redaction (access logs have none).
      write(line.includes("://") ? redactText(line) : line);
    },
  };
}
