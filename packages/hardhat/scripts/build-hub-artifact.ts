/**
 * Builds the artifacts the plugin ships (packages/hardhat/artifacts/CordonHub.json and CordonPausableAdapter.json,
 * which `cordon deploy` puts over a deployed pausable contract): each compiled with
 * this repository's `production` build profile (the bytecode the gas snapshots measure), in a Hardhat of its own
 * whose artifacts and cache live under packages/hardhat/build, so the project's own artifacts/ are not touched.
 * Hardhat's compile cache makes a run with unchanged sources a no-op. Run by `npm run build:packages`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import type { HardhatUserConfig, SolcUserConfig } from "hardhat/types/config";

const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = path.resolve(PACKAGE, "../..");
/** The contracts the plugin deploys: name and source. */
const SHIPPED = [
  ["CordonHub", "contracts/hub/CordonHub.sol"],
  ["CordonPausableAdapter", "contracts/adapters/CordonPausableAdapter.sol"],
] as const;

const { default: projectConfig } = (await import(path.join(ROOT, "hardhat.config.ts"))) as {
  default: HardhatUserConfig;
};
const solidity = projectConfig.solidity as { profiles: Record<string, SolcUserConfig | undefined> };
const production = solidity.profiles.production;
if (production === undefined) throw new Error("hardhat.config.ts has no `production` build profile");

const hre = await createHardhatRuntimeEnvironment(
  {
    solidity: { profiles: { default: production, production } },
    paths: {
      sources: path.join(ROOT, "contracts"),
      artifacts: path.join(PACKAGE, "build/artifacts"),
      cache: path.join(PACKAGE, "build/cache"),
    },
  },
  { buildProfile: "production" },
  ROOT,
);
await hre.tasks
  .getTask("build")
  .run({ files: SHIPPED.map(([, source]) => path.join(ROOT, source)), quiet: true, noTests: true });

mkdirSync(path.join(PACKAGE, "artifacts"), { recursive: true });
for (const [name, source] of SHIPPED) {
  const built = JSON.parse(
    readFileSync(path.join(PACKAGE, "build/artifacts", source, `${name}.json`), "utf8"),
  ) as Record<string, unknown>;
  // What Ignition's `m.contract(name, artifact, args)` needs, and the build's id to find its sources for verification.
  const shipped = {
    _format: built._format,
    contractName: built.contractName,
    sourceName: built.sourceName,
    abi: built.abi,
    bytecode: built.bytecode,
    deployedBytecode: built.deployedBytecode,
    linkReferences: built.linkReferences,
    deployedLinkReferences: built.deployedLinkReferences,
    immutableReferences: built.immutableReferences,
    buildInfoId: built.buildInfoId,
    inputSourceName: built.inputSourceName,
  };
  writeFileSync(path.join(PACKAGE, `artifacts/${name}.json`), JSON.stringify(shipped, null, 2) + "\n");
  console.log(
    `packages/hardhat/artifacts/${name}.json: ${name}, production profile, ${(String(shipped.deployedBytecode).length - 2) / 2} bytes deployed`,
  );
}
