/**
 * How a governance or guardian action reaches the chain. An `Executor` names the account the hub will see as the
 * sender (the signer itself, a Safe, a timelock) and sends a call from it; `execute` simulates the call from that
 * account first and sends nothing when the simulation fails. `DirectExecutor` sends from a signer; `SafeExecutor`
 * collects owners' EIP-712 signatures and calls `execTransaction` on a real Safe (1.3+ contracts); `TimelockExecutor`
 * (timelock.ts) schedules on a TimelockController and executes after its delay.
 *
 * A plan of several calls (`GovernanceCall[]`, e.g. `cordon recover` entering Recovery and cancelling what the trip
 * queued) goes out as one governance transaction where the executor can batch: a Safe delegatecalls its
 * MultiSendCallOnly, a timelock schedules and executes one batch operation; a direct signer sends the calls one after
 * another. Every call is simulated first, and the Safe's batch as a whole (its `simulateAndRevert`).
 */
import {
  AbiCoder,
  Contract,
  Interface,
  type Provider,
  type Signer,
  TypedDataEncoder,
  getAddress,
  isAddress,
  isCallException,
  solidityPacked,
} from "ethers";

import { CordonError } from "../errors.js";
import { explainRevert } from "./revert.js";
import { type Simulation, simulate } from "./simulate.js";

export interface GovernanceCall {
  to: string;
  data: string;
  value?: bigint;
  /** What the call does, in words (`enterRecovery(checkpoint 3)`). */
  label: string;
}

/** One call, or several that go out together (in one transaction where the executor can batch them). */
export type GovernancePlan = GovernanceCall | GovernanceCall[];

/** The calls of `plan`, in order. */
export function planCalls(plan: GovernancePlan): GovernanceCall[] {
  const calls = Array.isArray(plan) ? plan : [plan];
  if (calls.length === 0) throw new CordonError("nothing to send: the plan has no calls");
  return calls;
}

/** What `plan` does, in words: its calls' labels, in order. */
export function planLabel(plan: GovernancePlan): string {
  return planCalls(plan)
    .map((call) => call.label)
    .join(", then ");
}

export interface Executor {
  readonly kind: "direct" | "safe" | "timelock";
  /** The address the target sees as `msg.sender`: simulations run from it. */
  sender(): Promise<string>;
  /** Who must sign, in words. */
  describeSigners(): Promise<string>;
  /** Sends `plan` (already simulated) and waits for it to be mined; returns the transaction hash(es). */
  send(plan: GovernancePlan): Promise<string>;
  /**
   * Checks the executor's own transaction around `plan` (a timelock's schedule or execute, a Safe's batch) by
   * simulation; throws a CordonError ending "Nothing was sent" when it would fail. Executors that send each call
   * itself have none.
   */
  check?(plan: GovernancePlan): Promise<void>;
  /** What to tell the user after `plan` was sent (a timelock: when the scheduled call can be executed). */
  afterSend?(plan: GovernancePlan): Promise<string | undefined>;
}

export interface Execution {
  /** The successful simulation (a failed one throws). */
  simulation: Extract<Simulation, { ok: true }>;
  /** Who had to sign, in words. */
  signers: string;
  /** The transaction hash; absent on a dry run. */
  txHash?: string;
  /** The executor's word after sending (`afterSend`), if any. */
  note?: string;
}

/**
 * Simulates each call of `plan` from the executor's sender (and the executor's own transaction, `check`) and, unless
 * `dryRun`, sends it. A failed simulation throws a CordonError with the decoded reason and its fix; nothing is sent.
 * `hub` lets the explanation read pause expiries. The simulation returned is the first call's, with the gas of all.
 */
export async function execute(
  executor: Executor,
  provider: Provider,
  plan: GovernancePlan,
  options: { dryRun?: boolean; hub?: string } = {},
): Promise<Execution> {
  const calls = planCalls(plan);
  const from = await executor.sender();
  let first: Extract<Simulation, { ok: true }> | undefined;
  let gas = 0n;
  for (const call of calls) {
    const simulation = await simulate(provider, { from, to: call.to, data: call.data, value: call.value }, options.hub);
    if (!simulation.ok) {
      throw new CordonError(`${call.label} would fail from ${from}: ${simulation.revert.message}`, {
        details: `${simulation.revert.fix}. Nothing was sent (simulated at block ${simulation.blockNumber}).`,
      });
    }
    first ??= simulation;
    gas += simulation.gas;
  }
  const simulation = { ...first!, gas };
  const signers = await executor.describeSigners();
  await executor.check?.(plan);
  if (options.dryRun === true) return { simulation, signers };
  const txHash = await executor.send(plan);
  const note = await executor.afterSend?.(plan);
  return note === undefined ? { simulation, signers, txHash } : { simulation, signers, txHash, note };
}

/** Sends from one signer (a local account, a keystore key). */
export class DirectExecutor implements Executor {
  readonly kind = "direct";
  constructor(private readonly signer: Signer) {}

  async sender(): Promise<string> {
    return await this.signer.getAddress();
  }

  async describeSigners(): Promise<string> {
    return `the signer ${await this.signer.getAddress()}`;
  }

  /** Sends each call of `plan` in turn, waiting for each: a signer cannot batch, so several calls are several transactions. */
  async send(plan: GovernancePlan): Promise<string> {
    const hashes: string[] = [];
    for (const call of planCalls(plan)) {
      const tx = await this.signer.sendTransaction({ to: call.to, data: call.data, value: call.value ?? 0n });
      const receipt = await tx.wait();
      if (receipt === null || receipt.status !== 1) {
        const done = hashes.length === 0 ? "" : ` after ${hashes.join(", ")} went through`;
        throw new CordonError(`${call.label} failed on chain (${tx.hash})${done}`);
      }
      hashes.push(tx.hash);
    }
    return hashes.join(", ");
  }

  async afterSend(plan: GovernancePlan): Promise<string | undefined> {
    const count = planCalls(plan).length;
    return count === 1 ? undefined : `a direct signer cannot batch: ${count} transactions were sent one after another`;
  }
}

const SAFE_ABI = [
  "function simulateAndRevert(address targetContract, bytes calldataPayload)",
  "function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool)",
  "function nonce() view returns (uint256)",
  "function getThreshold() view returns (uint256)",
  "function getOwners() view returns (address[])",
];

/** The EIP-712 type of a Safe transaction (Safe 1.3 and later: the domain is the chain id and the Safe). */
const SAFE_TX_TYPES = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

const multiSendInterface = new Interface(["function multiSend(bytes transactions) payable"]);

/** MultiSendCallOnly's `multiSend` calldata for `calls`: each packed as operation 0 (call), to, value, length, data. */
export function multiSendData(calls: GovernanceCall[]): string {
  const packed = calls.map((call) =>
    solidityPacked(
      ["uint8", "address", "uint256", "uint256", "bytes"],
      [0, call.to, call.value ?? 0n, (call.data.length - 2) / 2, call.data],
    ),
  );
  const transactions = `0x${packed.map((p) => p.slice(2)).join("")}`;
  return multiSendInterface.encodeFunctionData("multiSend", [transactions]);
}

/**
 * Executes through a Safe: the first `threshold` of `owners` that are owners of the Safe sign the transaction
 * (EIP-712), and `submitter` (default: the first owner) sends `execTransaction` with the signatures sorted by owner
 * address. The call runs with safeTxGas 0, so a failing inner call reverts the whole transaction. Several calls go
 * out as one Safe transaction that delegatecalls `multiSend` (a Safe MultiSendCallOnly: it can only call, never
 * delegatecall further); without one, a plan of several calls is refused before anything is signed.
 */
export class SafeExecutor implements Executor {
  readonly kind = "safe";
  private readonly safe: Contract;

  constructor(
    readonly safeAddress: string,
    private readonly owners: Signer[],
    private readonly submitter: Signer = owners[0]!,
    readonly multiSend?: string,
  ) {
    if (!isAddress(safeAddress)) throw new CordonError(`Safe address "${safeAddress}" is not an address`);
    if (owners.length === 0) throw new CordonError("a Safe execution needs at least one owner's signer");
    if (multiSend !== undefined && !isAddress(multiSend)) {
      throw new CordonError(`MultiSendCallOnly address "${multiSend}" is not an address`);
    }
    this.safe = new Contract(safeAddress, SAFE_ABI, submitter);
  }

  /**
   * A plan of several calls: refused without a MultiSendCallOnly with code, and simulated as the one batch the Safe
   * will run (`simulateAndRevert` delegatecalls `multiSend` in the Safe's own context, so the hub sees the Safe as the
   * sender and each call runs after the one before). A single call needs no check beyond its own simulation.
   */
  async check(plan: GovernancePlan): Promise<void> {
    const calls = planCalls(plan);
    if (calls.length === 1) return;
    const multiSend = await this.requireMultiSend(calls);
    const provider = this.submitter.provider!;
    const safe = getAddress(this.safeAddress);
    const payload = this.safe.interface.encodeFunctionData("simulateAndRevert", [multiSend, multiSendData(calls)]);
    let data: string;
    try {
      await provider.call({ to: safe, data: payload });
      throw new CordonError(`the Safe ${safe} did not answer simulateAndRevert: it is not a Safe 1.3+`, {
        details: "check governance.address in the deployment record. Nothing was sent.",
      });
    } catch (error) {
      if (error instanceof CordonError || !isCallException(error)) throw error;
      data = error.data ?? "0x";
    }
    if (data.length < 2 + 128) {
      throw new CordonError(`the Safe ${safe} could not simulate the batch (${planLabel(calls)})`, {
        details:
          "check that governance.address is a Safe 1.3+ and governance.multiSend its MultiSendCallOnly. Nothing was sent.",
      });
    }
    const [success] = AbiCoder.defaultAbiCoder().decode(["bool"], `0x${data.slice(2, 66)}`) as unknown as [boolean];
    if (success) return;
    const revert = explainRevert(`0x${data.slice(130)}`);
    throw new CordonError(`the batch (${planLabel(calls)}) would fail from the Safe ${safe}: ${revert.message}`, {
      details: `${revert.fix}. Nothing was sent.`,
    });
  }

  /** The MultiSendCallOnly to batch `calls` through: it must be set and have code. */
  private async requireMultiSend(calls: GovernanceCall[]): Promise<string> {
    const fix =
      'record the Safe\'s MultiSendCallOnly as governance.multiSend in the deployment record (e.g. "multiSend": ' +
      "\"0x9641d764fc13c8B624c04430C7356C1C7C8102e2\", Safe 1.4.1's), or export the batch for the Safe's interface " +
      "(--export), or send one call per run (cordon recover --keep-tripped, then cordon queue cancel). Nothing was sent.";
    if (this.multiSend === undefined) {
      throw new CordonError(
        `${calls.length} calls in one Safe transaction need a MultiSendCallOnly, and none is recorded`,
        {
          details: fix,
        },
      );
    }
    const code = await this.submitter.provider!.getCode(this.multiSend);
    if (code === "0x") {
      throw new CordonError(`the MultiSendCallOnly ${this.multiSend} has no code on this network`, { details: fix });
    }
    return getAddress(this.multiSend);
  }

  async sender(): Promise<string> {
    return getAddress(this.safeAddress);
  }

  async describeSigners(): Promise<string> {
    const { threshold, owners, signing } = await this.signing();
    return (
      `Safe ${getAddress(this.safeAddress)}: ${threshold} of ${owners.length} owners ` +
      `(${owners.join(", ")}); signing: ${signing.map((s) => s.address).join(", ")}`
    );
  }

  /** The Safe's threshold and owners, and the given signers that will sign (refused when too few are owners). */
  private async signing(): Promise<{
    threshold: number;
    owners: string[];
    signing: { address: string; signer: Signer }[];
  }> {
    const threshold = Number(await this.safe.getFunction("getThreshold")());
    const owners = ((await this.safe.getFunction("getOwners")()) as string[]).map((o) => getAddress(o));
    const signing: { address: string; signer: Signer }[] = [];
    for (const signer of this.owners) {
      const address = getAddress(await signer.getAddress());
      if (owners.includes(address) && !signing.some((s) => s.address === address)) signing.push({ address, signer });
    }
    if (signing.length < threshold) {
      throw new CordonError(
        `the Safe ${getAddress(this.safeAddress)} needs ${threshold} owner signatures, but only ${signing.length} of the given signers are owners`,
        {
          details: `owners: ${owners.join(", ")}. Provide the keys of ${threshold} owners, or export a Transaction Builder batch.`,
        },
      );
    }
    return { threshold, owners, signing: signing.slice(0, threshold) };
  }

  async send(plan: GovernancePlan): Promise<string> {
    const provider = this.submitter.provider;
    if (provider === null) throw new CordonError("the Safe's submitter has no provider");
    const calls = planCalls(plan);
    const call =
      calls.length === 1
        ? calls[0]!
        : { to: await this.requireMultiSend(calls), data: multiSendData(calls), label: planLabel(calls) };
    const operation = calls.length === 1 ? 0 : 1;
    const { signing } = await this.signing();
    const { chainId } = await provider.getNetwork();
    const tx = safeTransaction(call, (await this.safe.getFunction("nonce")()) as bigint, operation);
    const domain = { chainId, verifyingContract: this.safeAddress };
    const signatures: { address: string; signature: string }[] = [];
    for (const { address, signer } of signing) {
      signatures.push({ address, signature: await signer.signTypedData(domain, SAFE_TX_TYPES, tx) });
    }
    signatures.sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
    const packed = `0x${signatures.map((s) => s.signature.slice(2)).join("")}`;
    const sent = await this.safe.getFunction("execTransaction")(
      tx.to,
      tx.value,
      tx.data,
      tx.operation,
      tx.safeTxGas,
      tx.baseGas,
      tx.gasPrice,
      tx.gasToken,
      tx.refundReceiver,
      packed,
    );
    const receipt = await sent.wait();
    if (receipt === null || receipt.status !== 1) {
      throw new CordonError(`${call.label} through the Safe failed on chain (${sent.hash})`);
    }
    return sent.hash as string;
  }

  /** The hash owners sign for `call` at the Safe's nonce `nonce` (what the Safe's `getTransactionHash` returns). */
  static transactionHash(chainId: bigint, safe: string, call: GovernanceCall, nonce: bigint): string {
    return TypedDataEncoder.hash({ chainId, verifyingContract: safe }, SAFE_TX_TYPES, safeTransaction(call, nonce));
  }
}

/**
 * What owners sign: a plain call from the Safe with no refund, or (operation 1) the delegatecall of a
 * MultiSendCallOnly's `multiSend`, which carries no value itself.
 */
function safeTransaction(call: GovernanceCall, nonce: bigint, operation: 0 | 1 = 0) {
  return {
    to: call.to,
    value: operation === 1 ? 0n : (call.value ?? 0n),
    data: call.data,
    operation,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: ZERO_ADDRESS,
    refundReceiver: ZERO_ADDRESS,
    nonce,
  };
}
