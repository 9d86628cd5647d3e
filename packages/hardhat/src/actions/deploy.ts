/**
 * `npx hardhat --network <name> cordon deploy --params <file>`: builds, deploys the hub and the protocol's
 * configuration through the Ignition module ignition/modules/Cordon.ts, and writes `deployments/<network>/cordon.json`
 * for every other task. Ignition's journal (ignition/deployments/<id>) makes a re-run with the same parameters send
 * nothing and write the same record.
 */
import { getAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { cordonModule } from "../ignition.js";
import { CordonError } from "@cordon/keeper/errors.js";
import { readDeployParams } from "@cordon/keeper/governance/deploy.js";
import { writeDeployment } from "@cordon/keeper/governance/deployments.js";
import { run } from "./common.js";

export default async function deploy(
  args: { params: string; deploymentId: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await run(async () => {
    if (args.params === "") {
      throw new CordonError("cordon deploy needs --params <file>", {
        details:
          "a JSON file with governance, guardians, protected and limits; the fields are described in src/governance/deploy.ts",
      });
    }
    const params = readDeployParams(args.params);
    const connection = await hre.network.getOrCreate();
    const network = connection.networkName;
    const [deployer] = (await connection.provider.request({ method: "eth_accounts" })) as string[];
    if (deployer === undefined) {
      throw new CordonError(`network ${network} has no account to deploy from`, {
        details: "configure `accounts` for the network (a keystore key) in hardhat.config.ts",
      });
    }
    await hre.tasks.getTask("build").run({ quiet: true, noTests: true, defaultBuildProfile: "production" });
    const deploymentId = args.deploymentId === "" ? `cordon-${network}` : args.deploymentId;
    const result = await connection.ignition.deploy(cordonModule(params, getAddress(deployer)), {
      deploymentId,
      displayUi: true,
    });
    // The module returns the hub and each protected contract it deployed, by id.
    const contracts = result as unknown as Record<string, { getAddress(): Promise<string> }>;
    const chainId = Number(await connection.provider.request({ method: "eth_chainId" }));
    const addressOf = async (contract: { getAddress(): Promise<string> }) => getAddress(await contract.getAddress());
    const protectedAddresses = await Promise.all(
      params.protected.map((p) => (typeof p === "string" ? getAddress(p) : addressOf(contracts[p.id]!))),
    );
    const file = writeDeployment(process.env.CORDON_DEPLOYMENTS_DIR ?? "deployments", network, {
      chainId,
      hub: await addressOf(result.hub),
      protected: protectedAddresses,
      governance: { kind: params.governance.kind, address: getAddress(params.governance.address ?? deployer) },
      guardians: params.guardians.map((g) => getAddress(g)),
    });
    process.stdout.write(`hub ${await addressOf(result.hub)}; Ignition deployment ${deploymentId}; wrote ${file}\n`);
    return 0;
  });
}
