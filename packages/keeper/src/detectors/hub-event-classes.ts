/**
 * The classes of the hub's events the hub-events detector reports, and each one's default severity. Kept apart from
 * the detector so that the config schema reads them without loading it.
 */
import type { Severity } from "../domain/types.js";

/**
 * What an event of the hub is about: a `trip` (InvariantTripped, LimitTripped, with the pause it made), a `pause` by
 * someone else, an `ownPause` (by the keeper's own key), an `unpause` (ScopesUnpaused, an expiry, the return to
 * Active, a guardian cooldown started), a `state` change (Recovery, Shutdown), `roles`, `rules` (governance's edits)
 * and `sync` (a failed push).
 */
export const HUB_EVENT_CLASSES = ["trip", "pause", "ownPause", "unpause", "state", "roles", "rules", "sync"] as const;
export type HubEventClass = (typeof HUB_EVENT_CLASSES)[number];

/** Each class's severity unless the config sets one. */
export const HUB_EVENT_SEVERITIES: Record<HubEventClass, Severity> = {
  trip: "critical",
  pause: "high",
  ownPause: "info",
  unpause: "medium",
  state: "high",
  roles: "high",
  rules: "high",
  sync: "high",
};
