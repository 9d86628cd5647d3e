/**
 * `npx hardhat --network <name> cordon deploy --params <file>`: builds the project's contracts, deploys the hub and the
 * protocol's configuration through the Ignition module `Cordon` (../ignition.ts), and writes
 * `<cordon.deploymentsDir>/<network>/cordon.json` for every other task. Ignition's journal
 * (`<paths.ignition>/deployments/<id>`) makes a re-run with the same parameters send nothing and write the same record.
 *
 * The deploy drives `@nomicfoundation/ignition-core` itself, with Hardhat Ignition's artifact resolver and progress
 * display, rather than `connection.ignition` from hardhat-ignition-ethers or hardhat-ignition-viem: those two flavours
 * refuse to be loaded together, so depending on the ethers one would break every viem-toolbox project, and the
 * deployment needs addresses only, not a library's contract objects.
 */
import path from "node:path";

import {
  HardhatArtifactResolver,
  PrettyEventHandler,
  errorDeploymentResultToExceptionMessage,
  getUserInterruptionsHandlers,
} from "@nomicfoundation/hardhat-ignition/helpers";
import { DeploymentResultType, deploy as ignitionDeploy } from "@nomicfoundation/ignition-core";
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
    const paramsFile = args.params !== "" ? args.params : hre.config.cordon.params;
    if (paramsFile === undefined) {
      throw new CordonError("cordon deploy needs --params <file>", {
        details:
          "a JSON file with governance, guardians, protected and limits (fields described in @cordon/keeper's governance/deploy), or set `cordon.params` in hardhat.config.ts",
      });
    }
    const params = readDeployParams(paramsFile);
    const connection = await hre.network.getOrCreate();
    const network = connection.networkName;
    const accounts = (await connection.provider.request({ method: "eth_accounts" })) as string[];
    const [deployer] = accounts;
    if (deployer === undefined) {
      throw new CordonError(`network ${network} has no account to deploy from`, {
        details: "configure `accounts` for the network (a keystore key) in hardhat.config.ts",
      });
    }
    // The protocol's own contracts come from the project's build; the hub from the artifact this package ships.
    await hre.tasks
      .getTask("build")
      .run({ quiet: true, noTests: true, defaultBuildProfile: hre.config.cordon.buildProfile });
    const deploymentId = args.deploymentId === "" ? `cordon-${network}` : args.deploymentId;
    const ignitionModule = cordonModule(params, getAddress(deployer));
    const networkIgnition = connection.networkConfig.ignition;
    const interruptions = getUserInterruptionsHandlers();
    hre.hooks.registerHandlers("userInterruptions", interruptions);
    let result;
    try {
      result = await ignitionDeploy({
        config: {
          ...hre.config.ignition,
          ...(networkIgnition.maxRetries === undefined ? {} : { maxRetries: networkIgnition.maxRetries }),
          ...(networkIgnition.retryInterval === undefined ? {} : { retryInterval: networkIgnition.retryInterval }),
        },
        provider: connection.provider,
        // An in-process network forgets its chain on exit, so it keeps no journal (as `ignition deploy` does).
        deploymentDir:
          connection.networkConfig.type === "edr-simulated"
            ? undefined
            : path.join(hre.config.paths.ignition, "deployments", deploymentId),
        executionEventListener: new PrettyEventHandler(hre.interruptions),
        artifactResolver: new HardhatArtifactResolver(hre.artifacts),
        ignitionModule,
        deploymentParameters: {},
        accounts,
        defaultSender: deployer,
        maxFeePerGasLimit: networkIgnition.maxFeePerGasLimit,
        maxFeePerGas: networkIgnition.maxFeePerGas,
        maxPriorityFeePerGas: networkIgnition.maxPriorityFeePerGas,
        gasPrice: networkIgnition.gasPrice,
        disableFeeBumping: networkIgnition.disableFeeBumping,
      });
    } finally {
      hre.hooks.unregisterHandlers("userInterruptions", interruptions);
    }
    if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
      throw new CordonError(`the Ignition deployment ${deploymentId} did not complete`, {
        details: errorDeploymentResultToExceptionMessage(result),
      });
    }
    const deployed = result.contracts;
    const addressOf = (futureId: string) => {
      const contract = deployed[futureId];
      if (contract === undefined) throw new CordonError(`the Ignition deployment has no contract ${futureId}`);
      return getAddress(contract.address);
    };
    // The module returns the hub and each protected contract it deployed, by the parameters' id.
    const { hub, ...protocolContracts } = ignitionModule.results as Record<string, { id: string }>;
    const chainId = Number(await connection.provider.request({ method: "eth_chainId" }));
    const protectedAddresses = params.protected.map((p) =>
      typeof p === "string" ? getAddress(p) : addressOf(protocolContracts[p.id]!.id),
    );
    const file = writeDeployment(hre.config.cordon.deploymentsDir, network, {
      chainId,
      hub: addressOf(hub!.id),
      protected: protectedAddresses,
      governance: {
        kind: params.governance.kind,
        address: getAddress(params.governance.address ?? deployer),
        ...(params.governance.multiSend === undefined ? {} : { multiSend: getAddress(params.governance.multiSend) }),
      },
      guardians: params.guardians.map((g) => getAddress(g)),
    });
    process.stdout.write(`hub ${addressOf(hub!.id)}; Ignition deployment ${deploymentId}; wrote ${file}\n`);
    return 0;
  });
}
