/** `npx hardhat cordon queue list [--contract <protected>] [--json]`: a protected contract's queued outflows. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import {
  protectedTarget,
  queueUnits,
  readQueue,
  renderQueue,
  requireProtected,
} from "@cordon/keeper/governance/operations.js";
import { connect, run } from "./common.js";

export default async function queueList(
  args: { contract: string; json: boolean },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await run(async () => {
    const { provider, deployment } = await connect(hre);
    const target = protectedTarget(deployment, args.contract);
    await requireProtected(provider, deployment.hub, target);
    const listing = await readQueue(provider, target);
    const json = JSON.stringify(listing, (_key, value: unknown) => (typeof value === "bigint" ? `${value}` : value), 2);
    process.stdout.write(args.json ? `${json}\n` : renderQueue(listing, await queueUnits(provider, listing)));
    return 0;
  });
}
