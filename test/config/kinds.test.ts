/**
 * The registries of kinds: each kind's schema is a strict object (an option it lacks is refused), has docs, and the
 * detectors README documents every detector kind.
 */
import { readFileSync } from "node:fs";

import { expect } from "chai";

import { ACTION_KINDS } from "@cordon/keeper/actions/index.js";
import { ALERT_KINDS } from "@cordon/keeper/alerts/kinds/index.js";
import { actionSchema, alertSchema, detectorSchema } from "@cordon/keeper/config/schema.js";
import { DETECTOR_KINDS } from "@cordon/keeper/detectors/kinds/index.js";

describe("registries of kinds", function () {
  const registries = [
    ["detectors", DETECTOR_KINDS, detectorSchema],
    ["actions", ACTION_KINDS, actionSchema],
    ["alerts", ALERT_KINDS, alertSchema],
  ] as const;

  for (const [section, kinds, schema] of registries) {
    it(`${section}: every kind has docs, and the section's schema refuses an option the kind lacks`, function () {
      expect(kinds.length).to.be.greaterThan(0);
      for (const kind of kinds) {
        expect(kind.docs, kind.kind).to.have.length.greaterThan(20);
        const result = schema.safeParse({ kind: kind.kind, notAnOption: 1 });
        expect(result.success, kind.kind).to.equal(false);
        const codes = result.error!.issues.map((issue) => issue.code);
        expect(codes, kind.kind).to.include("unrecognized_keys");
      }
    });
  }

  it("the detectors README documents every detector kind", function () {
    const readme = readFileSync("packages/keeper/src/detectors/README.md", "utf8");
    for (const kind of DETECTOR_KINDS) expect(readme, kind.kind).to.include(`| \`${kind.kind}\``);
  });
});
