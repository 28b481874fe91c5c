"""Fits scikit-learn's GradientBoostingClassifier() (defaults) on a given
train/validation split of a CSV and prints one JSON line with the
validation ROC AUC and fit times. Called by tests/bench/train.ts, which
passes the split the TypeScript trainer uses.

    python sklearn_compare.py --data file.csv --label label --split split.json [--repeat 5]

split.json: {"train": [row indices], "validation": [row indices]} (0-based data rows).
"""

import argparse
import csv
import json
import statistics
import time

import numpy as np
import sklearn
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score


def number(v):
    if v in ("True", "true"):
        return 1.0
    if v in ("False", "false"):
        return 0.0
    return float(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with open(args.data, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    li = header.index(args.label)
    x = np.array([[number(v) for i, v in enumerate(r) if i != li] for r in rows[1:]], dtype=np.float64)
    y = np.array([int(number(r[li])) for r in rows[1:]])
    with open(args.split) as f:
        split = json.load(f)
    tr, va = np.array(split["train"]), np.array(split["validation"])
    times = []
    model = None
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        model = GradientBoostingClassifier().fit(x[tr], y[tr])
        times.append((time.perf_counter() - start) * 1000)
    p = model.predict_proba(x[va])[:, 1]
    print(json.dumps({
        "estimator": "GradientBoostingClassifier()",
        "sklearn_version": sklearn.__version__,
        "train_rows": int(len(tr)),
        "validation_rows": int(len(va)),
        "roc_auc": float(roc_auc_score(y[va], p)),
        "pr_auc": float(average_precision_score(y[va], p)),
        "fit_ms_first": times[0],
        "fit_ms_median": statistics.median(times),
    }))


if __name__ == "__main__":
    main()
