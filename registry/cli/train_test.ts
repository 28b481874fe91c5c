import assert from "node:assert/strict";
import { LocalRegistry } from "../local.ts";
import { runTrainCli } from "./train.ts";

const CSV = new URL("../../pipeline/demo_data/fraud_detection.csv", import.meta.url).pathname;

function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: { log: (l: string) => lines.push(l), error: (l: string) => errors.push(l) },
  };
}

async function exists(path: string) {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function inTemp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("runTrainCli() trains, prints progress and metrics, registers and sets the alias", async () => {
  await inTemp(async (dir) => {
    const c = capture();
    const code = await runTrainCli(
      [
        "--data",
        CSV,
        "--label",
        "label",
        "--model",
        "fraud_detector",
        "--alias",
        "champion",
        "--trees",
        "20",
      ],
      { DATA_DIR: dir },
      c.out,
    );
    assert.equal(code, 0, c.errors.join("\n"));
    assert.ok(c.lines.some((l) => l.startsWith("train: 20 trees in")), c.lines.join("\n"));
    assert.ok(c.lines.some((l) => l.includes("ROC AUC")));
    const registry = new LocalRegistry({ root: `${dir}/registry` });
    assert.deepEqual(await registry.getAliases("fraud_detector"), { champion: "1" });
    const pkg = await registry.getPackage("fraud_detector", "champion");
    assert.equal(pkg.manifest.params.nTrees, 20);
  });
});

const badCases: [string, (dir: string) => Promise<string[]> | string[], RegExp][] = [
  ["a missing file", (d) => ["--data", `${d}/nope.csv`], /nope\.csv': file not found/],
  ["an empty file", async (d) => {
    await Deno.writeTextFile(`${d}/empty.csv`, "");
    return ["--data", `${d}/empty.csv`];
  }, /empty\.csv': file is empty/],
  ["a missing label column", async (d) => {
    await Deno.writeTextFile(`${d}/x.csv`, "a,b\n1,2\n");
    return ["--data", `${d}/x.csv`];
  }, /x\.csv': label column 'label' not found/],
  ["a non-numeric value", async (d) => {
    await Deno.writeTextFile(`${d}/x.csv`, "a,label\n1,0\nfoo,1\n");
    return ["--data", `${d}/x.csv`];
  }, /x\.csv': column 'a' row 2 is not a number: 'foo'/],
  ["NaN", async (d) => {
    await Deno.writeTextFile(`${d}/x.jsonl`, '{"a":1,"label":0}\n{"a":"NaN","label":1}\n');
    return ["--data", `${d}/x.jsonl`];
  }, /x\.jsonl': column 'a' row 2 is not finite/],
  ["Infinity", async (d) => {
    await Deno.writeTextFile(`${d}/x.csv`, "a,label\nInfinity,0\n1,1\n");
    return ["--data", `${d}/x.csv`];
  }, /x\.csv': column 'a' row 1 is not finite/],
  ["one class only", async (d) => {
    await Deno.writeTextFile(`${d}/x.csv`, "a,label\n1,0\n2,0\n");
    return ["--data", `${d}/x.csv`];
  }, /x\.csv': label column 'label' has only one class/],
  ["a bad number of trees", () => ["--data", CSV, "--trees", "ten"], /Invalid --trees/],
  [
    "--register without MLflow",
    () => ["--data", CSV, "--register"],
    /MLFLOW_TRACKING_URI is not set/,
  ],
];

for (const [name, setup, message] of badCases) {
  Deno.test(`runTrainCli() exits non-zero and writes nothing on ${name}`, async () => {
    await inTemp(async (dir) => {
      const c = capture();
      const args = [...(await setup(dir)), "--label", "label", "--model", "m"];
      const code = await runTrainCli(args, { DATA_DIR: `${dir}/data` }, c.out);
      assert.notEqual(code, 0);
      assert.match(c.errors.join("\n"), message);
      assert.equal(await exists(`${dir}/data`), false);
    });
  });
}

Deno.test("runTrainCli() lists what is missing", async () => {
  const c = capture();
  assert.equal(await runTrainCli(["--data", CSV], {}, c.out), 2);
  assert.match(c.errors[0], /Missing --label, --model/);
});

Deno.test("runTrainCli() applies a transforms file and stores the transforms in the manifest", async () => {
  await inTemp(async (dir) => {
    const transforms = [
      { name: "amount_log", transform: { kind: "log1p", source: "amount" } },
      { name: "is_weekend", transform: { kind: "bool", source: "is_weekend" } },
    ];
    await Deno.writeTextFile(`${dir}/t.json`, JSON.stringify(transforms));
    const c = capture();
    const code = await runTrainCli(
      [
        ...["--data", CSV, "--label", "label", "--model", "m", "--algo", "logreg"],
        ...["--features", "amount_log,is_weekend,risk_score", "--transforms", `${dir}/t.json`],
        ...["--registry-dir", `${dir}/reg`],
      ],
      {},
      c.out,
    );
    assert.equal(code, 0, c.errors.join("\n"));
    const pkg = await new LocalRegistry({ root: `${dir}/reg` }).getPackage("m", "latest");
    assert.deepEqual(pkg.manifest.inputs.map((i) => [i.name, i.transform?.kind]), [
      ["amount_log", "log1p"],
      ["is_weekend", "bool"],
      ["risk_score", undefined],
    ]);
    assert.equal(pkg.manifest.golden!.rows[0][0], Math.fround(pkg.manifest.golden!.rows[0][0]));
  });
});

Deno.test("runTrainCli() rejects an invalid transforms file and writes nothing", async () => {
  await inTemp(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/t.json`,
      JSON.stringify([{ name: "x", transform: { kind: "nope" } }]),
    );
    const c = capture();
    const args = [
      "--data",
      CSV,
      "--label",
      "label",
      "--model",
      "m",
      "--transforms",
      `${dir}/t.json`,
    ];
    assert.equal(await runTrainCli([...args, "--registry-dir", `${dir}/reg`], {}, c.out), 2);
    assert.match(c.errors[0], /Cannot read transforms '.*t\.json'/);
    assert.equal(await exists(`${dir}/reg`), false);
  });
});

Deno.test("runTrainCli() makes the first version of a new model its champion", async () => {
  await inTemp(async (dir) => {
    const c = capture();
    const args = ["--data", CSV, "--label", "label", "--model", "fresh", "--trees", "5"];
    assert.equal(await runTrainCli(args, { DATA_DIR: dir }, c.out), 0, c.errors.join("\n"));
    assert.equal(await runTrainCli(args, { DATA_DIR: dir }, c.out), 0, c.errors.join("\n"));
    const registry = new LocalRegistry({ root: `${dir}/registry` });
    assert.deepEqual(await registry.getAliases("fresh"), { champion: "1" });
    assert.ok(c.lines.some((l) => l.startsWith("Alias champion → fresh version 1")));
  });
});
