import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { severitySchema } from "../../config/primitives.js";
import { CordonError } from "../../errors.js";
import { HUB_EVENT_CLASSES } from "../hub-event-classes.js";

export default defineDetectorKind({
  kind: "hub-events",
  docs: "The protocol's hub's own events: trips, pauses, unpauses and expiries, Recovery and Shutdown, role and rule changes (left to a `privileged-events` detector that watches the hub), failed pushes; `severities` per class; an `action` (pause or pause-scopes) follows every trip the keeper did not make. Every protocol has one (added with the defaults when the protocol lists none). Reads logs.",
  options: {
    /** Each class's severity: trip (critical), pause (high), ownPause (info), unpause (medium), state (high), roles (high), rules (high), sync (high). */
    severities: z
      .object(Object.fromEntries(HUB_EVENT_CLASSES.map((c) => [c, severitySchema.optional()])))
      .strict()
      .default({}),
  },
  build: async (c, { id, name, protocol, response, keepers }) => {
    if (response?.kind === "tripOnInvariant") {
      throw new CordonError(`detectors.${name}.action: a trip is followed by a pause, not by another trip`, {
        details: "name an action of kind pause or pause-scopes, or none (the trip is alerted on)",
      });
    }
    // A privileged-events detector that watches the hub already reports its role and rule changes, with its own
    // severity and action: they are left to it, so that no event is reported twice.
    // The config refuses a hub-events detector for a protocol without a hub.
    const hub = protocol.hub!.toLowerCase();
    const privileged = (protocol.detectors ?? []).some(
      (d) => d.config.kind === "privileged-events" && Object.values(d.addresses).some((a) => a.toLowerCase() === hub),
    );
    return (await import("../hub-events.js")).hubEventsDetector({
      name: id,
      hub: protocol.hub!,
      keepers,
      skip: privileged ? ["roles", "rules"] : [],
      severity: c.severity,
      severities: c.severities,
      response,
    });
  },
});
