/**
 * Finds the metric names a PromQL expression reads, without a full parser:
 * enough for rules and dashboard panels, so a test can check each name
 * against what the services really export.
 *
 * @module
 */

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
  "atan2",
]);

/** Names Prometheus itself writes for every target. */
export const SYNTHETIC_METRICS = new Set([
  "up",
  "scrape_duration_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_series_added",
]);

function stripStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

/** Removes text between `open` and its matching `close`, keeping the brackets. */
function stripBetween(expr: string, open: string, close: string): string {
  let out = "";
  let depth = 0;
  for (const ch of expr) {
    if (ch === open) {
      if (depth === 0) out += ch;
      depth++;
    } else if (ch === close && depth > 0) {
      depth--;
      if (depth === 0) out += ch;
    } else if (depth === 0) out += ch;
  }
  return out;
}

/**
 * The metric names `expr` selects (series selectors), sorted and unique.
 * Functions, aggregations, keywords, label names in `by (...)` and
 * matchers, durations and numbers are left out.
 */
export function metricNames(expr: string): string[] {
  let s = stripStrings(expr);
  s = s.replace(/#[^\n]*/g, "");
  s = stripBetween(s, "{", "}");
  s = stripBetween(s, "[", "]");
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  const token = /[0-9.][0-9A-Za-z_.]*|[A-Za-z_:][A-Za-z0-9_:]*/g;
  for (const m of s.matchAll(token)) {
    const word = m[0];
    if (/^[0-9.]/.test(word)) continue;
    if (KEYWORDS.has(word)) continue;
    const rest = s.slice(m.index + word.length).trimStart();
    if (rest.startsWith("(")) continue;
    names.add(word);
  }
  return [...names].sort();
}

/** A series selector with the label names its matchers use. */
export interface Selector {
  /** Metric name. */
  name: string;
  /** Label names in its `{...}` matchers. */
  labels: string[];
}

/** Series selectors of `expr` with the label names each one matches on. */
export function selectors(expr: string): Selector[] {
  const s = stripStrings(expr);
  const out: Selector[] = [];
  const re = /([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}/g;
  for (const m of s.matchAll(re)) {
    const labels = [...m[2].matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) =>
      l[1]
    );
    out.push({ name: m[1], labels });
  }
  for (const name of metricNames(expr)) {
    if (!out.some((o) => o.name === name)) out.push({ name, labels: [] });
  }
  return out;
}

/** Label names used in `by (...)` and `without (...)` clauses of `expr`. */
export function groupingLabels(expr: string): string[] {
  const labels = new Set<string>();
  for (const m of stripStrings(expr).matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const l of m[1].split(",")) if (l.trim() !== "") labels.add(l.trim());
  }
  return [...labels].sort();
}

/**
 * Sample names a Prometheus text exposition declares or carries: every
 * `# TYPE` name (histograms and summaries add `_bucket`, `_sum`, `_count`)
 * and every sample line's name.
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE ([A-Za-z_:][A-Za-z0-9_:]*) (\w+)/.exec(line);
    if (type) {
      names.add(type[1]);
      if (type[2] === "histogram") {
        for (const suffix of ["_bucket", "_sum", "_count"]) names.add(type[1] + suffix);
      }
      if (type[2] === "summary") {
        for (const suffix of ["_sum", "_count"]) names.add(type[1] + suffix);
      }
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]);
  }
  return names;
}
