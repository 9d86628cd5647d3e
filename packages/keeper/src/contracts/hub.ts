/** Reads of the guardian hub the watcher acts on, through a quorum of endpoints so one lying node cannot steer them. */
import { hubInterface } from "./abi.js";
import { HubState } from "./generated/cordon.js";
import { NotProvenError } from "../proof/errors.js";
import type { RpcPool } from "../rpc/pool.js";

export interface HubSyncView {
  state: bigint;
  /** Whether the protocol-wide pause ends by itself at `expiry` (a guardian's or a trip's, not governance's). */
  stateExpires: boolean;
  /** The end of the running episode (unix seconds), 0 when none runs. */
  expiry: bigint;
  heldScopes: bigint;
  expiringScopes: bigint;
  graceScopes: bigint;
  pauseEpoch: bigint;
}

/** `HubState.Active` in CordonTypes.sol. */
export const STATE_ACTIVE = BigInt(HubState.indexOf("Active"));
/** `HubState.Paused` in CordonTypes.sol. */
export const STATE_PAUSED = BigInt(HubState.indexOf("Paused"));

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

/** The hub's `currentSync()` executed by the verified EVM at a quorum-agreed header, and who contradicted it. */
export interface ProvenHubSync {
  sync: HubSyncView;
  block: { number: bigint; hash: string };
  /** Endpoints whose own `eth_call` of `currentSync()` at that block, or whose headers or proofs, the proof contradicts. */
  contradicted: string[];
  /** What each of them got wrong, one line each. */
  lies: Record<string, string[]>;
}

/**
 * `currentSync()` proven: run in a local EVM whose every read is checked against the state root of a header a
 * quorum agrees on (src/proof), then each endpoint's own answer at that block compared with it. Throws
 * NotProvenError when no endpoint serves valid proofs.
 */
export async function provenHubSync(pool: RpcPool, hub: string, chainId?: bigint): Promise<ProvenHubSync> {
  const request = { to: hub, data: hubInterface.encodeFunctionData("currentSync") };
  // The verified EVM (@ethereumjs) is loaded the first time a read must be proven, not by every keeper start: a
  // restarted keeper acts on a quorum's "not paused" without it.
  const { BlockProver, compareCalls } = await import("../proof/index.js");
  const prover = await BlockProver.at(pool, chainId === undefined ? {} : { chainId });
  const proven = await prover.call(request);
  if (proven.reverted) throw new NotProvenError(`the hub's currentSync() reverts at block ${proven.block.number}`);
  await compareCalls(pool.endpoints, request, proven, prover.ledger, "hub.currentSync()");
  const [sync] = hubInterface.decodeFunctionResult("currentSync", proven.returnData) as unknown as [HubSyncView];
  const report = prover.ledger.report();
  const contradicted = pool.endpoints.map((e) => e.name).filter((name) => report[name]?.verdict === "lied");
  const lies = Object.fromEntries(contradicted.map((name) => [name, report[name]!.lies]));
  return { sync, block: { number: proven.block.number, hash: proven.block.hash }, contradicted, lies };
}
