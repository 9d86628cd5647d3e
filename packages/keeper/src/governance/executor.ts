/**
 * How a governance or guardian action reaches the chain. An `Executor` names the account the hub will see as the
 * sender (the signer itself, a Safe, a timelock) and sends a call from it; `execute` simulates the call from that
 * account first and sends nothing when the simulation fails. `DirectExecutor` sends from a signer; `SafeExecutor`
 * collects owners' EIP-712 signatures and calls `execTransaction` on a real Safe (1.3+ contracts); `TimelockExecutor`
 * (timelock.ts) schedules on a TimelockController and executes after its delay.
 */
import { Contract, type Provider, type Signer, TypedDataEncoder, getAddress, isAddress } from "ethers";

import { CordonError } from "../errors.js";
import { type Simulation, simulate } from "./simulate.js";

export interface GovernanceCall {
  to: string;
  data: string;
  value?: bigint;
  /** What the call does, in words (`enterRecovery(checkpoint 3)`). */
  label: string;
}

export interface Executor {
  readonly kind: "direct" | "safe" | "timelock";
  /** The address the target sees as `msg.sender`: simulations run from it. */
  sender(): Promise<string>;
  /** Who must sign, in words. */
  describeSigners(): Promise<string>;
  /** Sends `call` (already simulated) and waits for it to be mined; returns the transaction hash. */
  send(call: GovernanceCall): Promise<string>;
  /**
   * Checks the executor's own transaction around `call` (a timelock's schedule or execute) by simulation; throws a
   * CordonError ending "Nothing was sent" when it would fail. Executors that send `call` itself have none.
   */
  check?(call: GovernanceCall): Promise<void>;
  /** What to tell the user after `call` was sent (a timelock: when the scheduled call can be executed). */
  afterSend?(call: GovernanceCall): Promise<string>;
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
 * Simulates `call` from the executor's sender (and the executor's own transaction, `check`) and, unless `dryRun`,
 * sends it. A failed simulation throws a CordonError with the decoded reason and its fix; nothing is sent. `hub`
 * lets the explanation read pause expiries.
 */
export async function execute(
  executor: Executor,
  provider: Provider,
  call: GovernanceCall,
  options: { dryRun?: boolean; hub?: string } = {},
): Promise<Execution> {
  const from = await executor.sender();
  const simulation = await simulate(provider, { from, to: call.to, data: call.data, value: call.value }, options.hub);
  const signers = await executor.describeSigners();
  if (!simulation.ok) {
    throw new CordonError(`${call.label} would fail from ${from}: ${simulation.revert.message}`, {
      details: `${simulation.revert.fix}. Nothing was sent (simulated at block ${simulation.blockNumber}).`,
    });
  }
  await executor.check?.(call);
  if (options.dryRun === true) return { simulation, signers };
  const txHash = await executor.send(call);
  const note = await executor.afterSend?.(call);
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

  async send(call: GovernanceCall): Promise<string> {
    const tx = await this.signer.sendTransaction({ to: call.to, data: call.data, value: call.value ?? 0n });
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1) throw new CordonError(`${call.label} failed on chain (${tx.hash})`);
    return tx.hash;
  }
}

const SAFE_ABI = [
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

/**
 * Executes through a Safe: the first `threshold` of `owners` that are owners of the Safe sign the transaction
 * (EIP-712), and `submitter` (default: the first owner) sends `execTransaction` with the signatures sorted by owner
 * address. The call runs with safeTxGas 0, so a failing inner call reverts the whole transaction.
 */
export class SafeExecutor implements Executor {
  readonly kind = "safe";
  private readonly safe: Contract;

  constructor(
    readonly safeAddress: string,
    private readonly owners: Signer[],
    private readonly submitter: Signer = owners[0]!,
  ) {
    if (!isAddress(safeAddress)) throw new CordonError(`Safe address "${safeAddress}" is not an address`);
    if (owners.length === 0) throw new CordonError("a Safe execution needs at least one owner's signer");
    this.safe = new Contract(safeAddress, SAFE_ABI, submitter);
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

  async send(call: GovernanceCall): Promise<string> {
    const provider = this.submitter.provider;
    if (provider === null) throw new CordonError("the Safe's submitter has no provider");
    const { signing } = await this.signing();
    const { chainId } = await provider.getNetwork();
    const tx = safeTransaction(call, (await this.safe.getFunction("nonce")()) as bigint);
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

/** A plain call from the Safe (no delegatecall, no refund): what owners sign. */
function safeTransaction(call: GovernanceCall, nonce: bigint) {
  return {
    to: call.to,
    value: call.value ?? 0n,
    data: call.data,
    operation: 0,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: ZERO_ADDRESS,
    refundReceiver: ZERO_ADDRESS,
    nonce,
  };
}
