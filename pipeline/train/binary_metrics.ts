/**
 * Binary-classification metrics, computed as scikit-learn computes them
 * (ROC AUC with tied scores counted half, average precision as the PR AUC).
 *
 * @module
 */

/** Counts of a confusion matrix at one threshold. */
export interface ConfusionMatrix {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
}

/** The metrics of one evaluation. */
export interface BinaryMetrics {
  rows: number;
  positives: number;
  threshold: number;
  roc_auc: number;
  /** Average precision (area under the precision-recall curve). */
  pr_auc: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  log_loss: number;
  /** Best recall among thresholds whose precision is at least `precision_target`. */
  recall_at_precision: number;
  precision_target: number;
  confusion_matrix: ConfusionMatrix;
}

/** Indices of `scores` sorted by descending score (stable). */
function descending(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[b] - scores[a] || a - b);
}

/** Walks distinct thresholds from the highest score down, yielding cumulative (tp, fp). */
function* cumulative(y: ArrayLike<number>, scores: ArrayLike<number>) {
  const order = descending(scores);
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (y[order[i]] === 1) tp++;
    else fp++;
    if (i === order.length - 1 || scores[order[i + 1]] !== scores[order[i]]) yield { tp, fp };
  }
}

function countPositives(y: ArrayLike<number>): number {
  let p = 0;
  for (let i = 0; i < y.length; i++) p += y[i] === 1 ? 1 : 0;
  return p;
}

/** Area under the ROC curve; `NaN` when only one class is present. */
export function rocAuc(y: ArrayLike<number>, scores: ArrayLike<number>): number {
  const pos = countPositives(y);
  const neg = y.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  let area = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (const { tp, fp } of cumulative(y, scores)) {
    area += (fp - prevFp) * (tp + prevTp) / 2;
    prevTp = tp;
    prevFp = fp;
  }
  return area / (pos * neg);
}

/** Average precision: Σ (R_k − R_{k−1}) · P_k over distinct thresholds; `NaN` without positives. */
export function averagePrecision(y: ArrayLike<number>, scores: ArrayLike<number>): number {
  const pos = countPositives(y);
  if (pos === 0) return NaN;
  let ap = 0;
  let prevRecall = 0;
  for (const { tp, fp } of cumulative(y, scores)) {
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/** The best recall reachable at a precision of at least `minPrecision` (0 when none). */
export function recallAtPrecision(
  y: ArrayLike<number>,
  scores: ArrayLike<number>,
  minPrecision: number,
): number {
  const pos = countPositives(y);
  if (pos === 0) return NaN;
  let best = 0;
  for (const { tp, fp } of cumulative(y, scores)) {
    if (tp / (tp + fp) >= minPrecision) best = Math.max(best, tp / pos);
  }
  return best;
}

/** Mean log loss, probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(y: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  const eps = 1e-15;
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]));
    sum -= y[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / y.length;
}

/** Confusion matrix when a row is predicted positive if its probability is ≥ `threshold`. */
export function confusionMatrix(
  y: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  threshold: number,
): ConfusionMatrix {
  const m = { tn: 0, fp: 0, fn: 0, tp: 0 };
  for (let i = 0; i < y.length; i++) {
    const predicted = probabilities[i] >= threshold;
    if (y[i] === 1) predicted ? m.tp++ : m.fn++;
    else predicted ? m.fp++ : m.tn++;
  }
  return m;
}

/** Every metric of {@linkcode BinaryMetrics} for labels `y` and positive-class probabilities. */
export function evaluateBinary(
  y: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  threshold = 0.5,
  precisionTarget = 0.9,
): BinaryMetrics {
  const cm = confusionMatrix(y, probabilities, threshold);
  const precision = cm.tp + cm.fp === 0 ? 0 : cm.tp / (cm.tp + cm.fp);
  const recall = cm.tp + cm.fn === 0 ? 0 : cm.tp / (cm.tp + cm.fn);
  return {
    rows: y.length,
    positives: cm.tp + cm.fn,
    threshold,
    roc_auc: rocAuc(y, probabilities),
    pr_auc: averagePrecision(y, probabilities),
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    accuracy: (cm.tp + cm.tn) / y.length,
    log_loss: logLoss(y, probabilities),
    recall_at_precision: recallAtPrecision(y, probabilities, precisionTarget),
    precision_target: precisionTarget,
    confusion_matrix: cm,
  };
}
