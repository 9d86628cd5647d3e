/**
 * The compiled contracts the plugin deploys, so a project need not build Cordon's sources (no `npmFilesToBuild`): the
 * CordonHub, and the CordonPausableAdapter `cordon deploy` puts over a deployed pausable contract. Built with
 * Cordon's production profile (scripts/build-hub-artifact.ts), the bytecode Cordon's tests and gas snapshots
 * measure, whatever compiler settings the project uses for its own contracts.
 */
import { readFileSync } from "node:fs";

import type { Artifact } from "@nomicfoundation/ignition-core";

import { CordonError } from "@cordon/keeper/errors.js";

/** `<package>/artifacts/CordonHub.json`: the same file from `src/` (Cordon's checkout) and `dist/` (installed). */
export const HUB_ARTIFACT_FILE = new URL("../artifacts/CordonHub.json", import.meta.url);
export const ADAPTER_ARTIFACT_FILE = new URL("../artifacts/CordonPausableAdapter.json", import.meta.url);

function shipped(name: string, file: URL): Artifact {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new CordonError(`@cordon/hardhat has no ${name} artifact at ${file.pathname}`, {
      details: "in Cordon's checkout, run `npm run build:packages`; an installed package ships it: reinstall it",
    });
  }
  return JSON.parse(text) as Artifact;
}

/** The hub's artifact: ABI, creation and runtime bytecode. */
export function hubArtifact(): Artifact {
  return shipped("CordonHub", HUB_ARTIFACT_FILE);
}

/** The CordonPausableAdapter's artifact. */
export function adapterArtifact(): Artifact {
  return shipped("CordonPausableAdapter", ADAPTER_ARTIFACT_FILE);
}
