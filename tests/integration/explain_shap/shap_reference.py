"""Reference explanations from Python's shap, for explain_shap_test.ts.

Reads JSON on stdin: {"fixtures": <dir of make_fixtures.py>, "onnx": [{"name",
"path", "rows"}]} and writes JSON on stdout: per model name, shap's
`expected_value` and `values` (one row of contributions per row explained):

- the scikit-learn and LightGBM fixtures, rebuilt by make_fixtures.build_models(),
  with shap.TreeExplainer (path-dependent, raw margin; class 1 of the forest) and
  shap.LinearExplainer at the training means for the logistic regression;
- each ONNX tree ensemble given (the platform's own GBDT), read with the onnx
  package into shap's dictionary model format, with shap.TreeExplainer.
"""
import json
import sys

import numpy as np
import onnx
import shap
from onnx import helper


def sklearn_references(fixtures):
    sys.path.insert(0, fixtures)
    import make_fixtures  # noqa: E402

    x, _, rows = make_fixtures.dataset()
    out = {}
    for name, model in make_fixtures.build_models().items():
        if name == "sklearn_logreg":
            mean = x.astype(np.float64).mean(axis=0)
            explainer = shap.LinearExplainer(model, (mean, np.cov(x.T.astype(np.float64))))
            values = explainer.shap_values(rows.astype(np.float64))
            expected = explainer.expected_value
        else:
            explainer = shap.TreeExplainer(model)
            raw = explainer.shap_values(rows.astype(np.float64))
            expected = np.atleast_1d(explainer.expected_value)
            if isinstance(raw, list):  # one array per class: class 1
                values, expected = np.asarray(raw[-1]), expected[-1]
            elif np.asarray(raw).ndim == 3:  # (rows, features, classes): class 1
                values, expected = np.asarray(raw)[:, :, 1], expected[1]
            else:
                values, expected = np.asarray(raw), expected[0]
        out[name] = {"expected_value": float(np.squeeze(expected)), "values": np.asarray(values).tolist()}
    return out


def onnx_tree_model(path):
    """shap's dictionary model of a binary TreeEnsembleClassifier (BRANCH_LEQ, votes for one class)."""
    model = onnx.load(path)
    node = next(n for n in model.graph.node if n.op_type == "TreeEnsembleClassifier")
    a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
    assert a["post_transform"] == b"LOGISTIC"
    leaf = {}
    for t, n, w in zip(a["class_treeids"], a["class_nodeids"], a["class_weights"]):
        leaf[(t, n)] = leaf.get((t, n), 0.0) + w
    trees = {}
    for i, (t, n) in enumerate(zip(a["nodes_treeids"], a["nodes_nodeids"])):
        trees.setdefault(t, {})[n] = i
    out = []
    for t in sorted(trees):
        nodes = trees[t]
        size = max(nodes) + 1
        left = np.full(size, -1)
        right = np.full(size, -1)
        feature = np.full(size, -2)
        threshold = np.zeros(size)
        value = np.zeros((size, 1))
        cover = np.zeros(size)
        for n, i in nodes.items():
            cover[n] = a["nodes_hitrates"][i]
            if a["nodes_modes"][i] == b"LEAF":
                value[n, 0] = leaf.get((t, n), 0.0)
                continue
            assert a["nodes_modes"][i] == b"BRANCH_LEQ"
            left[n] = a["nodes_truenodeids"][i]
            right[n] = a["nodes_falsenodeids"][i]
            feature[n] = a["nodes_featureids"][i]
            threshold[n] = a["nodes_values"][i]
        out.append({
            "children_left": left, "children_right": right, "children_default": left.copy(),
            "features": feature, "thresholds": threshold, "values": value, "node_sample_weight": cover,
        })
    return {"trees": out, "base_offset": float(a["base_values"][0]), "tree_output": "log_odds",
            "objective": "binary_crossentropy", "input_dtype": np.float32, "internal_dtype": np.float64}


def main():
    spec = json.load(sys.stdin)
    out = sklearn_references(spec["fixtures"])
    for m in spec.get("onnx", []):
        explainer = shap.TreeExplainer(onnx_tree_model(m["path"]))
        rows = np.asarray(m["rows"], dtype=np.float32)
        out[m["name"]] = {
            "expected_value": float(np.squeeze(explainer.expected_value)),
            "values": np.asarray(explainer.shap_values(rows)).tolist(),
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
