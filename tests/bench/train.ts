/**
 * `deno task bench:train`: our GBDT against scikit-learn's
 * `GradientBoostingClassifier()` (defaults) on the same stratified 80/20
 * split (seed 42) of the demo fraud data: validation ROC AUC and training
 * time side by side. scikit-learn runs from PyPI in a cached virtualenv
 * (`$BENCH_VENV`, default `.venv/bench-sklearn`). Exits 1 when our AUC is
 * more than 0.01 below scikit-learn's (the quality bar of issue 2).
 *
 * deno task bench:train [--data file.csv] [--label label] [--repeat 5]
 */
import { parseArgs } from "node:util";
import {
  averagePrecision,
  loadDataset,
  predictGbdt,
  rocAuc,
  selectRows,
  stratifiedSplit,
  trainGbdt,
  trainModel,
} from "../../pipeline/train/mod.ts";
import { exitWithHelp } from "../_help.ts";

exitWithHelp(import.meta.url);

const here = (p: string) => new URL(p, import.meta.url).pathname;
const args = parseArgs({
  args: Deno.args,
  options: {
    data: { type: "string", default: here("../../pipeline/demo_data/fraud_detection.csv") },
    label: { type: "string", default: "label" },
    repeat: { type: "string", default: "5" },
  },
}).values;
const repeat = Math.max(1, Number(args.repeat));
const venv = Deno.env.get("BENCH_VENV") ?? here("../../.venv/bench-sklearn");
const requirements = here("./python/requirements.txt");

async function sh(cmd: string, cmdArgs: string[], quiet = false): Promise<string> {
  const out = await new Deno.Command(cmd, { args: cmdArgs, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${cmdArgs.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  if (!quiet) console.error(text.trim());
  return text;
}

/** Creates the venv once; reinstalls only when requirements.txt changes. */
async function ensureVenv(): Promise<string> {
  const python = `${venv}/bin/python`;
  const want = await Deno.readTextFile(requirements);
  const marker = `${venv}/.requirements`;
  const have = await Deno.readTextFile(marker).catch(() => "");
  if (have === want) return python;
  console.error(`Preparing ${venv} (scikit-learn from PyPI)…`);
  await sh("python3", ["-m", "venv", venv], true);
  await sh(`${venv}/bin/pip`, ["install", "-q", "-r", requirements], true);
  await Deno.writeTextFile(marker, want);
  return python;
}

const data = await loadDataset(args.data!, { label: args.label! });
const split = stratifiedSplit(data.y, { seed: 42, validationFraction: 0.2 });
const train = selectRows(data, split.train);
const validation = selectRows(data, split.validation);
const width = data.inputs.length;

const times: number[] = [];
let model = trainGbdt(train.x, train.y, width);
for (let i = 0; i < repeat; i++) {
  const t0 = performance.now();
  model = trainGbdt(train.x, train.y, width);
  times.push(performance.now() - t0);
}
const p = predictGbdt(model, validation.x);
const ours = { roc_auc: rocAuc(validation.y, p), pr_auc: averagePrecision(validation.y, p) };
const t0 = performance.now();
await trainModel({ data: args.data!, label: args.label!, name: "bench" });
const endToEnd = performance.now() - t0;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const splitFile = await Deno.makeTempFile({ suffix: ".json" });
await Deno.writeTextFile(
  splitFile,
  JSON.stringify({ train: [...split.train], validation: [...split.validation] }),
);
const python = await ensureVenv();
const sk = JSON.parse(
  await sh(python, [
    here("./python/sklearn_compare.py"),
    "--data",
    args.data!,
    "--label",
    args.label!,
    "--split",
    splitFile,
    "--repeat",
    String(repeat),
  ], true),
);
await Deno.remove(splitFile);

const row = (name: string, auc: number, pr: number, fit: number, extra: string) =>
  `${name.padEnd(50)} ${auc.toFixed(4).padStart(8)} ${pr.toFixed(4).padStart(8)} ${
    fit.toFixed(1).padStart(10)
  }  ${extra}`;
console.log(
  `data ${args.data}: ${data.rows} rows, ${width} features; split stratified 80/20 seed 42 (${train.rows}/${validation.rows})`,
);
console.log(
  `${"model".padEnd(50)} ${"ROC AUC".padStart(8)} ${"PR AUC".padStart(8)} ${"fit ms".padStart(10)}`,
);
console.log(
  row(
    "platform GBDT (100 trees, depth 3, lr 0.1)",
    ours.roc_auc,
    ours.pr_auc,
    median(times),
    `median of ${repeat}; load+train+package ${endToEnd.toFixed(0)} ms`,
  ),
);
console.log(
  row(
    `scikit-learn ${sk.sklearn_version} GradientBoostingClassifier()`,
    sk.roc_auc,
    sk.pr_auc,
    sk.fit_ms_median,
    `median of ${repeat}`,
  ),
);
const gap = ours.roc_auc - sk.roc_auc;
const ok = gap >= -0.01;
console.log(
  `ROC AUC difference ${gap >= 0 ? "+" : ""}${
    gap.toFixed(4)
  }: quality bar (≥ scikit-learn − 0.01) ${ok ? "met" : "NOT met"}`,
);
if (!ok) Deno.exit(1);
