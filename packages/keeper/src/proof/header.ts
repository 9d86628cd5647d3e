/**
 * The one thing a proof rests on: a block header. It is trusted when a quorum of endpoints serves the same block
 * (by hash), or when the user pins its hash. Either way the header's fields are hashed here (@ethereumjs/block, the
 * fields of every fork up to Prague), so the state root is bound to the agreed hash: an endpoint that keeps the hash
 * and changes the state root, or any other field, is caught. Any other header a call uses (an ancestor, for BLOCKHASH)
 * is trusted only as linked to that one by parent hashes ({@link LinkedHeaders}). Linking runs backwards only: a
 * header that names a trusted block as its parent proves nothing (anyone can make one up), so a newer block is
 * trusted by a quorum or a pin, never by linking forwards.
 */
import { type BlockHeader, createBlockHeaderFromRPC } from "@ethereumjs/block";
import { type Common, Hardfork, Mainnet, createCustomCommon } from "@ethereumjs/common";
import { bytesToHex } from "@ethereumjs/util";

import type { Endpoint } from "../rpc/endpoint.js";
import { type RpcPool, hexNumber } from "../rpc/pool.js";
import { NotProvenError } from "./errors.js";
import type { EndpointLedger } from "./ledger.js";

/** A block header Cordon trusts, and why. Everything proven is proven against its `stateRoot`. */
export interface TrustedBlock {
  number: bigint;
  hash: string;
  stateRoot: string;
  timestamp: bigint;
  chainId: bigint;
  /** `quorum`: `agreed` endpoints served this block; `pinned`: the user gave its hash. */
  trust: "quorum" | "pinned";
  agreed: string[];
  /** The header, rebuilt and hashed locally; the EVM runs in its block context. */
  header: BlockHeader;
  common: Common;
}

export interface TrustedBlockOptions {
  /** A block number (default: the newest block a quorum agrees on). */
  block?: number | bigint;
  /** A block hash the user trusts; the block is fetched by hash from any endpoint and checked against it. */
  blockHash?: string;
  /** The chain id (default: the one a quorum of endpoints reports). */
  chainId?: bigint;
  /** The fork whose rules the EVM runs (default: read from the header's fields, Prague at most). */
  hardfork?: string;
}

type RpcBlock = Record<string, unknown> & { hash: string; number: string; stateRoot: string; timestamp: string };

/** The newest fork whose header fields the block carries. */
export function hardforkOf(block: Record<string, unknown>): string {
  if (block.requestsHash !== undefined) return Hardfork.Prague;
  if (block.parentBeaconBlockRoot !== undefined) return Hardfork.Cancun;
  if (block.withdrawalsRoot !== undefined) return Hardfork.Shanghai;
  if (block.baseFeePerGas !== undefined) return Hardfork.London;
  return Hardfork.Berlin;
}

/**
 * Rebuilds the header from an endpoint's JSON and hashes it. Returns the header when its hash is the one the endpoint
 * claims (and, if given, `expected`), else the reason it is not.
 */
export function checkHeader(
  json: RpcBlock,
  chainId: bigint,
  hardfork: string | undefined,
  expected?: string,
): { header: BlockHeader; common: Common } | { mismatch: string } {
  let header: BlockHeader;
  let common: Common;
  try {
    common = createCustomCommon({ chainId: Number(chainId) }, Mainnet, { hardfork: hardfork ?? hardforkOf(json) });
    header = createBlockHeaderFromRPC(json as never, { common });
  } catch (error) {
    return { mismatch: `its header fields do not form a header (${(error as Error).message.split("\n")[0]})` };
  }
  const computed = bytesToHex(header.hash());
  if (computed !== json.hash.toLowerCase()) {
    return { mismatch: `its header fields hash to ${computed}, not to the hash it claims (${json.hash})` };
  }
  if (expected !== undefined && computed !== expected.toLowerCase()) {
    return { mismatch: `served block ${computed}, not the block ${expected} asked for` };
  }
  return { header, common };
}

/** Resolves the trusted header as described in the module comment, recording each endpoint's answer. */
export async function trustedBlock(
  pool: RpcPool,
  ledger: EndpointLedger,
  options: TrustedBlockOptions = {},
): Promise<TrustedBlock> {
  const chainId = options.chainId ?? BigInt((await pool.quorumRead<string>("eth_chainId")).result);
  if (options.blockHash !== undefined) return await pinned(pool.endpoints, ledger, chainId, options);

  let number = options.block === undefined ? undefined : BigInt(options.block);
  if (number === undefined) {
    await pool.refresh();
    const head = pool.agreedHead;
    if (head === undefined) {
      throw new NotProvenError(`no ${pool.quorum} endpoints agree on a block`, describeHealth(pool));
    }
    number = BigInt(head.number);
  }
  const groups = new Map<string, { header: BlockHeader; common: Common; json: RpcBlock; names: string[] }>();
  await Promise.all(
    pool.endpoints.map(async (endpoint) => {
      let json: RpcBlock | null;
      try {
        json = await endpoint.request<RpcBlock | null>("eth_getBlockByNumber", [hexNumber(number), false]);
      } catch (error) {
        ledger.failed(endpoint.name, error);
        return;
      }
      if (json === null) {
        ledger.failed(endpoint.name, `does not have block ${number}`);
        return;
      }
      const checked = checkHeader(json, chainId, options.hardfork);
      if ("mismatch" in checked) {
        ledger.lied(endpoint.name, `block ${number} header: ${checked.mismatch}`);
        return;
      }
      const hash = json.hash.toLowerCase();
      const group = groups.get(hash) ?? { ...checked, json, names: [] };
      group.names.push(endpoint.name);
      groups.set(hash, group);
    }),
  );
  const sorted = [...groups.entries()].sort((a, b) => b[1].names.length - a[1].names.length);
  const best = sorted[0];
  if (best === undefined || best[1].names.length < pool.quorum) {
    throw new NotProvenError(
      `no ${pool.quorum} endpoints serve the same valid header for block ${number}`,
      sorted.map(([hash, g]) => `${g.names.join(", ")}: ${hash}`).join("; ") || "no endpoint served a valid header",
    );
  }
  const order = pool.endpoints.map((e) => e.name);
  best[1].names.sort((a, b) => order.indexOf(a) - order.indexOf(b)); // in the configured order, not answer order
  for (const name of best[1].names) ledger.verified(name);
  for (const [hash, group] of sorted.slice(1)) {
    for (const name of group.names) {
      ledger.lied(name, `block ${number} header: serves block ${hash}, a quorum serves ${best[0]}`);
    }
  }
  return toTrusted(best[1].json, best[1].header, best[1].common, chainId, "quorum", best[1].names);
}

async function pinned(
  endpoints: Endpoint[],
  ledger: EndpointLedger,
  chainId: bigint,
  options: TrustedBlockOptions,
): Promise<TrustedBlock> {
  const expected = options.blockHash!.toLowerCase();
  for (const endpoint of endpoints) {
    let json: RpcBlock | null;
    try {
      json = await endpoint.request<RpcBlock | null>("eth_getBlockByHash", [expected, false]);
    } catch (error) {
      ledger.failed(endpoint.name, error);
      continue;
    }
    if (json === null) {
      ledger.failed(endpoint.name, `does not have block ${expected}`);
      continue;
    }
    const checked = checkHeader(json, chainId, options.hardfork, expected);
    if ("mismatch" in checked) {
      ledger.lied(endpoint.name, `pinned block header: ${checked.mismatch}`);
      continue;
    }
    ledger.verified(endpoint.name);
    return toTrusted(json, checked.header, checked.common, chainId, "pinned", [endpoint.name]);
  }
  throw new NotProvenError(
    `no endpoint served the pinned block ${expected}`,
    "every answer failed or did not hash to it",
  );
}

function toTrusted(
  json: RpcBlock,
  header: BlockHeader,
  common: Common,
  chainId: bigint,
  trust: TrustedBlock["trust"],
  agreed: string[],
): TrustedBlock {
  return {
    number: BigInt(json.number),
    hash: json.hash.toLowerCase(),
    stateRoot: json.stateRoot.toLowerCase(),
    timestamp: BigInt(json.timestamp),
    chainId,
    trust,
    agreed,
    header,
    common,
  };
}

function describeHealth(pool: RpcPool): string {
  return pool
    .health()
    .map((h) => `${h.name}: ${h.status}${h.reason ? ` (${h.reason})` : ""}`)
    .join("; ");
}

/**
 * The ancestors of a trusted header, for a call that reads them (the EVM's BLOCKHASH): each one is fetched by the
 * hash its child names as its parent (`eth_getBlockByHash`) and hashed here, so every header used is linked by parent
 * hash to the trusted one. A header that is not the parent asked for (another block, or fields that do not hash to
 * the claimed hash) is refused and its endpoint recorded as a liar; the next endpoint is asked. With none left, the
 * read is not proven.
 */
export class LinkedHeaders {
  /** JSON-RPC requests sent for ancestors. */
  rpcCalls = 0;
  private readonly byNumber = new Map<bigint, BlockHeader>();

  constructor(
    readonly trusted: TrustedBlock,
    /** The endpoints in rotation, asked in this order. */
    readonly endpoints: () => readonly Endpoint[],
    readonly ledger: EndpointLedger,
  ) {
    this.byNumber.set(trusted.number, trusted.header);
  }

  /** The header of block `number` (at most the trusted one's), linked to the trusted header by parent hashes. */
  async header(number: bigint): Promise<BlockHeader> {
    if (number > this.trusted.number || number < 0n) {
      throw new NotProvenError(`block ${number} is not an ancestor of the trusted block ${this.trusted.number}`);
    }
    let lowest = this.trusted.number;
    while (this.byNumber.has(lowest - 1n) && lowest - 1n >= number) lowest -= 1n;
    while (lowest > number) {
      const child = this.byNumber.get(lowest)!;
      const parent = await this.parentOf(child, lowest);
      this.byNumber.set(lowest - 1n, parent);
      lowest -= 1n;
    }
    return this.byNumber.get(number)!;
  }

  private async parentOf(child: BlockHeader, childNumber: bigint): Promise<BlockHeader> {
    const expected = bytesToHex(child.parentHash);
    const refused: string[] = [];
    for (const endpoint of this.endpoints()) {
      let json: RpcBlock | null;
      try {
        this.rpcCalls += 1;
        json = await endpoint.request<RpcBlock | null>("eth_getBlockByHash", [expected, false]);
      } catch (error) {
        this.ledger.failed(endpoint.name, error);
        refused.push(`${endpoint.name}: ${(error as Error).message.split("\n")[0]}`);
        continue;
      }
      if (json === null) {
        this.ledger.failed(endpoint.name, `does not have block ${expected}`);
        refused.push(`${endpoint.name}: does not have it`);
        continue;
      }
      const checked = checkHeader(json, this.trusted.chainId, undefined, expected);
      const mismatch =
        "mismatch" in checked
          ? checked.mismatch
          : checked.header.number !== childNumber - 1n
            ? `its header is block ${checked.header.number}, not ${childNumber - 1n}`
            : undefined;
      if (mismatch !== undefined) {
        this.ledger.lied(
          endpoint.name,
          `block ${childNumber - 1n} header (parent ${expected} of the trusted chain): not linked: ${mismatch}`,
        );
        refused.push(`${endpoint.name}: ${mismatch}`);
        continue;
      }
      this.ledger.verified(endpoint.name);
      return (checked as { header: BlockHeader }).header;
    }
    throw new NotProvenError(
      `no endpoint served block ${childNumber - 1n} linked by parent hash to the trusted block ${this.trusted.number}`,
      refused.join("; ") || "no endpoint in rotation to ask",
    );
  }
}
