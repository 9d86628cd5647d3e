/**
 * The compiled CordonHub the plugin deploys, so a project need not build Cordon's sources (no `npmFilesToBuild`):
 * built with Cordon's production profile (scripts/build-hub-artifact.ts), the bytecode Cordon's tests and gas snapshots
 * measure, whatever compiler settings the project uses for its own contracts.
 */
import { readFileSync } from "node:fs";

import type { Artifact } from "@nomicfoundation/ignition-core";

import { CordonError } from "@cordon/keeper/errors.js";

/** `<package>/artifacts/CordonHub.json`: the same file from `src/` (Cordon's checkout) and `dist/` (installed). */
export const HUB_ARTIFACT_FILE = new URL("../artifacts/CordonHub.json", import.meta.url);

/** The hub's artifact: ABI, creation and runtime bytecode. */
export function hubArtifact(): Artifact {
  let text: string;
  try {
    text = readFileSync(HUB_ARTIFACT_FILE, "utf8");
  } catch {
    throw new CordonError(`@cordon/hardhat has no CordonHub artifact at ${HUB_ARTIFACT_FILE.pathname}`, {
      details: "in Cordon's checkout, run `npm run build:packages`; an installed package ships it: reinstall it",
    });
  }
  return JSON.parse(text) as Artifact;
}
