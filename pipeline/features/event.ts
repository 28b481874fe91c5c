/**
 * What the window aggregates of a view read from a validated event: its
 * time and, per input of the view's plan, the value it contributes.
 *
 * @module
 */
import { eventInputs, planOf } from "./plan.ts";
import type { FeatureView } from "./view.ts";
import type { WindowEvent } from "./window.ts";

/**
 * The window inputs of `event` for `view`, or `null` when the view's filter
 * rejects the event (then it counts for none of the view's features).
 */
export function toWindowEvent(
  view: FeatureView,
  event: Readonly<Record<string, unknown>>,
  timeMs: number,
): WindowEvent | null {
  const values = eventInputs(planOf(view), event);
  return values === null ? null : { timeMs, values };
}
