/**
 * Acts on findings with the pause-only guardian key: pauses the configured scope through the hub (or calls the
 * permissionless invariant trip). Skips when the hub is already paused, proven against a quorum-agreed header (a
 * quorum's eth_call alone never decides a skip); writes the intent to the store's outbox
 * before sending, so a crash neither loses nor repeats an action; manages its own nonce; replaces a stuck
 * transaction with higher fees until it is mined, up to a ceiling that emergencies may exceed.
 */
import { Transaction } from "ethers/transaction";

import type { TransactionSigner } from "../config/key.js";
import { hubInterface } from "../contracts/abi.js";
import { type HubSyncView, provenHubSync, readHubSync, STATE_ACTIVE, STATE_PAUSED } from "../contracts/hub.js";
import { CordonError } from "../errors.js";
import type { Response } from "../detectors/types.js";
import { NotProvenError } from "../proof/errors.js";
import { QuorumNotReachedError, RpcResponseError } from "../rpc/errors.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Severity } from "../domain/types.js";
import type { OutboxEntry, Store } from "../store/store.js";

export interface ResponderOptions {
  pool: RpcPool;
  store: Store;
  /** The guardian hub. */
  hub: string;
  /** The pause-only guardian key (no provider needed: the pool sends). */
  wallet: TransactionSigner;
  chainId: bigint;
  /** The highest maxFeePerGas (wei) for ordinary findings. */
  feeCeiling: bigint;
  /** The highest maxFeePerGas (wei) for critical findings. */
  emergencyFeeCeiling: bigint;
  /** How long to wait for a transaction before replacing it with higher fees. Default 3,000 ms. */
  replaceAfterMs?: number;
  /** How long to keep trying before giving up on an action (it stays in the outbox). Default 120,000 ms. */
  giveUpAfterMs?: number;
  /** Receives one line per decision. */
  log?: (event: string, fields: Record<string, unknown>) => void;
}

export type ActionStatus = "mined" | "skipped" | "failed";

export interface ActionOutcome {
  status: ActionStatus;
  key: string;
  txHash?: string;
  blockNumber?: number;
  attempts: number;
  note?: string;
}

/** The gas estimate, fees and nonce {@link Responder.drive} sends with, asked for ahead of time. */
interface Prefetched {
  /** `eth_estimateGas` of the action's call, as one endpoint answered it. */
  estimate: Promise<string>;
  fees: Promise<[bigint, bigint]>;
  nonce: Promise<number>;
}

const BUMP_NUMERATOR = 1125n; // +12.5%: above the 10% most nodes require for a replacement
const BUMP_DENOMINATOR = 1000n;
/** The reverts that mean "the hub is already there": a pause of what is paused, a trip while the invariant holds. */
const NOTHING_TO_DO: ReadonlyMap<string, string> = new Map([
  ["CordonInvalidTransition", "already paused"],
  ["CordonInvariantsHold", "the invariants held"],
]);
/** The gas limit when the action must go ahead and no endpoint would estimate it: the hub's pause of many contracts. */
export const FALLBACK_GAS = 3_000_000n;

/** The gas limit the responder gives an action an endpoint estimated: 30% above the estimate. */
export function gasLimitFor(estimate: bigint): bigint {
  return (estimate * 13n) / 10n;
}

/**
 * The most the responder can spend on one action's transaction: its gas limit at the fee ceiling it may raise the
 * fee to. A critical finding's action (an emergency) may go up to the emergency ceiling; whatever a stuck
 * transaction's replacements bid, each one is capped there and only one of them is mined.
 */
export function worstCaseCost(gasLimit: bigint, feeCeiling: bigint): bigint {
  return gasLimit * feeCeiling;
}

export class Responder {
  private readonly replaceAfterMs: number;
  private readonly giveUpAfterMs: number;
  private localNonce: number | undefined;

  constructor(private readonly options: ResponderOptions) {
    this.replaceAfterMs = options.replaceAfterMs ?? 3_000;
    this.giveUpAfterMs = options.giveUpAfterMs ?? 120_000;
  }

  /**
   * Acts on `response` unless the hub already is where it would put it. With a `gate`, the reads start at once and
   * nothing is decided (no outbox entry, no transaction) before the gate resolves; if it rejects, so does this.
   */
  async respond(response: Response, severity: Severity, why: string, gate?: Promise<unknown>): Promise<ActionOutcome> {
    // The gas, fees and nonce an action would send with are asked for alongside the hub's state: one round trip.
    const early = this.prefetch(response, severity === "critical");
    const hub = this.alreadyDone(response);
    if (gate !== undefined) {
      hub.catch(() => {}); // awaited below, unless the gate fails first
      await gate;
    }
    const { done, sync } = await hub;
    const key = `${response.kind}:${this.options.hub.toLowerCase()}:${target(response)}:epoch-${sync.pauseEpoch}`;
    if (done) {
      const why =
        response.kind !== "tripOnInvariant" && response.afterTrip !== undefined
          ? "a pause since the trip already holds the hub there"
          : "the hub is already paused there";
      this.log("skip", { key, why });
      return { status: "skipped", key, attempts: 0, note: "already paused" };
    }
    const action = {
      ...response,
      ...(response.kind === "pauseScopes" ? { scopes: response.scopes.toString() } : {}),
      severity,
      why,
      from: this.options.wallet.address,
    };
    const { store } = this.options;
    let { entry, created } = store.intend(key, action);
    if (!created && entry.status === "mined") {
      // Done before, yet the hub is not there now. If the transaction that acted is still on the chain, the hub was
      // reopened since (nothing to repeat); if a reorg took it (its receipt is gone), act again.
      const onChain = entry.txHash === undefined ? undefined : await this.findReceipt([entry.txHash]);
      if (onChain !== undefined) return { status: entry.status, key, txHash: entry.txHash, attempts: entry.attempts };
      this.log("act-again", { key, why: "its mined transaction was reorged out" });
      store.update(key, { status: "pending", note: "reorged out; acting again" });
      entry = store.outboxEntry(key)!;
    } else if (!created && entry.status === "skipped") {
      // Skipped before at this pause epoch (nothing to do then: the invariants held, or the hub was there), and the
      // hub is not there now. Nothing says a reorg happened: the hub was reopened without a new pause (a resume, a
      // pause that expired or was reorged out), or the invariants fail again. Say what was skipped, and act.
      const before = entry.note ?? "nothing to do";
      this.log("act-again", { key, why: `skipped before (${before}); the hub is not there now` });
      store.update(key, { status: "pending", note: `skipped before (${before}); acting again` });
      entry = store.outboxEntry(key)!;
    } else if (!created && entry.status === "failed" && entry.txHash !== undefined) {
      // Its transaction was mined and reverted (e.g. it landed in a block ahead of what made it needed), and the hub
      // is still not there: a fresh transaction, with the next nonce, rather than that receipt over and over.
      const receipt = await this.findReceipt([entry.txHash]);
      if (receipt !== undefined && receipt.status !== "0x1") {
        this.log("act-again", { key, why: "its transaction reverted, and the hub is still not there" });
        store.update(key, { status: "pending", note: "reverted; acting again" });
        entry = { ...store.outboxEntry(key)!, txHash: undefined, nonce: undefined };
      }
    }
    return await this.drive(entry, response, severity === "critical", early);
  }

  /** After a restart: finishes every action of this hub and key that the outbox holds as pending or sent. */
  async resumeUnfinished(): Promise<ActionOutcome[]> {
    const outcomes: ActionOutcome[] = [];
    const hub = this.options.hub.toLowerCase();
    const mine = (entry: OutboxEntry) =>
      entry.key.split(":")[1] === hub &&
      (entry.action.from === undefined || entry.action.from === this.options.wallet.address);
    for (const entry of this.options.store.unfinished().filter(mine)) {
      const response = entry.action as unknown as Response & { severity?: Severity };
      const critical = response.severity === "critical";
      const resumed = normalize(response);
      outcomes.push(await this.drive(entry, resumed, critical, this.prefetch(resumed, critical)));
    }
    return outcomes;
  }

  /**
   * The gas estimate, the fees and the next nonce, asked for at once so that they arrive while the hub is read:
   * reads only, each decided on where it is used (an estimate that reverts is judged by {@link simulate} as before).
   * If the action is skipped, nothing was spent but three requests.
   */
  private prefetch(response: Response, critical: boolean): Prefetched {
    const call = { from: this.options.wallet.address, to: this.options.hub, data: encodeResponse(response) };
    const estimate = this.options.pool.request<string>("eth_estimateGas", [call]);
    const fees = this.initialFees(critical);
    const nonce = this.nextNonce();
    // Awaited by drive, or never if the action is skipped.
    for (const p of [estimate, fees, nonce]) p.catch(() => {});
    return { estimate, fees, nonce };
  }

  private async drive(
    entry: OutboxEntry,
    response: Response,
    critical: boolean,
    early?: Prefetched,
  ): Promise<ActionOutcome> {
    const { store, pool, wallet } = this.options;
    const key = entry.key;
    const data = encodeResponse(response);
    const sent: string[] = entry.txHash === undefined ? [] : [entry.txHash];
    let nonce = entry.nonce;
    let attempts = entry.attempts;
    const deadline = Date.now() + this.giveUpAfterMs;

    // A transaction sent before a crash may have been mined meanwhile.
    const earlier = await this.findReceipt(sent);
    if (earlier !== undefined) return this.finish(key, earlier, attempts);

    const gasLimit = await this.simulate(data, response, early?.estimate);
    if (typeof gasLimit === "string") {
      store.update(key, { status: "skipped", note: `${gasLimit} (simulation)` });
      return { status: "skipped", key, attempts, note: gasLimit };
    }
    let [maxFee, priority] = await (early?.fees ?? this.initialFees(critical));
    let firstNonce = early?.nonce;
    const ceiling = critical ? this.options.emergencyFeeCeiling : this.options.feeCeiling;

    while (Date.now() < deadline) {
      if (nonce === undefined) nonce = await (firstNonce ?? this.nextNonce());
      firstNonce = undefined; // a nonce taken by another transaction is asked for again
      const raw = await wallet.signTransaction({
        to: this.options.hub,
        data,
        nonce,
        gasLimit,
        maxFeePerGas: maxFee,
        maxPriorityFeePerGas: priority,
        chainId: this.options.chainId,
        type: 2,
      });
      // Recorded before it is sent: a keeper killed during the broadcast knows, after a restart, which transaction
      // and nonce may be out there, and replaces it rather than sending a second one with the next nonce.
      const hash = Transaction.from(raw).hash!;
      sent.push(hash);
      attempts += 1;
      store.update(key, { status: "sent", txHash: hash, nonce, attempt: true });
      const broadcast = await pool.broadcast(raw);
      this.log("sent", { key, tx: broadcast.hash, nonce, maxFee: String(maxFee), accepted: broadcast.accepted });

      const waitUntil = Date.now() + this.replaceAfterMs;
      while (Date.now() < waitUntil) {
        const receipt = await this.findReceipt(sent);
        if (receipt !== undefined) {
          this.localNonce = nonce + 1;
          return this.finish(key, receipt, attempts);
        }
        // Our nonce was used by another transaction of this key: re-decide with a fresh nonce.
        if ((await this.chainNonce("latest")) > nonce) {
          const receiptAgain = await this.findReceipt(sent);
          if (receiptAgain !== undefined) return this.finish(key, receiptAgain, attempts);
          this.log("nonce-taken", { key, nonce });
          if ((await this.alreadyDone(response)).done) {
            store.update(key, { status: "skipped", note: "paused by someone else" });
            return { status: "skipped", key, attempts, note: "paused by someone else" };
          }
          nonce = undefined;
          this.localNonce = undefined;
          break;
        }
        await sleep(200);
      }
      if (nonce !== undefined) {
        // Not mined in time: replace it with higher fees (same nonce), up to the ceiling.
        maxFee = min(ceiling, (maxFee * BUMP_NUMERATOR) / BUMP_DENOMINATOR + 1n);
        priority = min(maxFee, (priority * BUMP_NUMERATOR) / BUMP_DENOMINATOR + 1n);
      }
    }
    store.update(key, { status: "failed", note: `not mined within ${this.giveUpAfterMs} ms` });
    return { status: "failed", key, attempts, note: "not mined in time" };
  }

  private finish(key: string, receipt: { hash: string; status: string; blockNumber: string }, attempts: number) {
    const ok = receipt.status === "0x1";
    this.options.store.update(key, {
      status: ok ? "mined" : "failed",
      txHash: receipt.hash,
      note: ok ? undefined : "reverted",
    });
    this.log(ok ? "mined" : "reverted", { key, tx: receipt.hash, block: Number(receipt.blockNumber) });
    return {
      status: ok ? ("mined" as const) : ("failed" as const),
      key,
      txHash: receipt.hash,
      blockNumber: Number(receipt.blockNumber),
      attempts,
    };
  }

  /**
   * Estimates gas; or, if the call would revert because the hub is already where the action would put it, what the
   * revert says ("already paused", "the invariants held"). A
   * simulation that says "nothing to do" is one endpoint's word: it decides nothing until a quorum of endpoints
   * simulates the same and, for a pause, a quorum read of the hub confirms it. Otherwise the action goes ahead with
   * the gas the other endpoints estimate (a revert on-chain costs gas; a skipped pause can cost the protocol).
   */
  private async simulate(data: string, response: Response, estimated?: Promise<string>): Promise<bigint | string> {
    const call = { from: this.options.wallet.address, to: this.options.hub, data };
    try {
      const estimate = await (estimated ?? this.options.pool.request<string>("eth_estimateGas", [call]));
      return gasLimitFor(BigInt(estimate));
    } catch (error) {
      if (!(error instanceof RpcResponseError)) throw error;
      const reason = decodeRevert(error.data);
      if (reason === undefined || !NOTHING_TO_DO.has(reason)) throw refusal(error, reason, this.options.wallet.address);
      return await this.confirmNothingToDo(call, response, error.endpoint, reason);
    }
  }

  /** Asks every endpoint to simulate `call`; skips (why, in words) only when a quorum of them and of the hub agree. */
  private async confirmNothingToDo(
    call: { from: string; to: string; data: string },
    response: Response,
    first: string,
    firstReason: string,
  ): Promise<bigint | string> {
    const { pool } = this.options;
    const votes = await Promise.all(
      pool.endpoints
        .filter((e) => e.name !== first)
        .map(async (endpoint) => {
          try {
            return { endpoint: endpoint.name, gas: BigInt(await endpoint.request<string>("eth_estimateGas", [call])) };
          } catch (error) {
            const reason = error instanceof RpcResponseError ? decodeRevert(error.data) : undefined;
            return { endpoint: endpoint.name, reason: reason ?? (error as Error).message.split("\n")[0] };
          }
        }),
    );
    const saying = [first, ...votes.filter((v) => v.reason === firstReason).map((v) => v.endpoint)];
    let hubAgrees = response.kind === "tripOnInvariant";
    if (!hubAgrees) {
      try {
        hubAgrees = (await this.alreadyDone(response)).done;
      } catch {
        hubAgrees = false; // neither a quorum nor a proof of the hub's state: nothing confirms the skip
      }
    }
    if (saying.length >= pool.quorum && hubAgrees) return NOTHING_TO_DO.get(firstReason)!;
    const estimates = votes.flatMap((v) => (v.gas === undefined ? [] : [v.gas]));
    // The others simulated the action fine: the endpoints that said "nothing to do" are scored (not taken out of
    // rotation: a simulation is not pinned to a block, and a node one block ahead may honestly see the hub paused).
    if (estimates.length > 0) {
      for (const name of saying) pool.dispute(name, `simulated ${firstReason} (nothing to do) where a quorum did not`);
    }
    this.log("simulation-disputed", {
      why: `${saying.join(", ")} simulated ${firstReason} (nothing to do), which a quorum does not confirm: acting anyway`,
      endpoints: saying,
      others: votes.map((v) => ({ endpoint: v.endpoint, ...(v.gas === undefined ? { reason: v.reason } : {}) })),
    });
    if (estimates.length === 0) return FALLBACK_GAS;
    return gasLimitFor(estimates.reduce((a, b) => (a > b ? a : b)));
  }

  private async initialFees(critical: boolean): Promise<[bigint, bigint]> {
    const block = await this.options.pool.request<{ baseFeePerGas?: string }>("eth_getBlockByNumber", [
      "latest",
      false,
    ]);
    const base = BigInt(block.baseFeePerGas ?? "0x0");
    const priority = critical ? 3_000_000_000n : 1_500_000_000n;
    const ceiling = critical ? this.options.emergencyFeeCeiling : this.options.feeCeiling;
    return [min(ceiling, base * 2n + priority), min(ceiling, priority)];
  }

  /**
   * The next nonce: the chain's count of mined transactions, or one above the last transaction this responder got
   * mined if the node has not counted it yet. Not the pending count: another keeper sharing this key may have the same
   * action pending at that nonce, and sending at the same nonce makes the two one transaction (identical, or a
   * replacement) instead of two. Actions of one responder run one at a time, so none of its own is pending here. The
   * floor is dropped when the chain's count is below it (a reorg took a mined transaction): the gap would never fill.
   */
  private async nextNonce(): Promise<number> {
    const latest = await this.chainNonce("latest");
    if (this.localNonce !== undefined && latest < this.localNonce) this.localNonce = undefined;
    this.localNonce = Math.max(this.localNonce ?? 0, latest);
    return this.localNonce;
  }

  private async chainNonce(tag: "latest" | "pending"): Promise<number> {
    return Number(
      await this.options.pool.request<string>("eth_getTransactionCount", [this.options.wallet.address, tag]),
    );
  }

  private async findReceipt(
    hashes: string[],
  ): Promise<{ hash: string; status: string; blockNumber: string } | undefined> {
    for (const hash of hashes) {
      const receipt = await this.options.pool.request<{ status: string; blockNumber: string } | null>(
        "eth_getTransactionReceipt",
        [hash],
      );
      if (receipt !== null) return { ...receipt, hash };
    }
    return undefined;
  }

  /**
   * Whether the hub already is where `response` would put it, and the hub's state the decision rests on. A skip is
   * only decided on a proven read: a quorum of endpoints can lie in eth_call, so when the quorum says "already
   * paused" the hub's `currentSync()` is executed against a proven state (src/proof) first. A proof that the hub is
   * open, or no proof at all, means act: a pause of a paused hub costs a revert, a skipped pause can cost the
   * protocol. When the endpoints disagree (no quorum), the proven read decides instead of failing.
   */
  private async alreadyDone(response: Response): Promise<{ done: boolean; sync: HubSyncView }> {
    let quorum: HubSyncView;
    try {
      quorum = await readHubSync(this.options.pool, this.options.hub);
    } catch (error) {
      if (!(error instanceof QuorumNotReachedError)) throw error;
      const proven = await this.proveSync(`the endpoints disagree on the hub's state (${error.details ?? ""})`);
      if (proven === undefined) throw error;
      return { done: isAlreadyDone(response, proven), sync: proven };
    }
    if (!isAlreadyDone(response, quorum)) return { done: false, sync: quorum };
    const proven = await this.proveSync("a quorum says the hub is already paused: proving it before skipping");
    if (proven === undefined) {
      this.log("skip-not-proven", { why: "the hub's paused state could not be proven: acting anyway" });
      return { done: false, sync: quorum };
    }
    return { done: isAlreadyDone(response, proven), sync: proven };
  }

  /** The hub's proven `currentSync()`, logging the endpoints it contradicts; undefined when it cannot be proven. */
  private async proveSync(why: string): Promise<HubSyncView | undefined> {
    try {
      const proven = await provenHubSync(this.options.pool, this.options.hub, this.options.chainId);
      const fields = {
        why,
        block: Number(proven.block.number),
        blockHash: proven.block.hash,
        state: Number(proven.sync.state),
        pauseEpoch: String(proven.sync.pauseEpoch),
      };
      if (proven.contradicted.length > 0) {
        this.log("proof-contradicts", { ...fields, endpoints: proven.contradicted, lies: proven.lies });
      } else {
        this.log("proven-read", fields);
      }
      return proven.sync;
    } catch (error) {
      // Not provable (NotProvenError), or the header's quorum failed: the callers act, or report the quorum's error.
      const kind = error instanceof NotProvenError ? "not proven" : (error as Error).name;
      this.log("not-proven", { why, reason: `${kind}: ${(error as Error).message.split("\n")[0]}` });
      return undefined;
    }
  }

  private log(event: string, fields: Record<string, unknown>): void {
    this.options.log?.(event, fields);
  }
}

function target(response: Response): string {
  if (response.kind === "pause") return "protocol";
  if (response.kind === "pauseScopes") return `scopes-${response.scopes.toString(16)}`;
  return `invariant-${response.target.toLowerCase()}`;
}

function isAlreadyDone(response: Response, sync: HubSyncView): boolean {
  if (response.kind !== "tripOnInvariant" && response.afterTrip !== undefined) return isDoneAfterTrip(response, sync);
  if (sync.state !== STATE_ACTIVE) return true; // Paused, Recovery or Shutdown: nothing left to pause
  if (response.kind !== "pauseScopes") return false;
  const paused = sync.heldScopes | sync.expiringScopes | sync.graceScopes;
  return (response.scopes & ~paused) === 0n;
}

/**
 * Whether a pause that follows a trip is done. The trip's own pause does not count: a guardian pause in an episode a
 * trip started lasts its own full duration, so the keeper pauses until a pause since the trip has moved the
 * episode's end past the trip's (its own, or another guardian's), or governance holds what it would pause. Recovery
 * and Shutdown cannot be paused.
 */
function isDoneAfterTrip(response: Extract<Response, { kind: "pause" | "pauseScopes" }>, sync: HubSyncView): boolean {
  if (sync.state !== STATE_ACTIVE && sync.state !== STATE_PAUSED) return true;
  if (sync.state === STATE_PAUSED && !sync.stateExpires) return true; // held by governance, with no end
  const moved = sync.expiry > BigInt(response.afterTrip!.expiry);
  if (response.kind === "pause") return moved && sync.state === STATE_PAUSED;
  if ((response.scopes & ~sync.heldScopes) === 0n) return true;
  const paused = sync.heldScopes | sync.expiringScopes | sync.graceScopes;
  return moved && (sync.state === STATE_PAUSED || (response.scopes & ~paused) === 0n);
}

/** The hub call that carries out `response`. */
export function encodeResponse(response: Response): string {
  if (response.kind === "pause") return hubInterface.encodeFunctionData("pause", [response.reason]);
  if (response.kind === "pauseScopes") {
    return hubInterface.encodeFunctionData("pauseScopes", [response.scopes, response.reason]);
  }
  return hubInterface.encodeFunctionData("tripOnInvariant", [response.target]);
}

/** Outbox entries are JSON: scopes come back as strings. */
function normalize(response: Response): Response {
  if (response.kind === "pauseScopes") return { ...response, scopes: BigInt(response.scopes) };
  return response;
}

/** The name of the hub error in a revert's data (an RPC error's `data`), if it is one. */
export function decodeRevert(data: unknown): string | undefined {
  if (typeof data === "object" && data !== null && "data" in data) data = (data as { data: unknown }).data;
  if (typeof data !== "string" || !data.startsWith("0x") || data.length < 10) return undefined;
  try {
    return hubInterface.parseError(data)?.name;
  } catch {
    return undefined;
  }
}

/** The hub would refuse the keeper's transaction for a reason that is not "already done": what to do about it. */
function refusal(error: RpcResponseError, reason: string | undefined, keeper: string): CordonError {
  return new CordonError(`the hub would refuse the keeper's transaction: ${reason ?? error.rpcMessage}`, {
    cause: error,
    details:
      reason === "AccessControlUnauthorizedAccount"
        ? `${keeper} lacks the guardian role: governance must grant it`
        : reason === "CordonGuardianCooldown"
          ? "guardians are in cooldown after an unconfirmed pause: governance can lift it"
          : undefined,
  });
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
