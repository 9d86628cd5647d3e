/**
 * `npx hardhat cordon attest [--checkpoint <id>] [--from <guardian>] [--out <file>]`: a guardian signs the hub's
 * EIP-712 attestation of a checkpoint (default: the latest), for `cordon resume --attestations`. Nothing is sent.
 */
import { writeFileSync } from "node:fs";

import { Contract, getAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { CordonError } from "@cordon/keeper/errors.js";
import { ROLES, governanceHubInterface } from "@cordon/keeper/governance/abi.js";
import { signAttestation } from "@cordon/keeper/governance/attest.js";
import { pickAccount } from "@cordon/keeper/governance/command.js";
import { connect, run } from "./common.js";
import { parseCheckpointId } from "./resume.js";

export default async function attest(
  args: { checkpoint: string; from: string; out: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await run(async () => {
    const { provider, accounts, deployment } = await connect(hre);
    const hub = new Contract(deployment.hub, governanceHubInterface, provider);
    const id =
      args.checkpoint === ""
        ? ((await hub.getFunction("latestCheckpointId")()) as bigint)
        : parseCheckpointId(args.checkpoint);
    const addresses = await Promise.all(accounts.map(async (a) => getAddress(await a.getAddress())));
    let signer = args.from === "" ? undefined : pickAccount(accounts, addresses, args.from);
    for (let i = 0; signer === undefined && i < accounts.length; i++) {
      if ((await hub.getFunction("hasRole")(ROLES.GUARDIAN_ROLE, addresses[i])) as boolean) signer = accounts[i];
    }
    if (signer === undefined) {
      throw new CordonError("none of the network's accounts is a guardian of the hub", {
        details: "configure the network with a guardian's key, or pass it with --from (`cordon status` lists them)",
      });
    }
    const signed = await signAttestation(provider, deployment.hub, id, signer);
    const [digestNow] = (await hub.getFunction("currentDigest")()) as [string];
    const print = (text: string) => process.stdout.write(`${text}\n`);
    print(`${signed.signer} attests checkpoint ${id} of incident ${signed.incidentId}: digest ${signed.digest}`);
    print(
      digestNow === signed.digest
        ? "the protocol's state digest now matches the checkpoint"
        : `the protocol's state digest now (${digestNow}) differs: resume is refused until it matches again`,
    );
    const json = `${JSON.stringify(signed, null, 2)}\n`;
    if (args.out === "") {
      process.stdout.write(json);
    } else {
      writeFileSync(args.out, json);
      print(`wrote the attestation to ${args.out}; pass it with cordon resume --attestations ${args.out}`);
    }
    return 0;
  });
}
