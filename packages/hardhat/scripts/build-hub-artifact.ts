/**
 * Builds the CordonHub artifact the plugin ships (packages/hardhat/artifacts/CordonHub.json): the hub compiled with
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
const HUB_SOURCE = "contracts/hub/CordonHub.sol";

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
await hre.tasks.getTask("build").run({ files: [path.join(ROOT, HUB_SOURCE)], quiet: true, noTests: true });

const built = JSON.parse(
  readFileSync(path.join(PACKAGE, "build/artifacts", HUB_SOURCE, "CordonHub.json"), "utf8"),
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
mkdirSync(path.join(PACKAGE, "artifacts"), { recursive: true });
writeFileSync(path.join(PACKAGE, "artifacts/CordonHub.json"), JSON.stringify(shipped, null, 2) + "\n");
console.log(
  `packages/hardhat/artifacts/CordonHub.json: CordonHub, production profile, ${(String(shipped.deployedBytecode).length - 2) / 2} bytes deployed`,
);
