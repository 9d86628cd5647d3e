/** `npx hardhat cordon guardians list`: the hub's guardians and how many attestations a resume needs. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { readGuardians } from "@cordon/keeper/governance/operations.js";
import { connect, run } from "./common.js";

export default async function guardiansList(_args: unknown, hre: HardhatRuntimeEnvironment): Promise<void> {
  await run(async () => {
    const { provider, deployment } = await connect(hre);
    const { guardians, attestationThreshold } = await readGuardians(provider, deployment.hub);
    const lines = [`Guardians of ${deployment.hub}: ${guardians.length} (a resume needs ${attestationThreshold})`];
    for (const guardian of guardians) lines.push(`  ${guardian}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  });
}
