/** Reads of the guardian hub the watcher acts on, through a quorum of endpoints so one lying node cannot steer them. */
import { hubInterface } from "./abi.js";
import { HubState } from "./generated/cordon.js";
import type { RpcPool } from "../rpc/pool.js";

export interface HubSyncView {
  state: bigint;
  heldScopes: bigint;
  expiringScopes: bigint;
  graceScopes: bigint;
  pauseEpoch: bigint;
}

/** `HubState.Active` in CordonTypes.sol. */
export const STATE_ACTIVE = BigInt(HubState.indexOf("Active"));

/** The hub's `currentSync()` at the latest block, as a quorum of endpoints reports it. */
export async function readHubSync(pool: RpcPool, hub: string): Promise<HubSyncView> {
  const data = hubInterface.encodeFunctionData("currentSync");
  const read = await pool.quorumRead<string>("eth_call", [{ to: hub, data }, "latest"]);
  const [sync] = hubInterface.decodeFunctionResult("currentSync", read.result) as unknown as [HubSyncView];
  return sync;
}

/** True when nothing of the hub is paused: Active, with no scope held, expiring or in grace. */
export function isFullyOpen(sync: HubSyncView): boolean {
  return sync.state === STATE_ACTIVE && (sync.heldScopes | sync.expiringScopes | sync.graceScopes) === 0n;
}
