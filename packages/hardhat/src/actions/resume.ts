/**
 * `npx hardhat cordon resume --reason <name|code> [--checkpoint <id>] [--attestations <files or signatures>]`:
 * governance returns from Recovery to Active from the latest checkpoint (the default), which must match the
 * protocol's state now, with the guardians' attestations of it when the hub requires them (`cordon attest`).
 */
import { Contract } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { CordonError } from "@cordon/keeper/errors.js";
import { governanceHubInterface } from "@cordon/keeper/governance/abi.js";
import { loadAttestations } from "@cordon/keeper/governance/attest.js";
import { type ActionOptions, hubCall } from "@cordon/keeper/governance/command.js";
import { parseReason, reasonName } from "@cordon/keeper/governance/reasons.js";
import { governanceTask } from "./common.js";

/** A checkpoint id as typed: a positive whole number. */
export function parseCheckpointId(input: string): bigint {
  if (!/^\d+$/.test(input) || BigInt(input) === 0n) {
    throw new CordonError(`--checkpoint ${input} is not a checkpoint id`, {
      details: "pass a positive number from `cordon status`'s checkpoints, or leave it out",
    });
  }
  return BigInt(input);
}

export default async function resume(
  args: ActionOptions & { reason: string; checkpoint: string; attestations: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, async ({ deployment, provider }) => {
    const reason = parseReason(args.reason);
    const hub = new Contract(deployment.hub, governanceHubInterface, provider);
    const id =
      args.checkpoint === ""
        ? ((await hub.getFunction("latestCheckpointId")()) as bigint)
        : parseCheckpointId(args.checkpoint);
    const attestations = await loadAttestations(provider, deployment.hub, id, args.attestations);
    const attested = attestations.length === 0 ? "" : `, attested by ${attestations.map((a) => a.signer).join(", ")}`;
    return hubCall(
      deployment,
      "resume",
      [id, attestations, reason],
      `resume from checkpoint ${id} (${reasonName(reason)})${attested}`,
    );
  });
}
