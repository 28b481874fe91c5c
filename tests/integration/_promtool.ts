/**
 * Runs the shipped Prometheus rules over series a test scraped from a real
 * worker: `promtool test rules` with the scraped label sets as input series.
 */
const ROOT = new URL("../../", import.meta.url).pathname;

/** One scraped sample: metric name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of metric `name` in a Prometheus text exposition. */
export function samples(exposition: string, name: string): Sample[] {
  const out: Sample[] = [];
  const re = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, "gm");
  for (const m of exposition.matchAll(re)) {
    const labels: Record<string, string> = {};
    for (const l of m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name, labels, value: Number(m[2]) });
  }
  return out;
}

/** A series for promtool: the sample's labels plus job/instance, values in promtool's notation. */
export interface InputSeries {
  sample: Sample;
  /** e.g. `51+100x40` (growing) or `0x40` (flat). */
  values: string;
}

/**
 * Writes a promtool unit test over the shipped rule files and runs it:
 * `alertname` must be firing at `evalTime` with `expLabels` (and no other
 * label set of those names). Returns promtool's verdict and output.
 */
export async function promtoolAlertFires(
  series: InputSeries[],
  alertname: string,
  evalTime: string,
  expLabels: Record<string, string>,
): Promise<{ ok: boolean; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "promtool-" });
  const rules = `${ROOT}deploy/monitoring/prometheus/rules`;
  const input = series.map(({ sample, values }) => {
    const labels = { job: "ingest-kafka", instance: "worker-under-test", ...sample.labels };
    const text = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",");
    return `      - series: '${sample.name}{${text}}'\n        values: "${values}"`;
  }).join("\n");
  const by = Object.keys(expLabels).join(", ");
  const want = Object.entries(expLabels).map(([k, v]) => `${k}="${v}"`).join(", ");
  const yaml = `rule_files:
  - ${rules}/recording.yaml
  - ${rules}/alerts.yaml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
${input}
    promql_expr_test:
      - expr: count by (${by}) (ALERTS{alertname="${alertname}", alertstate="firing"})
        eval_time: ${evalTime}
        exp_samples:
          - labels: '{${want}}'
            value: 1
`;
  const file = `${dir}/scraped_test.yaml`;
  await Deno.writeTextFile(file, yaml);
  try {
    // The firing alert's labels only: its annotations are checked by deploy/monitoring/tests.
    const out = await new Deno.Command("promtool", { args: ["test", "rules", file] }).output();
    const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { ok: out.success, output };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
