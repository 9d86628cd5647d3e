/**
 * `cordon recover`'s plan: governance's `enterRecovery`, and in the same governance transaction the hub's
 * `cancelQueued` of every outflow the open incident's trips queued that still waits, held, for governance's approval.
 *
 * A TRIP limit's breach pauses the asset's scope and queues the outflow that tripped it HELD (claimable only once
 * governance calls `approveQueued`). Confirming the pause is the moment to decide on it: by default recover cancels it
 * (the funds stay in the protocol), and `--keep-tripped` leaves it held for a later approve or cancel.
 *
 * The trips are found by the hub's `LimitTripped` events of the open incident (its id is an indexed topic), read
 * backwards from the head in ranges of {LOG_RANGE} blocks until the range holding the incident's `IncidentOpened`
 * (at most {MAX_SCAN_BLOCKS} blocks back: a pause takes no checkpoint, so no checkpoint marks the trips' blocks).
 * Each names the transaction and the protected contract, and that transaction's `OutflowQueued` events of the
 * contract with `tripped = true` name the outflow ids. An id is kept only while `queuedStanding` still says held.
 */
import { Contract, type Log, type Provider, getAddress } from "ethers";

import { governanceHubInterface, guardedInterface } from "./abi.js";
import { hubCall } from "./command.js";
import type { Deployment } from "./deployments.js";
import type { GovernanceCall } from "./executor.js";
import { cancelCall } from "./operations.js";
import { reasonName } from "./reasons.js";

/** Blocks per `eth_getLogs` request of the trip search (within what public endpoints accept). */
const LOG_RANGE = 10_000;
/** How far back from the head the trip search looks for the open incident's start. */
const MAX_SCAN_BLOCKS = 1_000_000;

export interface TrippedOutflow {
  target: string;
  id: bigint;
  asset: string;
  recipient: string;
  amount: bigint;
  /** The transaction that tripped the breaker and queued it. */
  txHash: string;
}

/**
 * The outflows the open incident's trips queued that are still pending and held, oldest first. Empty when no
 * incident is open (then `enterRecovery` opens a new one, which nothing has tripped yet).
 */
export async function findTrippedQueued(provider: Provider, hubAddress: string): Promise<TrippedOutflow[]> {
  const hub = new Contract(hubAddress, governanceHubInterface, provider);
  const blockTag = await provider.getBlockNumber();
  const sync = (await hub.getFunction("currentSync")({ blockTag })) as {
    state: bigint;
    heldScopes: bigint;
    expiringScopes: bigint;
    graceScopes: bigint;
    incidentId: bigint;
  };
  const open = sync.state !== 0n || (sync.heldScopes | sync.expiringScopes | sync.graceScopes) !== 0n;
  if (!open) return [];
  const incident = sync.incidentId;

  const tripped = governanceHubInterface.getEvent("LimitTripped")!;
  const opened = governanceHubInterface.getEvent("IncidentOpened")!;
  const queuedEvent = guardedInterface.getEvent("OutflowQueued")!;
  const incidentTopic = `0x${incident.toString(16).padStart(64, "0")}`;
  const trips: Log[] = [];
  for (let to = blockTag; to >= 0 && blockTag - to < MAX_SCAN_BLOCKS; to -= LOG_RANGE) {
    const fromBlock = Math.max(0, to - LOG_RANGE + 1);
    const logs = await provider.getLogs({
      address: hubAddress,
      topics: [[tripped.topicHash, opened.topicHash], incidentTopic],
      fromBlock,
      toBlock: to,
    });
    trips.unshift(...logs.filter((log) => log.topics[0] === tripped.topicHash));
    if (logs.some((log) => log.topics[0] === opened.topicHash)) break;
  }

  const found: TrippedOutflow[] = [];
  const seen = new Set<string>();
  for (const trip of trips) {
    const target = getAddress(governanceHubInterface.parseLog(trip)!.args.target as string);
    const receipt = await provider.getTransactionReceipt(trip.transactionHash);
    const logs: readonly Log[] = receipt?.logs ?? [];
    for (const log of logs) {
      if (getAddress(log.address) !== target || log.topics[0] !== queuedEvent.topicHash) continue;
      const parsed = guardedInterface.parseLog(log)!;
      if (parsed.args.tripped !== true) continue;
      const id = parsed.args.id as bigint;
      const key = `${target}:${id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const guarded = new Contract(target, guardedInterface, provider);
      const [, held] = (await guarded.getFunction("queuedStanding")(id, { blockTag })) as [boolean, boolean];
      if (!held) continue;
      found.push({
        target,
        id,
        asset: getAddress(parsed.args.asset as string),
        recipient: getAddress(parsed.args.recipient as string),
        amount: parsed.args.amount as bigint,
        txHash: trip.transactionHash,
      });
    }
  }
  return found;
}

export interface RecoverPlan {
  /** `enterRecovery`, then one `cancelQueued` per protected contract unless the tripped outflows are kept. */
  calls: GovernanceCall[];
  tripped: TrippedOutflow[];
  /** What recover found and what it does with it, in words, one line each. */
  notes: string[];
}

/** The calls `cordon recover` sends: `enterRecovery(checkpoint, reason)` and the cancel of what the trips queued. */
export async function recoverPlan(
  provider: Provider,
  deployment: Deployment,
  options: { checkpoint: bigint; reason: number; keepTripped: boolean },
): Promise<RecoverPlan> {
  const from = options.checkpoint === 0n ? "a new checkpoint" : `checkpoint ${options.checkpoint}`;
  const calls = [
    hubCall(
      deployment,
      "enterRecovery",
      [options.checkpoint, options.reason],
      `enter Recovery from ${from} (${reasonName(options.reason)})`,
    ),
  ];
  const tripped = await findTrippedQueued(provider, deployment.hub);
  const notes: string[] = [];
  if (tripped.length === 0) return { calls, tripped, notes };
  notes.push(`the trip queued ${tripped.length} outflow(s) held for governance's approval:`);
  for (const t of tripped) {
    notes.push(`  #${t.id} of ${t.target}: ${t.amount} of ${t.asset} to ${t.recipient} (tripped in ${t.txHash})`);
  }
  if (options.keepTripped) {
    notes.push(
      "--keep-tripped: they stay held; approve them later (cordon queue approve) or cancel them (cordon queue cancel)",
    );
    return { calls, tripped, notes };
  }
  const byTarget = new Map<string, bigint[]>();
  for (const t of tripped) byTarget.set(t.target, [...(byTarget.get(t.target) ?? []), t.id]);
  for (const [target, ids] of byTarget) calls.push(cancelCall(deployment, target, ids));
  notes.push("cancelling them in the same governance transaction (pass --keep-tripped to keep them held instead)");
  return { calls, tripped, notes };
}
