import assert from "node:assert/strict";
import { buildDataset, loadDataset, parseCsv, parseJsonl, selectRows } from "./dataset.ts";
import { TrainingDataError } from "./errors.ts";

async function withFile(name: string, text: string, fn: (path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/${name}`;
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rejects(name: string, text: string, ...parts: string[]) {
  await withFile(name, text, async (path) => {
    await assert.rejects(loadDataset(path, { label: "label" }), (e: Error) => {
      assert.ok(e instanceof TrainingDataError, `${e}`);
      for (const p of [path, ...parts]) {
        assert.ok(e.message.includes(p), `'${e.message}' lacks '${p}'`);
      }
      return true;
    });
  });
}

const CSV = "a,b,label\n1,True,0\n2.5,False,1\n-3,true,0\n";

Deno.test("loadDataset() reads CSV into float32 rows with True/False as 1/0", async () => {
  await withFile("d.csv", CSV, async (path) => {
    const d = await loadDataset(path, { label: "label" });
    assert.deepEqual(d.inputs.map((i) => i.name), ["a", "b"]);
    assert.deepEqual([...d.x], [1, 1, 2.5, 0, -3, 1]);
    assert.deepEqual([...d.y], [0, 1, 0]);
    assert.equal(d.rows, 3);
  });
});

Deno.test("loadDataset() reads JSONL with booleans, numbers and blank lines", async () => {
  const text = '{"a":1,"b":true,"label":false}\n\n{"a":2,"b":false,"label":true}\n';
  await withFile("d.jsonl", text, async (path) => {
    const d = await loadDataset(path, { label: "label" });
    assert.deepEqual([...d.x], [1, 1, 2, 0]);
    assert.deepEqual([...d.y], [0, 1]);
  });
});

Deno.test("loadDataset() names the file of a missing file", async () => {
  await assert.rejects(
    loadDataset("/nonexistent/dir/train.csv", { label: "label" }),
    /Cannot load training data '\/nonexistent\/dir\/train.csv': file not found/,
  );
});

Deno.test("loadDataset() rejects an empty file", () => rejects("e.csv", "", "file is empty"));
Deno.test("loadDataset() rejects a file with a header only", () =>
  rejects("h.csv", "a,label\n", "no data rows"));
Deno.test("loadDataset() rejects an empty JSONL file", () =>
  rejects("e.jsonl", "\n\n", "file is empty"));

Deno.test("loadDataset() names a missing label column", () =>
  rejects("m.csv", "a,b\n1,2\n", "label column 'label' not found"));

Deno.test("loadDataset() names column and row of a non-numeric value", () =>
  rejects("n.csv", "a,b,label\n1,2,0\n3,abc,1\n", "column 'b' row 2", "not a number", "abc"));

Deno.test("loadDataset() names column and row of NaN", () =>
  rejects("nan.csv", "a,label\n1,0\nNaN,1\n", "column 'a' row 2", "not finite"));

Deno.test("loadDataset() names column and row of Infinity", () =>
  rejects("inf.csv", "a,label\n-Infinity,0\n1,1\n", "column 'a' row 1", "not finite"));

Deno.test("loadDataset() names column and row of a missing value", () =>
  rejects("gap.csv", "a,b,label\n1,,0\n2,3,1\n", "column 'b' row 1", "missing"));

Deno.test("loadDataset() rejects one class only", () =>
  rejects("one.csv", "a,label\n1,1\n2,1\n", "column 'label'", "only one class"));

Deno.test("loadDataset() rejects a label other than 0/1 naming the row", () =>
  rejects("lab.csv", "a,label\n1,0\n2,2\n", "column 'label' row 2", "must be 0 or 1"));

Deno.test("loadDataset() names the row of a CSV line with the wrong field count", () =>
  rejects("w.csv", "a,label\n1,0\n2\n", "row 2 has 1 fields"));

Deno.test("loadDataset() names the row of invalid JSON in JSONL", () =>
  rejects("bad.jsonl", '{"a":1,"label":0}\n{"a":\n', "row 2", "not valid JSON"));

Deno.test("loadDataset() rejects an unknown file type", () =>
  rejects("d.txt", "a", "unknown file type"));

Deno.test("parseCsv() handles quotes, embedded commas and CRLF", () => {
  const t = parseCsv('name,"x, y",label\r\n"a ""b""",1,0\r\n', "mem");
  assert.deepEqual(t.columns, ["name", "x, y", "label"]);
  assert.deepEqual(t.records, [{ name: 'a "b"', "x, y": "1", label: "0" }]);
});

Deno.test("buildDataset() takes inputs in the given order and applies transforms", () => {
  const t = parseJsonl(
    '{"amount":0,"cat":"food","n":3,"label":0}\n{"amount":9,"cat":null,"n":4,"label":1}\n',
    "mem",
  );
  const d = buildDataset(t, {
    label: "label",
    inputs: [
      { name: "n", dtype: "float32" },
      { name: "amount_log", dtype: "float32", transform: { kind: "log1p", source: "amount" } },
      {
        name: "cat_code",
        dtype: "float32",
        transform: { kind: "crc32_mod", source: "cat", modulo: 100, missing: "unknown" },
      },
    ],
  });
  assert.equal(d.x[0], 3);
  assert.equal(d.x[1], 0);
  assert.equal(d.x[4], Math.fround(Math.log1p(9)));
  assert.ok(d.x[2] >= 0 && d.x[2] < 100);
});

Deno.test("buildDataset() names column and row when a transform fails", () => {
  const t = parseJsonl('{"ts":"2026-01-01T00:00:00Z","label":0}\n{"ts":"nope","label":1}\n', "mem");
  assert.throws(
    () =>
      buildDataset(t, {
        label: "label",
        inputs: [{
          name: "hour",
          dtype: "float32",
          transform: { kind: "hour_of_day", source: "ts" },
        }],
      }),
    /'mem': column 'ts' row 2 cannot become 'hour'/,
  );
});

Deno.test("buildDataset() rejects an unknown feature column and the label as a feature", () => {
  const t = parseCsv("a,label\n1,0\n2,1\n", "mem");
  assert.throws(
    () => buildDataset(t, { label: "label", inputs: [{ name: "zz", dtype: "float32" }] }),
    /feature column 'zz' not found/,
  );
  assert.throws(
    () => buildDataset(t, { label: "label", inputs: [{ name: "label", dtype: "float32" }] }),
    /must not be the label/,
  );
});

Deno.test("selectRows() copies the chosen rows", () => {
  const d = buildDataset(parseCsv("a,b,label\n1,2,0\n3,4,1\n5,6,0\n", "mem"), { label: "label" });
  const s = selectRows(d, [2, 0]);
  assert.deepEqual([...s.x], [5, 6, 1, 2]);
  assert.deepEqual([...s.y], [0, 0]);
  assert.equal(s.rows, 2);
});
