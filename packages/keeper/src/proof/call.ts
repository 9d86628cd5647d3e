/**
 * A proven `eth_call`, the way a light client such as Helios serves one: the call runs in a local EVM
 * (@ethereumjs/evm) whose every account, code and storage read verified against the trusted header's state root.
 * The header is trusted (a quorum agreed on it, or the user pinned it); the result is proven.
 *
 * Which state a call reads is discovered by running it: each run that reads something not proven yet is discarded,
 * what it missed is proven (one eth_getProof per account, in parallel), and the call runs again, until a run reads
 * only proven state (see src/proof/state.ts). An `eth_createAccessList` answer, where an endpoint serves one, is used
 * as an untrusted hint to prove most of it in the first round.
 */
import { createBlock } from "@ethereumjs/block";
import { createEVM } from "@ethereumjs/evm";
import { createAddressFromString, bytesToHex, hexToBytes } from "@ethereumjs/util";

import type { RpcPool } from "../rpc/pool.js";
import { hexNumber } from "../rpc/pool.js";
import { NotProvenError } from "./errors.js";
import { type FetcherOptions, ProofFetcher, ProvenCache, type Needs } from "./fetcher.js";
import { LinkedHeaders, type TrustedBlock, type TrustedBlockOptions, trustedBlock } from "./header.js";
import { type EndpointLedger, type EndpointRecord, EndpointLedger as Ledger } from "./ledger.js";
import { ProvenState } from "./state.js";

export interface CallRequest {
  to: string;
  data: string;
  /** The caller (default: the zero address). */
  from?: string;
  /** Gas for the call (default: the block's gas limit). */
  gas?: bigint;
}

/** The block a proven result is proven at, and why its header is trusted. */
export interface ProvenBlock {
  number: bigint;
  hash: string;
  stateRoot: string;
  trust: TrustedBlock["trust"];
  agreed: string[];
}

export interface ProvenCallResult {
  status: "proven";
  /** The call's return data (its revert data when `reverted`). */
  returnData: string;
  reverted: boolean;
  block: ProvenBlock;
  /** What the final run read: every one of these was proven against `block.stateRoot`. */
  reads: { accounts: string[]; slots: number };
  /** Runs of the EVM until the set of reads closed. */
  rounds: number;
  /** JSON-RPC requests sent to prove this call (not counting the header's). */
  rpcCalls: number;
  endpoints: Record<string, EndpointRecord>;
}

export interface NotProvenResult {
  status: "not-proven";
  reason: string;
  endpoints: Record<string, EndpointRecord>;
}

export interface ProverOptions extends FetcherOptions {
  /** Give up when the reads have not closed after this many runs. Default 64. */
  maxRounds?: number;
  /** Ask endpoints for `eth_createAccessList` as a hint of what the call reads. Default true. */
  accessListHint?: boolean;
}

/**
 * Proves calls at one trusted block. Proofs are cached across calls, so a second call that reads the same state
 * costs no request. One prover records every endpoint's answers in one ledger.
 */
export class BlockProver {
  readonly cache = new ProvenCache();
  readonly fetcher: ProofFetcher;
  /** The trusted header's ancestors, for BLOCKHASH: each linked to it by parent hash. */
  readonly ancestors: LinkedHeaders;
  private accessListWorks = true;

  constructor(
    readonly pool: RpcPool,
    readonly block: TrustedBlock,
    readonly ledger: EndpointLedger = new Ledger(pool.endpoints.map((e) => e.name)),
    readonly options: ProverOptions = {},
  ) {
    this.fetcher = new ProofFetcher(pool.endpoints, block, this.ledger, this.cache, options, (name) =>
      pool.isLiar(name),
    );
    // A liar is out of the pool's rotation for the rest of the run, whoever caught it (this prover, or the header).
    for (const [name, lies] of this.ledger.liars()) pool.markLiar(name, lies[0]!);
    this.ledger.onLie((name, lie) => pool.markLiar(name, lie));
    this.ancestors = new LinkedHeaders(block, () => this.inRotation(), this.ledger);
  }

  /** The endpoints not caught lying, in their configured order. */
  private inRotation() {
    return this.pool.endpoints.filter((e) => !this.ledger.hasLied(e.name) && !this.pool.isLiar(e.name));
  }

  private get rpcCalls(): number {
    return this.fetcher.rpcCalls + this.ancestors.rpcCalls;
  }

  /** Creates a prover at a trusted block: the newest one a quorum agrees on, a given number, or a pinned hash. */
  static async at(pool: RpcPool, options: TrustedBlockOptions & ProverOptions = {}): Promise<BlockProver> {
    const ledger = new Ledger(pool.endpoints.map((e) => e.name));
    return new BlockProver(pool, await trustedBlock(pool, ledger, options), ledger, options);
  }

  get provenBlock(): ProvenBlock {
    const { number, hash, stateRoot, trust, agreed } = this.block;
    return { number, hash, stateRoot, trust, agreed };
  }

  /** Proves `request`; throws {@link NotProvenError} when no endpoint serves what it needs. */
  async call(request: CallRequest): Promise<ProvenCallResult> {
    const before = this.rpcCalls;
    const to = request.to.toLowerCase();
    const from = (request.from ?? "0x0000000000000000000000000000000000000000").toLowerCase();
    const first: Needs = { accounts: new Map([[to, { code: true, slots: new Set() }]]) };
    if (!first.accounts.has(from)) first.accounts.set(from, { code: false, slots: new Set() });
    if (this.options.accessListHint !== false) await this.hint(request, first);
    await this.fetcher.load(first);

    const maxRounds = this.options.maxRounds ?? 64;
    for (let round = 1; round <= maxRounds; round++) {
      const state = new ProvenState(this.cache);
      const result = await this.run(state, request, from, to);
      if (state.closed) {
        return {
          status: "proven",
          returnData: bytesToHex(result.returnValue),
          reverted: result.exceptionError !== undefined,
          block: this.provenBlock,
          reads: { accounts: [...state.read.accounts].sort(), slots: state.read.slots.size },
          rounds: round,
          rpcCalls: this.rpcCalls - before,
          endpoints: this.ledger.report(),
        };
      }
      await this.fetcher.load(state.misses);
    }
    throw new NotProvenError(
      `the state ${request.to} reads did not close after ${maxRounds} runs`,
      "raise maxRounds for a call that reads state through long chains of dependent reads",
    );
  }

  private async run(state: ProvenState, request: CallRequest, from: string, to: string) {
    const { common, header } = this.block;
    // BLOCKHASH reads the trusted header's ancestors, each linked to it by parent hash (never the EVM's zero default).
    const blockchain = {
      getBlock: async (number: number) => {
        const header = await this.ancestors.header(BigInt(number));
        return { hash: () => header.hash() };
      },
      putBlock: async () => {},
      shallowCopy() {
        return this;
      },
    };
    const evm = await createEVM({ common, stateManager: state, blockchain });
    const block = createBlock({ header }, { common, skipConsensusFormatValidation: true });
    const caller = createAddressFromString(from);
    return (
      await evm.runCall({
        block,
        caller,
        origin: caller,
        to: createAddressFromString(to),
        data: hexToBytes(request.data as `0x${string}`),
        gasLimit: request.gas ?? header.gasLimit,
        gasPrice: 0n,
        value: 0n,
        skipBalance: true,
      })
    ).execResult;
  }

  /** Adds what an endpoint's eth_createAccessList says the call reads; a hint only, so any failure is ignored. */
  private async hint(request: CallRequest, needs: Needs): Promise<void> {
    if (!this.accessListWorks) return;
    const endpoint = this.inRotation()[0];
    if (endpoint === undefined) return;
    try {
      this.fetcher.rpcCalls += 1;
      const answer = await endpoint.request<{ accessList?: { address: string; storageKeys: string[] }[] }>(
        "eth_createAccessList",
        [{ to: request.to, data: request.data, from: request.from }, hexNumber(this.block.number)],
      );
      for (const entry of answer.accessList ?? []) {
        const address = entry.address.toLowerCase();
        const need = needs.accounts.get(address) ?? { code: true, slots: new Set<bigint>() };
        need.code = true;
        for (const key of entry.storageKeys) need.slots.add(BigInt(key));
        needs.accounts.set(address, need);
      }
    } catch {
      // Not served (Hardhat does not), or garbage: discovery by execution finds the same reads.
      this.accessListWorks = false;
    }
  }
}

/**
 * Proves one `eth_call` at a trusted block (a {@link BlockProver} to reuse, or the options to find one). Never
 * returns an unproven value: when the header cannot be trusted or no endpoint serves valid proofs, the result is
 * `not-proven` with the reason.
 */
export async function provenCall(
  pool: RpcPool,
  request: CallRequest,
  options: { prover?: BlockProver } & TrustedBlockOptions & ProverOptions = {},
): Promise<ProvenCallResult | NotProvenResult> {
  let prover = options.prover;
  const ledger = prover?.ledger ?? new Ledger(pool.endpoints.map((e) => e.name));
  try {
    prover ??= new BlockProver(pool, await trustedBlock(pool, ledger, options), ledger, options);
    return await prover.call(request);
  } catch (error) {
    if (!(error instanceof NotProvenError)) throw error;
    return { status: "not-proven", reason: error.shortMessage, endpoints: ledger.report() };
  }
}
