/**
 * Fetches what an execution reads (accounts, storage slots, code) from any endpoint and keeps only what verifies
 * against the trusted state root. Endpoints are asked one after another; an answer that does not verify is recorded as a
 * lie, the next endpoint is asked, and the liar is not asked again. With no endpoint left, the read is not
 * proven ({@link NotProvenError}) and neither is anything that depends on it.
 */
import { hexToBytes } from "@ethereumjs/util";
import { toBeHex } from "ethers/utils";

import type { Endpoint } from "../rpc/endpoint.js";
import { hexNumber } from "../rpc/pool.js";
import { NotProvenError } from "./errors.js";
import type { TrustedBlock } from "./header.js";
import type { EndpointLedger } from "./ledger.js";
import {
  EMPTY_CODE_HASH,
  EMPTY_TRIE_ROOT,
  InvalidProof,
  type ProvenAccount,
  codeMatches,
  verifyAccountProof,
  verifyStorageProofs,
} from "./merkle.js";

interface ProofAnswer {
  balance?: string;
  nonce?: string;
  codeHash?: string;
  storageHash?: string;
  accountProof: string[];
  storageProof: { key: string; value: string; proof: string[] }[];
}

/** Everything proven so far at one block: accounts, their slots, and code by hash. */
export class ProvenCache {
  readonly accounts = new Map<string, ProvenAccount>();
  readonly slots = new Map<string, Map<bigint, bigint>>();
  readonly code = new Map<string, Uint8Array>();

  slot(address: string, slot: bigint): bigint | undefined {
    const account = this.accounts.get(address);
    // An absent account, or one with no storage, holds zero in every slot: nothing more to prove.
    if (account !== undefined && (!account.exists || account.storageRoot === EMPTY_TRIE_ROOT)) return 0n;
    return this.slots.get(address)?.get(slot);
  }

  codeOf(address: string): Uint8Array | undefined {
    const account = this.accounts.get(address);
    if (account === undefined) return undefined;
    if (account.codeHash === EMPTY_CODE_HASH) return new Uint8Array(0);
    return this.code.get(account.codeHash);
  }
}

/** What a round of execution still needs: per address, whether its code is needed and which slots. */
export interface Needs {
  accounts: Map<string, { code: boolean; slots: Set<bigint> }>;
}

/** One endpoint's answer for an account: what it proved, or why not (a lie, or a failure). */
type Served =
  { ok: true; account: ProvenAccount; values: bigint[]; code: Uint8Array | undefined } | { ok: false; reason: string };

export interface FetcherOptions {
  /**
   * Ask every endpoint for every proof (in parallel) and record each one's verdict, instead of asking one after
   * another until a proof verifies. Costs more requests; names every endpoint that lies. Default false.
   */
  audit?: boolean;
}

export class ProofFetcher {
  /** JSON-RPC requests sent, all endpoints together. */
  rpcCalls = 0;

  constructor(
    readonly endpoints: readonly Endpoint[],
    readonly block: TrustedBlock,
    readonly ledger: EndpointLedger,
    readonly cache: ProvenCache = new ProvenCache(),
    readonly options: FetcherOptions = {},
    /** Whether an endpoint is out of rotation for another reason than this ledger's (its pool caught it lying). */
    readonly isOut: (name: string) => boolean = () => false,
  ) {}

  /**
   * The endpoints to ask, in their configured order: every one not caught lying. An endpoint proven to lie is out of
   * rotation for the rest of the run: it is never asked for a proof or code again.
   */
  private order(): Endpoint[] {
    return this.endpoints.filter((e) => !this.ledger.hasLied(e.name) && !this.isOut(e.name));
  }

  private async ask<T>(endpoint: Endpoint, method: string, params: unknown[]): Promise<T> {
    this.rpcCalls += 1;
    return await endpoint.request<T>(method, params);
  }

  /** Proves everything in `needs` (one eth_getProof per address, with its code alongside), in parallel. */
  async load(needs: Needs): Promise<void> {
    await Promise.all(
      [...needs.accounts].map(([address, need]) => this.loadAccount(address, [...need.slots], need.code)),
    );
  }

  /**
   * Proves the account at `address` and `slots` of its storage from the first endpoint whose proof verifies (every
   * endpoint, in audit mode); with `withCode`, also its code, fetched alongside in the same round trip.
   */
  async loadAccount(address: string, slots: bigint[], withCode: boolean): Promise<void> {
    address = address.toLowerCase();
    const missing = [...new Set(slots)].filter((s) => this.cache.slot(address, s) === undefined);
    const known = this.cache.accounts.get(address);
    const needCode = withCode && (known === undefined || this.cache.codeOf(address) === undefined);
    if (known !== undefined && missing.length === 0 && !needCode) return;

    let served: Served[];
    if (this.options.audit === true) {
      served = await Promise.all(this.order().map((e) => this.fromEndpoint(e, address, missing, needCode)));
    } else {
      served = [];
      for (const endpoint of this.order()) {
        const answer = await this.fromEndpoint(endpoint, address, missing, needCode);
        served.push(answer);
        if (answer.ok && (answer.code !== undefined || !needCode)) break;
      }
    }
    const proven = served.find((s) => s.ok);
    if (proven === undefined) {
      throw new NotProvenError(
        `no endpoint served a valid proof of ${address} at block ${this.block.number}`,
        served.map((s) => (s.ok ? "" : s.reason)).join("; ") || "no endpoint to ask",
      );
    }
    this.cache.accounts.set(address, proven.account);
    const stored = this.cache.slots.get(address) ?? new Map<bigint, bigint>();
    for (const [i, slot] of missing.entries()) stored.set(slot, proven.values[i]!);
    this.cache.slots.set(address, stored);
    for (const s of served) {
      // Only code that hashes to the proven code hash is ever stored (checkCode checked it; this is the guard).
      if (s.ok && s.code !== undefined && codeMatches(proven.account.codeHash, s.code)) {
        this.cache.code.set(proven.account.codeHash, s.code);
        break;
      }
    }
    if (needCode && this.cache.codeOf(address) === undefined) {
      throw new NotProvenError(
        `no endpoint served code of ${address} that hashes to its proven code hash`,
        `block ${this.block.number}, code hash ${proven.account.codeHash}`,
      );
    }
  }

  /** Asks one endpoint for the proof (and the code) of an account, checks it, and records the verdict. */
  private async fromEndpoint(endpoint: Endpoint, address: string, slots: bigint[], withCode: boolean): Promise<Served> {
    const tag = hexNumber(this.block.number);
    const keys = slots.map((s) => toBeHex(s, 32));
    const code = withCode
      ? this.ask<string>(endpoint, "eth_getCode", [address, tag]).then(
          (c) => c,
          (error: unknown) => error as Error,
        )
      : undefined;
    let answer: ProofAnswer;
    try {
      answer = await this.ask<ProofAnswer>(endpoint, "eth_getProof", [address, keys, tag]);
    } catch (error) {
      this.ledger.failed(endpoint.name, error);
      await code;
      return { ok: false, reason: `${endpoint.name}: ${(error as Error).message.split("\n")[0]}` };
    }
    const checked = await this.check(address, slots, answer);
    if (typeof checked === "string") {
      this.ledger.lied(endpoint.name, `eth_getProof ${address}: ${checked}`);
      await code;
      return { ok: false, reason: `${endpoint.name}: ${checked}` };
    }
    this.ledger.verified(endpoint.name);
    const { account, values } = checked;
    if (account.codeHash === EMPTY_CODE_HASH) {
      await code;
      return { ok: true, account, values, code: new Uint8Array(0) };
    }
    if (code === undefined) return { ok: true, account, values, code: undefined };
    return { ok: true, account, values, code: this.checkCode(endpoint, address, account, await code) };
  }

  /** Checks one eth_getProof answer: what it proves, or what is wrong with it. */
  private async check(
    address: string,
    slots: bigint[],
    answer: ProofAnswer,
  ): Promise<{ account: ProvenAccount; values: bigint[] } | string> {
    let account: ProvenAccount;
    let values: bigint[];
    try {
      if (!Array.isArray(answer?.accountProof) || !Array.isArray(answer.storageProof)) {
        return "the answer is not a proof";
      }
      account = await verifyAccountProof(this.block.stateRoot, address, answer.accountProof);
      for (const [i, slot] of slots.entries()) {
        const entry = answer.storageProof[i];
        if (entry === undefined || BigInt(entry.key) !== slot || !Array.isArray(entry.proof)) {
          return `the proof of slot ${toBeHex(slot)} is missing`;
        }
      }
      const entries = slots.map((slot, i) => ({ slot, proof: answer.storageProof[i]!.proof }));
      values = await verifyStorageProofs(account.storageRoot, entries);
    } catch (error) {
      if (error instanceof InvalidProof) return `invalid proof: ${error.message}`;
      return `invalid proof: ${(error as Error).message.split("\n")[0]}`;
    }
    // The proof verified; the fields sent beside it must say the same.
    const claims: [string, string | undefined, bigint | string][] = [
      ["balance", answer.balance, account.balance],
      ["nonce", answer.nonce, account.nonce],
      ["storageHash", answer.storageHash, account.storageRoot],
      ["codeHash", answer.codeHash, account.codeHash],
    ];
    for (const [field, claimed, real] of claims) {
      if (claimed === undefined || !account.exists) continue;
      const same = typeof real === "bigint" ? BigInt(claimed) === real : claimed.toLowerCase() === real;
      if (!same)
        return `claims ${field} ${claimed}, its proof shows ${typeof real === "bigint" ? toBeHex(real) : real}`;
    }
    for (const [i, slot] of slots.entries()) {
      const claimed = answer.storageProof[i]!.value;
      if (BigInt(claimed) !== values[i]) {
        return `claims slot ${toBeHex(slot)} = ${claimed}, its proof shows ${toBeHex(values[i]!)}`;
      }
    }
    return { account, values };
  }

  /** The code an endpoint served, if it hashes to the proven code hash (a lie is recorded if not). */
  private checkCode(
    endpoint: Endpoint,
    address: string,
    account: ProvenAccount,
    served: string | Error,
  ): Uint8Array | undefined {
    if (served instanceof Error) {
      this.ledger.failed(endpoint.name, served);
      return undefined;
    }
    let code: Uint8Array;
    try {
      code = hexToBytes(served as `0x${string}`);
    } catch {
      this.ledger.lied(endpoint.name, `eth_getCode ${address}: not hex`);
      return undefined;
    }
    if (!codeMatches(account.codeHash, code)) {
      this.ledger.lied(
        endpoint.name,
        `eth_getCode ${address}: the code does not hash to the proven code hash ${account.codeHash}`,
      );
      return undefined;
    }
    this.ledger.verified(endpoint.name);
    return code;
  }
}
