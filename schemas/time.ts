/**
 * ISO 8601 timestamp parsing with the platform's rule: a timestamp without
 * an offset is UTC (JavaScript would read it as local time).
 *
 * @module
 */

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses an ISO 8601 date or date-time into epoch milliseconds, or returns
 * `null` when the text is not a valid ISO 8601 instant.
 *
 * @example
 * ```ts
 * parseIsoUtc("2026-03-20T11:00:00"); // same as "2026-03-20T11:00:00Z"
 * ```
 */
export function parseIsoUtc(text: string): number | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", off] = m;
  const month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const ms = frac === "" ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  let t = Date.UTC(Number(y), month - 1, day, hour, minute, second, ms);
  if (new Date(t).getUTCDate() !== day) return null; // e.g. 2026-02-31
  if (off && off !== "Z" && off !== "z") {
    const sign = off[0] === "-" ? -1 : 1;
    const digits = off.slice(1).replace(":", "");
    const offMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
    t -= sign * offMin * 60_000;
  }
  return t;
}

/** Formats epoch milliseconds as an ISO 8601 UTC string. */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
