/** `npx hardhat cordon status [--json]`: the hub's status (src/governance/status.ts) as a table or JSON. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { readStatus, renderStatus, statusJson } from "@cordon/keeper/governance/status.js";
import { connect, run } from "./common.js";

export default async function status(args: { json: boolean }, hre: HardhatRuntimeEnvironment): Promise<void> {
  await run(async () => {
    const { provider, deployment } = await connect(hre);
    const current = await readStatus(provider, deployment.hub);
    process.stdout.write(args.json ? `${statusJson(current)}\n` : renderStatus(current));
    return 0;
  });
}
