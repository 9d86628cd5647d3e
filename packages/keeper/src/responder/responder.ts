/**
 * Acts on findings with one key: pauses the configured scope through the hub (or calls the permissionless invariant
 * trip) with the pause-only guardian key, or sends a `call` response's transaction to any contract (an OpenZeppelin
 * `pause()`, Aave's `setPoolPause(true)`) with the key that contract grants the role. Writes the intent to the
 * store's outbox before sending, so a crash neither loses nor repeats an action; manages its own nonce; replaces a
 * stuck transaction with higher fees until it is mined, up to a ceiling that emergencies may exceed, and checks
 * before each replacement whether the goal was reached meanwhile.
 *
 * No single endpoint decides a skip. The rule is the same for every kind: an action is skipped only when a quorum of
 * endpoints says its goal is reached AND a proof confirms it, i.e. the view that says so executed by the verified EVM
 * (src/proof) against a header a quorum agrees on, every account, code and storage read checked against its state
 * root. For the hub that view is `currentSync()` (paused there already); for a `call` it is the action's `done`
 * check, any view of any contract (`paused()`, Aave's `getPaused(asset)`): the prover finds which storage slots the
 * view reads by running it, so the user gives no slot or layout. A `call` without a `done` check is never skipped on
 * state. A simulation that reverts is explained in words (a role the key lacks, the reason string or custom error),
 * and is a skip only when the goal is proven reached as above; otherwise the keeper refuses and says why.
 *
 * One action at a time per responder (its key's nonces depend on it): an action for another outbox key waits for the
 * one in flight. A second finding for the key in flight (the mined block's finding of an exploit a pending-triggered
 * pause is racing, or an exploit replaced with a higher fee) joins it: the same transaction, and if it asks for higher
 * fees (`feeFloor`) the transaction in flight is replaced with them at once.
 *
 * The outbox key names what the transaction does, so that one finding after another (and a restart) is one
 * transaction: for the hub, the action, the hub, its target and the hub's pause epoch; for a `call`, its target and
 * a hash of its calldata, with a generation that moves on only once the goal, reached by the keeper's own mined
 * transaction, is seen undone by a quorum (the protocol was unpaused since).
 */
import { Transaction } from "ethers/transaction";

import { callId } from "../actions/call.js";

import type { TransactionSigner } from "../config/key.js";
import { hubInterface } from "../contracts/abi.js";
import { type HubSyncView, provenHubSync, readHubSync, STATE_ACTIVE, STATE_PAUSED } from "../contracts/hub.js";
import { CordonError } from "../errors.js";
import type { DoneCheck, Response } from "../detectors/types.js";
import { explainRevert } from "../governance/revert.js";
import { NotProvenError } from "../proof/errors.js";
import { QuorumNotReachedError, RpcResponseError } from "../rpc/errors.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Severity } from "../domain/types.js";
import type { OutboxEntry, Store } from "../store/store.js";

export interface ResponderOptions {
  pool: RpcPool;
  store: Store;
  /** The guardian hub; undefined for a protocol without one (only `call` responses then). */
  hub?: string;
  /** The protocol the responder acts for: its `call` entries in the outbox are resumed by it. */
  protocol?: string;
  /** The key that sends (no provider needed: the pool sends): the hub's pause-only guardian, or a target's role. */
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

/** Fees per gas of a transaction (wei). */
export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export interface RespondOptions {
  /**
   * The least the transaction bids (each fee capped at the ceiling): a pause priced to be ordered before a pending
   * exploit. Joining an action in flight with a higher floor replaces its transaction with one that bids it.
   */
  feeFloor?: Fees;
  /** Called with each transaction broadcast for this action (a replacement too). */
  onBroadcast?: (hash: string) => void;
}

/** An action being driven: what joins it raises its fee floor and waits for the same outcome. */
interface Flight {
  floor: Fees | undefined;
  /** Moves on each time a join raises the floor. */
  raised: number;
  listeners: ((hash: string) => void)[];
  outcome: Promise<ActionOutcome>;
}

/** The higher of two floors, field by field. */
export function higherFloor(a: Fees | undefined, b: Fees | undefined): Fees | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return {
    maxFeePerGas: a.maxFeePerGas > b.maxFeePerGas ? a.maxFeePerGas : b.maxFeePerGas,
    maxPriorityFeePerGas:
      a.maxPriorityFeePerGas > b.maxPriorityFeePerGas ? a.maxPriorityFeePerGas : b.maxPriorityFeePerGas,
  };
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
type CallResponse = Extract<Response, { kind: "call" }>;
/** What {@link Responder.alreadyDone} found: whether to skip, and what the decision rests on. */
interface DoneState {
  done: boolean;
  /** The hub's state (hub responses). */
  sync?: HubSyncView;
  /** What a quorum's read of a `call`'s done check said: true, false, or undefined (no quorum, no check). */
  quorumSays?: boolean;
}

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
  /** The actions in flight, by outbox key. */
  private readonly flights = new Map<string, Flight>();
  /** The tail of the actions waiting their turn (one at a time: nonces). */
  private lock: Promise<unknown> = Promise.resolve();
  private queued = 0;

  constructor(private readonly options: ResponderOptions) {
    this.replaceAfterMs = options.replaceAfterMs ?? 3_000;
    this.giveUpAfterMs = options.giveUpAfterMs ?? 120_000;
  }

  /**
   * Acts on `response` unless the hub already is where it would put it. With a `gate`, the reads start at once and
   * nothing is decided (no outbox entry, no transaction) before the gate resolves; if it rejects, so does this. An
   * action whose outbox key is in flight joins it (see the file's header).
   */
  async respond(
    response: Response,
    severity: Severity,
    why: string,
    gate?: Promise<unknown>,
    options: RespondOptions = {},
  ): Promise<ActionOutcome> {
    // The gas, fees and nonce an action would send with are asked for alongside the hub's state: one round trip.
    const early = this.prefetch(response, severity === "critical");
    const state = this.alreadyDone(response);
    if (gate !== undefined) {
      state.catch(() => {}); // awaited below, unless the gate fails first
      await gate;
    }
    const { done, sync, quorumSays } = await state;
    let key =
      response.kind === "call"
        ? this.callKey(response)
        : `${response.kind}:${this.hub.toLowerCase()}:${target(response)}:epoch-${sync!.pauseEpoch}`;
    if (done) {
      const why =
        response.kind === "call"
          ? `${response.done!.description}, for a quorum and a proof`
          : response.kind !== "tripOnInvariant" && response.afterTrip !== undefined
            ? "a pause since the trip already holds the hub there"
            : "the hub is already paused there";
      this.log("skip", { key, why });
      return {
        status: "skipped",
        key,
        attempts: 0,
        note: response.kind === "call" ? "already done" : "already paused",
      };
    }
    if (response.kind === "call" && quorumSays === false) {
      // The goal was reached by this keeper's mined transaction and a quorum now sees it undone (unpaused since):
      // the next generation of the key, a new transaction.
      const previous = this.options.store.outboxEntry(key);
      if (previous?.status === "mined" && previous.txHash !== undefined) {
        if ((await this.findReceipt([previous.txHash]))?.status === "0x1") {
          key = nextGeneration(key);
          this.log("act-again", { key, why: `${response.done?.description ?? "its goal"} no longer holds` });
        }
      }
    }
    const flying = this.flights.get(key);
    if (flying !== undefined) {
      const floor = higherFloor(flying.floor, options.feeFloor);
      if (floor !== flying.floor) {
        flying.floor = floor;
        flying.raised += 1;
      }
      if (options.onBroadcast !== undefined) flying.listeners.push(options.onBroadcast);
      this.log("join", {
        key,
        why,
        ...(options.feeFloor === undefined
          ? {}
          : { maxPriorityFeePerGas: String(options.feeFloor.maxPriorityFeePerGas) }),
      });
      return await flying.outcome;
    }
    const flight: Flight = {
      floor: options.feeFloor,
      raised: 0,
      listeners: options.onBroadcast === undefined ? [] : [options.onBroadcast],
      outcome: undefined as unknown as Promise<ActionOutcome>,
    };
    this.flights.set(key, flight);
    const waits = this.queued > 0;
    flight.outcome = this.exclusive(() => {
      // An action that waited for another: the nonce asked for before is stale.
      const reads = waits ? { ...early, nonce: this.nextNonce() } : early;
      reads.nonce.catch(() => {});
      return this.act(key, response, severity, why, reads, flight);
    }).finally(() => this.flights.delete(key));
    return await flight.outcome;
  }

  /** Runs `work` after the actions before it (one at a time). */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.queued += 1;
    const run = this.lock.then(work, work).finally(() => (this.queued -= 1));
    this.lock = run.catch(() => {});
    return run;
  }

  /** Records the intent of `response` under `key` in the outbox and drives it (see {@link respond}). */
  private async act(
    key: string,
    response: Response,
    severity: Severity,
    why: string,
    early: Prefetched,
    flight: Flight,
  ): Promise<ActionOutcome> {
    const action = {
      ...response,
      ...(response.kind === "pauseScopes" ? { scopes: response.scopes.toString() } : {}),
      ...(response.kind === "call" && this.options.protocol !== undefined ? { protocol: this.options.protocol } : {}),
      severity,
      why,
      from: this.options.wallet.address,
    };
    const { store } = this.options;
    let { entry, created } = store.intend(key, action);
    if (!created && entry.status === "mined") {
      // Done before, yet the hub (or the call's goal) is not there now. If the transaction that acted is still on the
      // chain, the hub was reopened since (nothing to repeat; a call whose goal a quorum sees undone moved on to the
      // next generation above); if a reorg took it (its receipt is gone), act again.
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
    return await this.drive(entry, response, severity === "critical", early, flight);
  }

  /** After a restart: finishes every action of this hub and key that the outbox holds as pending or sent. */
  async resumeUnfinished(): Promise<ActionOutcome[]> {
    return await this.exclusive(() => this.resumeNow());
  }

  private async resumeNow(): Promise<ActionOutcome[]> {
    const outcomes: ActionOutcome[] = [];
    const hub = this.options.hub?.toLowerCase();
    const mine = (entry: OutboxEntry) =>
      (entry.action.kind === "call"
        ? entry.action.from === this.options.wallet.address &&
          (entry.action.protocol === undefined || entry.action.protocol === this.options.protocol)
        : entry.key.split(":")[1] === hub) &&
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
    const call = { from: this.options.wallet.address, to: this.targetOf(response), data: encodeResponse(response) };
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
    flight?: Flight,
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
    [maxFee, priority] = atLeast([maxFee, priority], flight?.floor, ceiling);
    let raised = flight?.raised ?? 0;

    while (Date.now() < deadline) {
      if (nonce === undefined) nonce = await (firstNonce ?? this.nextNonce());
      firstNonce = undefined; // a nonce taken by another transaction is asked for again
      const raw = await wallet.signTransaction({
        to: this.targetOf(response),
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
      this.log("sent", {
        key,
        tx: broadcast.hash,
        nonce,
        maxFee: String(maxFee),
        priorityFee: String(priority),
        accepted: broadcast.accepted,
      });
      for (const listener of flight?.listeners ?? []) listener(hash);

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
            const note = response.kind === "call" ? "done by someone else" : "paused by someone else";
            store.update(key, { status: "skipped", note });
            return { status: "skipped", key, attempts, note };
          }
          nonce = undefined;
          this.localNonce = undefined;
          break;
        }
        if (flight !== undefined && flight.raised !== raised) {
          // A join asks for higher fees (the exploit this pause races was replaced): replace at once.
          raised = flight.raised;
          const [floorFee, floorTip] = atLeast([maxFee, priority], flight.floor, ceiling);
          if (floorFee > maxFee || floorTip > priority) {
            this.log("raise", { key, why: "a higher fee floor joined", priorityFee: String(floorTip) });
            break;
          }
        }
        await sleep(200);
      }
      if (nonce !== undefined && response.kind === "call" && response.done !== undefined) {
        // Not mined in time. Before a replacement: is the goal reached meanwhile (another keeper's transaction, with
        // another key)? Proven as for a skip; our own transaction mined meanwhile is found first.
        const done = await this.alreadyDone(response).catch(() => ({ done: false }));
        if (done.done) {
          const mined = await this.findReceipt(sent);
          if (mined !== undefined) return this.finish(key, mined, attempts);
          store.update(key, { status: "skipped", note: "done by someone else" });
          this.log("skip", { key, why: `${response.done.description} before a replacement` });
          return { status: "skipped", key, attempts, note: "done by someone else" };
        }
      }
      if (nonce !== undefined) {
        // Not mined in time: replace it with higher fees (same nonce), up to the ceiling.
        maxFee = min(ceiling, (maxFee * BUMP_NUMERATOR) / BUMP_DENOMINATOR + 1n);
        priority = min(maxFee, (priority * BUMP_NUMERATOR) / BUMP_DENOMINATOR + 1n);
        [maxFee, priority] = atLeast([maxFee, priority], flight?.floor, ceiling);
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
    const call = { from: this.options.wallet.address, to: this.targetOf(response), data };
    try {
      const estimate = await (estimated ?? this.options.pool.request<string>("eth_estimateGas", [call]));
      return gasLimitFor(BigInt(estimate));
    } catch (error) {
      if (!(error instanceof RpcResponseError)) throw error;
      if (response.kind === "call") return await this.callReverts(call, response, error);
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
  private async alreadyDone(response: Response): Promise<DoneState> {
    if (response.kind === "call") return await this.callDone(response);
    let quorum: HubSyncView;
    try {
      quorum = await readHubSync(this.options.pool, this.hub);
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
      const proven = await provenHubSync(this.options.pool, this.hub, this.options.chainId);
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

  /**
   * Whether a `call`'s goal is reached: its `done` view, read by a quorum at the latest block and, when the quorum
   * says it holds, executed against a quorum-agreed header's proven state. Only a proven "holds" that a quorum also
   * said is a skip; without a quorum, or without a proof, the keeper acts.
   */
  private async callDone(response: CallResponse): Promise<DoneState> {
    const check = response.done;
    if (check === undefined) return { done: false };
    let says: boolean;
    try {
      const read = await this.options.pool.quorumRead<string>("eth_call", [
        { to: check.target, data: check.data },
        "latest",
      ]);
      says = read.result.toLowerCase() === check.equals;
    } catch (error) {
      if (!(error instanceof QuorumNotReachedError)) throw error;
      // No quorum: never a skip on one answer. Acting is the safe side (a second pause costs gas, not the protocol).
      this.log("done-no-quorum", { why: `no quorum agrees on ${check.description}: acting`, details: error.details });
      return { done: false };
    }
    if (!says) return { done: false, quorumSays: false };
    const proven = await this.proveDone(check);
    if (proven === undefined) {
      this.log("skip-not-proven", { why: `${check.description} could not be proven: acting anyway` });
      return { done: false, quorumSays: true };
    }
    return { done: proven, quorumSays: true };
  }

  /** The `done` view executed against proven state: whether it returns `equals`; undefined when not provable. */
  private async proveDone(check: DoneCheck): Promise<boolean | undefined> {
    const why = `a quorum says ${check.description}: proving it before skipping`;
    const request = { to: check.target, data: check.data };
    try {
      const { BlockProver, compareCalls } = await import("../proof/index.js");
      const prover = await BlockProver.at(this.options.pool, { chainId: this.options.chainId });
      const proven = await prover.call(request);
      await compareCalls(this.options.pool.endpoints, request, proven, prover.ledger, check.description);
      const report = prover.ledger.report();
      const contradicted = this.options.pool.endpoints
        .map((e) => e.name)
        .filter((name) => report[name]?.verdict === "lied");
      const holds = !proven.reverted && proven.returnData.toLowerCase() === check.equals;
      const fields = { why, block: Number(proven.block.number), blockHash: proven.block.hash, holds };
      if (contradicted.length > 0) this.log("proof-contradicts", { ...fields, endpoints: contradicted });
      else this.log("proven-read", fields);
      return holds;
    } catch (error) {
      const kind = error instanceof NotProvenError ? "not proven" : (error as Error).name;
      this.log("not-proven", { why, reason: `${kind}: ${(error as Error).message.split("\n")[0]}` });
      return undefined;
    }
  }

  /**
   * A `call` whose simulation reverted on one endpoint. That endpoint's word decides nothing: the others simulate it
   * too, and if fewer than a quorum revert while another estimates it, the reverting ones are disputed and the call
   * goes ahead with the highest estimate. When a quorum reverts (or no other endpoint answers): a skip if its goal is
   * reached (a pause of what is paused reverts, e.g. OpenZeppelin's `EnforcedPause()`), for a quorum and a proof;
   * otherwise a refusal that says in words why.
   */
  private async callReverts(
    call: { from: string; to: string; data: string },
    response: CallResponse,
    error: RpcResponseError,
  ): Promise<bigint | string> {
    const { pool } = this.options;
    const votes = await Promise.all(
      pool.endpoints
        .filter((e) => e.name !== error.endpoint)
        .map(async (endpoint) => {
          try {
            return { endpoint: endpoint.name, gas: BigInt(await endpoint.request<string>("eth_estimateGas", [call])) };
          } catch (failure) {
            return { endpoint: endpoint.name, reverted: failure instanceof RpcResponseError };
          }
        }),
    );
    const reverting = [error.endpoint, ...votes.filter((v) => v.reverted === true).map((v) => v.endpoint)];
    const estimates = votes.flatMap((v) => (v.gas === undefined ? [] : [v.gas]));
    if (reverting.length < pool.quorum && estimates.length > 0) {
      for (const name of reverting)
        pool.dispute(name, `simulated ${response.description} as reverting where others did not`);
      this.log("simulation-disputed", {
        why: `${reverting.join(", ")} simulated ${response.description} as reverting, which a quorum does not confirm: acting anyway`,
        endpoints: reverting,
      });
      return gasLimitFor(estimates.reduce((a, b) => (a > b ? a : b)));
    }
    if (response.done !== undefined && (await this.alreadyDone(response)).done) return "already done";
    throw callRefusal(call, response, error);
  }

  /** Where `response`'s transaction goes: its contract for a `call`, the hub otherwise. */
  private targetOf(response: Response): string {
    return response.kind === "call" ? response.target : this.hub;
  }

  private get hub(): string {
    if (this.options.hub === undefined) {
      throw new CordonError("a hub action for a protocol without a hub", {
        details: "set the protocol's `hub`, or use an action of kind call",
      });
    }
    return this.options.hub;
  }

  /**
   * The outbox key of a `call`: its target and a hash of its calldata, at the newest generation the outbox holds
   * (`:g0`, `:g1`, ...; see {@link nextGeneration}).
   */
  private callKey(response: CallResponse): string {
    const base = `call:${response.target.toLowerCase()}:${callId(response.data)}`;
    let generation = 0;
    while (this.options.store.outboxEntry(`${base}:g${generation + 1}`) !== undefined) generation += 1;
    return `${base}:g${generation}`;
  }

  private log(event: string, fields: Record<string, unknown>): void {
    this.options.log?.(event, fields);
  }
}

/** The key of a `call`'s next generation: `call:<target>:<id>:g1` after `...:g0`. */
function nextGeneration(key: string): string {
  const at = key.lastIndexOf(":g");
  return `${key.slice(0, at)}:g${Number(key.slice(at + 2)) + 1}`;
}

/** Revert data in an RPC error's `data` (a hex string, or `{ data }` as some nodes send it). */
function revertDataOf(data: unknown): string | undefined {
  if (typeof data === "object" && data !== null && "data" in data) data = (data as { data: unknown }).data;
  return typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data) ? data : undefined;
}

/** A `call` the target would refuse for a reason that is not "already done": what was refused, and what to do. */
function callRefusal(call: { from: string; to: string }, response: CallResponse, error: RpcResponseError): CordonError {
  const data = revertDataOf(error.data);
  const explained = data === undefined ? undefined : explainCallRevert(data, call.from);
  return new CordonError(
    `${call.to} would refuse the keeper's ${response.description}: ${explained?.message ?? error.rpcMessage}`,
    { cause: error, details: explained?.fix },
  );
}

/**
 * Revert data of a contract Cordon did not write, in words: OpenZeppelin's access, pause and ownership errors and
 * Aave's numbered error strings by name, then the reasons and errors {@link explainRevert} knows.
 */
export function explainCallRevert(data: string, sender: string): { error: string; message: string; fix: string } {
  const known = FOREIGN_ERRORS.find(([selector]) => data.toLowerCase().startsWith(selector));
  if (known !== undefined) {
    const [, error, message, fix] = known;
    return { error, message: message.replaceAll("{sender}", sender), fix: fix.replaceAll("{sender}", sender) };
  }
  const explained = explainRevert(data);
  if (explained.error === "Error") {
    const code = String(explained.args.reason);
    const aave = AAVE_ERRORS[code];
    if (aave !== undefined) {
      return {
        error: `Aave error ${code}`,
        message: `Aave error ${code}: ${aave.replaceAll("{sender}", sender)}`,
        fix: "grant the key the role the error names",
      };
    }
  }
  return explained.error === "unknown" && explained.args.data !== undefined
    ? { ...explained, fix: "decode the selector against the target's ABI (see its documentation)" }
    : explained;
}

/** Selectors (`keccak256(signature)[0..4]`) of the errors of OpenZeppelin 5.x a pause can revert with. */
const FOREIGN_ERRORS: readonly [string, string, string, string][] = [
  [
    "0x068ca9d8", // AccessManagedUnauthorized(address)
    "AccessManagedUnauthorized",
    "the AccessManager does not let {sender} call this function (no role for it, or the role's execution delay is not 0)",
    "an admin of the AccessManager grants {sender} the function's role with no execution delay (grantRole(roleId, {sender}, 0)) and sets the target function's role (setTargetFunctionRole)",
  ],
  [
    "0xe2517d3f", // AccessControlUnauthorizedAccount(address,bytes32)
    "AccessControlUnauthorizedAccount",
    "{sender} lacks the role the function requires (AccessControl)",
    "an admin grants {sender} the role: grantRole(role, {sender})",
  ],
  [
    "0x118cdaa7", // OwnableUnauthorizedAccount(address)
    "OwnableUnauthorizedAccount",
    "only the owner may call this function, and {sender} is not the owner",
    "send it from the owner, or have the owner hand the function to a role",
  ],
  ["0xd93c0665", "EnforcedPause", "the contract is already paused", "nothing to do: it is paused"],
  ["0x8dfc202b", "ExpectedPause", "the contract is not paused, and the function needs it paused", "check the function"],
];

/** Aave v3's access error strings (Errors.sol): the ones a pause by an emergency admin can hit. */
const AAVE_ERRORS: Record<string, string> = {
  "1": "the caller is not a pool admin ({sender} lacks POOL_ADMIN on the ACLManager)",
  "2": "the caller is not an emergency admin ({sender} lacks EMERGENCY_ADMIN on the ACLManager: addEmergencyAdmin({sender}))",
  "3": "the caller is neither a pool nor an emergency admin ({sender} lacks both on the ACLManager)",
  "4": "the caller is neither a risk nor a pool admin ({sender})",
};

function target(response: Exclude<Response, { kind: "call" }>): string {
  if (response.kind === "pause") return "protocol";
  if (response.kind === "pauseScopes") return `scopes-${response.scopes.toString(16)}`;
  return `invariant-${response.target.toLowerCase()}`;
}

function isAlreadyDone(response: Exclude<Response, { kind: "call" }>, sync: HubSyncView): boolean {
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

/** The calldata that carries out `response`: a hub call, or a `call`'s own. */
export function encodeResponse(response: Response): string {
  if (response.kind === "call") return response.data;
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

/** Fees raised to `floor` where it is higher, within `ceiling` (the priority fee never above the max fee). */
function atLeast([maxFee, priority]: [bigint, bigint], floor: Fees | undefined, ceiling: bigint): [bigint, bigint] {
  if (floor === undefined) return [maxFee, priority];
  const fee = min(ceiling, floor.maxFeePerGas > maxFee ? floor.maxFeePerGas : maxFee);
  const tip = floor.maxPriorityFeePerGas > priority ? floor.maxPriorityFeePerGas : priority;
  return [fee, min(fee, tip)];
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
