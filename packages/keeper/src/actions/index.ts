/**
 * The registry of action kinds: the config's `actions.<name>.kind` values, each one file declaring its options, its
 * docs and the response it asks the responder for (`defineActionKind`, `config/kinds.ts`).
 */
import call from "./call.js";
import pause from "./pause.js";
import pauseScopes from "./pause-scopes.js";
import tripInvariant from "./trip-invariant.js";

export const ACTION_KINDS = [pause, pauseScopes, tripInvariant, call] as const;
