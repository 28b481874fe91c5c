/**
 * A/B routing: which arm of a model serves a request. Sticky by a hash of
 * the entity id (else the request id), so one user always sees one arm for
 * a given split.
 *
 * @module
 */
import type { TrafficSplit } from "../schemas/pointer.ts";

/** FNV-1a 32-bit hash of a string. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The arm chosen for one request and whether the challenger is scored in shadow. */
export interface ArmChoice {
  variant: "champion" | "challenger";
  shadow: boolean;
}

/**
 * Chooses the arm: `canary` sends `challenger_percent` % of sticky keys to
 * the challenger; `shadow` serves the champion and scores the challenger.
 * Without a challenger alias everything goes to the champion.
 */
export function chooseArm(
  traffic: TrafficSplit,
  hasChallenger: boolean,
  stickyKey: string,
): ArmChoice {
  if (!hasChallenger || traffic.mode === "single") return { variant: "champion", shadow: false };
  if (traffic.mode === "shadow") return { variant: "champion", shadow: true };
  const slot = (fnv1a(stickyKey) % 10_000) / 100;
  return { variant: slot < traffic.challenger_percent ? "challenger" : "champion", shadow: false };
}
