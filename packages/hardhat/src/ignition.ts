import { buildModule, type CallableContractFuture, type Future } from "@nomicfoundation/ignition-core";
import { getAddress } from "ethers";

import { CordonHubConstants } from "@cordon/keeper/contracts/generated/cordon.js";
import { adapterArgs, type DeployParams, POLICIES } from "@cordon/keeper/governance/deploy.js";
import { adapterArtifact, hubArtifact } from "./hub-artifact.js";

const GOVERNANCE_ROLE = CordonHubConstants.GOVERNANCE_ROLE;

/**
 * The hub and a protocol's configuration (@cordon/keeper/governance/deploy.js), as the Ignition module `Cordon`. The
 * hub comes from the artifact this package ships (hub-artifact.ts); the protocol's own contracts (`protected` entries
 * with a `contract` name) from the project's build; a `pausable` entry deploys a CordonPausableAdapter (also shipped)
 * over a contract already deployed. The deployer holds governance while it configures the hub
 * (protected contracts, limits, threshold, grace), then hands it to the configured governance and renounces it.
 * Ignition's journal makes a re-run with the same parameters a no-op.
 */
export function cordonModule(params: DeployParams, deployer: string) {
  return buildModule("Cordon", (m) => {
    const governance = getAddress(params.governance.address ?? deployer);
    const hub = m.contract("CordonHub", hubArtifact(), [
      deployer,
      params.guardians,
      params.guardianPauseDuration,
      params.guardianCooldown,
    ]);

    const targets = new Map<string, CallableContractFuture<string> | string>();
    const deployed: Record<string, CallableContractFuture<string>> = {};
    const configured: Future[] = params.protected.map((p, i) => {
      let target: CallableContractFuture<string> | string;
      if (typeof p === "string") {
        target = getAddress(p);
        targets.set(p.toLowerCase(), target);
      } else if ("pausable" in p) {
        // A deployed pausable contract: the hub protects the adapter, which pauses and unpauses it.
        target = m.contract("CordonPausableAdapter", adapterArtifact(), [hub, ...adapterArgs(p.pausable)], {
          id: p.id,
        });
        deployed[p.id] = target;
        targets.set(p.id, target);
      } else {
        target = m.contract(p.contract, p.args.map((a) => (a === "$hub" ? hub : a)) as never, { id: p.id });
        deployed[p.id] = target;
        targets.set(p.id, target);
      }
      return m.call(hub, "addProtected", [target], { id: `addProtected_${i}` });
    });
    params.limits.forEach((limit, i) => {
      const target = targets.get(/^0x/i.test(limit.target) ? limit.target.toLowerCase() : limit.target)!;
      const limitParams = {
        scope: limit.scope,
        capacity: limit.capacity,
        window: limit.window,
        largeThreshold: limit.largeThreshold,
        policy: POLICIES[limit.policy],
        inflowRefills: limit.inflowRefills,
        queueDelay: limit.queueDelay,
      };
      configured.push(
        m.call(hub, "setLimit", [target, getAddress(limit.asset), limitParams], {
          id: `setLimit_${i}`,
          after: configured.slice(),
        }),
      );
    });
    if (params.attestationThreshold > 0) {
      configured.push(
        m.call(hub, "setAttestationThreshold", [params.attestationThreshold], { after: configured.slice() }),
      );
    }
    if (params.grace !== undefined) {
      const mask = params.grace.scopes.reduce((acc, scope) => acc | (1n << BigInt(scope)), 0n);
      configured.push(m.call(hub, "setGrace", [mask, params.grace.period], { after: configured.slice() }));
    }
    if (governance !== getAddress(deployer)) {
      const granted = m.call(hub, "grantRole", [GOVERNANCE_ROLE, governance], { after: configured.slice() });
      m.call(hub, "renounceRole", [GOVERNANCE_ROLE, deployer], { after: [granted] });
    }
    return { hub, ...deployed };
  });
}
