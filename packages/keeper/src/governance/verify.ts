/**
 * `verify-state`: is the protocol's state now the state of its checkpoint, and is every RPC endpoint telling the
 * truth about it? A quorum of endpoints agrees on a block (its hash and state root); from there nothing rests on an
 * endpoint's word: `eth_getProof` answers are checked node by node against that state root (src/governance/mpt.ts),
 * which proves the hub's checkpoint digest, its list of protected contracts and the storage each protected
 * contract's digest is computed from. Cordon recomputes the digests from that proven storage, then compares every
 * endpoint's own answers (`eth_call` of the views, `eth_getStorageAt` of the slots, its proofs) with the proven
 * values, and names each endpoint that answered otherwise.
 *
 * The storage layouts below are those of CordonHub.sol and of the sample CordonVault.sol (an ERC-4626 vault over
 * CordonGuarded). A protected contract with another layout has its digest compared across endpoints only (the value
 * a quorum gives), and the table says so.
 */
import { AbiCoder, Interface, getAddress, keccak256, toBeHex, zeroPadValue } from "ethers";

import { mergeAbis } from "../contracts/abi.js";
import { iCordonCheckpointedAbi, ierc4626Abi } from "../contracts/generated/cordon.js";
import { CordonError } from "../errors.js";
import type { EndpointConfig, Endpoint } from "../rpc/endpoint.js";
import { RpcPool, hexNumber } from "../rpc/pool.js";
import { governanceHubInterface } from "./abi.js";
import { InvalidProofError, verifyAccountProof, verifyStorageProof } from "./mpt.js";
import { BlockProver } from "../proof/call.js";
import { NotProvenError } from "../proof/errors.js";
import { type TrustedBlock, trustedBlock } from "../proof/header.js";
import { EndpointLedger, type EndpointRecord } from "../proof/ledger.js";

/** CordonHub's storage: after AccessControl (0), AccessControlEnumerable (1) and EIP712's two strings (2, 3). */
export const HUB_SLOTS = {
  /** `address[] _protected`: the length here, the elements from keccak256(slot). */
  protected: 10n,
  /** `mapping(uint256 => Checkpoint) _checkpoints`, keyed by id % 64; the digest is the struct's third word. */
  checkpoints: 12n,
  latestCheckpointId: 13n,
} as const;
const CHECKPOINT_HISTORY = 64n;
const CHECKPOINT_DIGEST_WORD = 2n;

/** CordonVault's storage: ERC20 (0-4), CordonGuarded (5-14), then its own (15, 16). */
export const VAULT_SLOTS = {
  totalSupply: 2n,
  /** `mapping(address asset => uint256) _queuedOutstanding` of CordonGuarded. */
  queuedOutstanding: 14n,
  bookedAssets: 16n,
} as const;

const abi = AbiCoder.defaultAbiCoder();
const vaultInterface = new Interface(mergeAbis(iCordonCheckpointedAbi, ierc4626Abi));

/** The storage slot of `mapping[key]` for a mapping at `slot`. */
export function mappingSlot(keyType: "uint256" | "address", key: bigint | string, slot: bigint): bigint {
  return BigInt(keccak256(abi.encode([keyType, "uint256"], [key, slot])));
}

/** The storage slot of element `index` of a dynamic array at `slot`. */
export function arraySlot(slot: bigint, index: bigint): bigint {
  return BigInt(keccak256(abi.encode(["uint256"], [slot]))) + index;
}

/** The hub's combined digest: keccak256(abi.encode(previous, target, digest)) folded over the protected contracts. */
export function combineDigests(contracts: { address: string; digest: string }[]): string {
  let combined = zeroPadValue("0x", 32);
  for (const c of contracts) {
    combined = keccak256(abi.encode(["bytes32", "address", "bytes32"], [combined, c.address, c.digest]));
  }
  return combined;
}

/** CordonVault.stateDigest(): keccak256(abi.encode(totalSupply, bookedAssets, queuedOutstanding(asset))). */
export function vaultDigest(totalSupply: bigint, bookedAssets: bigint, queued: bigint): string {
  return keccak256(abi.encode(["uint256", "uint256", "uint256"], [totalSupply, bookedAssets, queued]));
}

export interface VerifyOptions {
  /** Two or more endpoints let a quorum outvote a liar; three or more also name it. */
  endpoints: EndpointConfig[];
  hub: string;
  /** The checkpoint to compare with (default: the latest, as proven). */
  checkpoint?: bigint;
  /** How many endpoints must agree on the block. Default: a majority. */
  quorum?: number;
  /** A block hash the user trusts: the state is verified at that block, whatever the endpoints agree on. */
  blockHash?: string;
}

/** One endpoint's answer to a check: it matches the proven value, differs (a lie), or the endpoint failed. */
export type Cell = { status: "ok" } | { status: "differs"; answer: string } | { status: "error"; error: string };

export interface Check {
  /** What is checked, e.g. `hub.getCheckpoint(3).digest (eth_call)`. */
  item: string;
  /** The proven value (or, for a contract whose layout is unknown, the value a quorum gives). */
  expected: string;
  /** Whether `expected` is proven from storage (false: only agreed by a quorum). */
  proven: boolean;
  cells: Record<string, Cell>;
}

/** A protected contract's state at the block: its digest and invariant code, proven by verified execution. */
export interface ProtectedState {
  address: string;
  /** The proven `stateDigest()` (undefined when not proven). */
  digest: string | undefined;
  /** The proven `checkInvariants()` code (undefined when not proven or when the call reverts). */
  invariant: bigint | undefined;
  proven: boolean;
  /** Why it is not proven. */
  reason?: string;
}

export interface VerifyResult {
  endpoints: string[];
  block: { number: number; hash: string; stateRoot: string; agreed: string[] };
  checkpoint: { id: bigint; digest: string };
  /** The combined digest of the protected contracts now, recomputed from proven storage. */
  current: string;
  contracts: ProtectedState[];
  /** Whether the state now is the checkpoint's state (false when it is not proven). */
  matches: boolean;
  /** `not-proven`: some protected contract's digest could not be proven, so nothing is claimed about the state. */
  verdict: "matches" | "differs" | "not-proven";
  /** What is trusted (the header, and why) and what is proven (everything below it). */
  trust: { header: string; proven: string };
  /** What each endpoint served to the proven calls (proofs, code, headers, eth_call answers). */
  endpointRecords: Record<string, EndpointRecord>;
  checks: Check[];
  /** Each endpoint that answered something other than the proven value, with what it got wrong. */
  liars: Map<string, string[]>;
}

type Answer<T> = { ok: true; value: T } | { ok: false; error: string };

interface ProofAnswer {
  storageHash: string;
  accountProof: string[];
  storageProof: { key: string; value: string; proof: string[] }[];
}

const short = (value: string) =>
  /^0x[0-9a-fA-F]{17,}$/.test(value) ? `${value.slice(0, 10)}…${value.slice(-6)}` : value;
const word = (value: bigint) => zeroPadValue(toBeHex(value), 32);

/** Every endpoint's answer to one request. */
async function askAll<T>(endpoints: Endpoint[], method: string, params: unknown[]): Promise<Map<string, Answer<T>>> {
  const answers = new Map<string, Answer<T>>();
  await Promise.all(
    endpoints.map(async (endpoint) => {
      try {
        answers.set(endpoint.name, { ok: true, value: await endpoint.request<T>(method, params) });
      } catch (error) {
        answers.set(endpoint.name, { ok: false, error: (error as Error).message.split("\n")[0]! });
      }
    }),
  );
  return answers;
}

/** Verifies state as described in the module comment. Throws a CordonError when nothing can be proven. */
export async function verifyState(options: VerifyOptions): Promise<VerifyResult> {
  const pool = new RpcPool({ endpoints: options.endpoints, quorum: options.quorum, graceMs: 1_000 });
  try {
    return await new Verification(pool, getAddress(options.hub), options.blockHash).run(options.checkpoint);
  } finally {
    pool.close();
  }
}

class Verification {
  readonly checks: Check[] = [];
  readonly liars = new Map<string, string[]>();
  private tag = "latest";
  private stateRoot = "";
  private trusted!: TrustedBlock;
  private prover!: BlockProver;
  readonly ledger: EndpointLedger;

  constructor(
    readonly pool: RpcPool,
    readonly hub: string,
    readonly blockHash?: string,
  ) {
    this.ledger = new EndpointLedger(pool.endpoints.map((e) => e.name));
  }

  get names(): string[] {
    return this.pool.endpoints.map((e) => e.name);
  }

  private lied(endpoint: string, what: string): void {
    const list = this.liars.get(endpoint) ?? [];
    list.push(what);
    this.liars.set(endpoint, list);
  }

  /** Records a check: each endpoint's answer against `expected` (compared by `same`). */
  private check<T>(
    item: string,
    expected: string,
    answers: Map<string, Answer<T>>,
    same: (answer: T) => boolean,
    show: (answer: T) => string,
    proven = true,
  ): void {
    const cells: Record<string, Cell> = {};
    for (const name of this.names) {
      const answer = answers.get(name);
      if (answer === undefined) continue;
      if (!answer.ok) cells[name] = { status: "error", error: answer.error };
      else if (same(answer.value)) cells[name] = { status: "ok" };
      else {
        cells[name] = { status: "differs", answer: show(answer.value) };
        this.lied(name, `${item}: answered ${short(show(answer.value))}, expected ${short(expected)}`);
      }
    }
    this.checks.push({ item, expected, proven, cells });
  }

  async run(requested: bigint | undefined): Promise<VerifyResult> {
    const block = await this.agreeOnBlock();

    const [latestId, protectedCount] = await this.prove("hub", this.hub, [
      ["latestCheckpointId", HUB_SLOTS.latestCheckpointId],
      ["protected.length", HUB_SLOTS.protected],
    ]);
    const id = requested ?? latestId!;
    const oldest = latestId! >= CHECKPOINT_HISTORY ? latestId! - CHECKPOINT_HISTORY + 1n : 1n;
    if (id === 0n || id > latestId! || id < oldest) {
      throw new CordonError(
        latestId === 0n
          ? "the hub has no checkpoint yet"
          : `checkpoint ${id} is not kept by the hub: it keeps checkpoints ${oldest} to ${latestId}`,
        { details: "take one with `npx hardhat cordon checkpoint`, or pass --checkpoint with a kept id" },
      );
    }
    const slots: [string, bigint][] = [
      [
        `checkpoints[${id}].digest`,
        mappingSlot("uint256", id % CHECKPOINT_HISTORY, HUB_SLOTS.checkpoints) + CHECKPOINT_DIGEST_WORD,
      ],
    ];
    for (let i = 0n; i < protectedCount!; i++) slots.push([`protected[${i}]`, arraySlot(HUB_SLOTS.protected, i)]);
    const [checkpointWord, ...protectedWords] = await this.prove("hub", this.hub, slots);
    const checkpointDigest = word(checkpointWord!);
    const protectedAddresses = protectedWords.map((w) => getAddress(toBeHex(w, 20)));

    const contracts: ProtectedState[] = [];
    for (const address of protectedAddresses) contracts.push(await this.protectedDigest(address));
    const allProven = contracts.every((c) => c.proven);
    const current = allProven ? combineDigests(contracts as { address: string; digest: string }[]) : "not proven";

    await this.checkHubCalls(id, latestId!, checkpointDigest, protectedAddresses, current, contracts);
    for (const [name, lies] of this.ledger.liars()) {
      for (const lie of lies) if (!(this.liars.get(name) ?? []).includes(lie)) this.lied(name, lie);
    }
    return {
      endpoints: this.names,
      block,
      checkpoint: { id, digest: checkpointDigest },
      current,
      contracts,
      matches: allProven && current === checkpointDigest,
      verdict: !allProven ? "not-proven" : current === checkpointDigest ? "matches" : "differs",
      trust: {
        header:
          this.trusted.trust === "pinned"
            ? `the header of block ${block.number} (${block.hash}), pinned by its hash; served by ${this.trusted.agreed.join(", ")}`
            : `the header of block ${block.number} (${block.hash}), served by a quorum: ${this.trusted.agreed.join(", ")}; its hash recomputed from its fields`,
        proven:
          `everything else, against state root ${block.stateRoot}: the hub's checkpoint and protected list (storage proofs), ` +
          "each protected contract's stateDigest() and checkInvariants() (executed locally on proven accounts, code and storage)",
      },
      endpointRecords: this.ledger.report(),
      checks: this.checks,
      liars: this.liars,
    };
  }

  /**
   * The trusted block (src/proof/header.ts: a quorum serving the same header, whose hash is recomputed from its
   * fields, or the pinned hash), then each endpoint's own answer for it compared with the trusted hash and root.
   */
  private async agreeOnBlock(): Promise<VerifyResult["block"]> {
    this.trusted = await trustedBlock(this.pool, this.ledger, { blockHash: this.blockHash });
    this.prover = new BlockProver(this.pool, this.trusted, this.ledger, { audit: true });
    const { number, hash, stateRoot } = this.trusted;
    this.tag = hexNumber(number);
    this.stateRoot = stateRoot;
    const answers = await askAll<{ hash: string; stateRoot: string } | null>(
      this.pool.endpoints,
      "eth_getBlockByNumber",
      [this.tag, false],
    );
    const expected = `${hash}:${stateRoot}`;
    this.check(
      `block ${number} hash and state root`,
      expected,
      answers,
      (b) => b !== null && `${b.hash}:${b.stateRoot}`.toLowerCase() === expected,
      (b) => (b === null ? "no block" : `state root ${b.stateRoot}`),
    );
    return { number: Number(number), hash, stateRoot, agreed: this.trusted.agreed };
  }

  /**
   * Proves `slots` of `address` from every endpoint's `eth_getProof`; an endpoint whose proof does not verify, or
   * whose claimed values differ from what its proof shows, lied. Then compares each endpoint's `eth_getStorageAt`.
   */
  private async prove(label: string, address: string, slots: [string, bigint][]): Promise<bigint[]> {
    const keys = slots.map(([, slot]) => word(slot));
    const answers = await askAll<ProofAnswer>(this.pool.endpoints, "eth_getProof", [address, keys, this.tag]);
    let proven: bigint[] | undefined;
    const verdicts = new Map<string, Answer<string>>();
    for (const [name, answer] of answers) {
      if (!answer.ok) {
        verdicts.set(name, answer);
        continue;
      }
      try {
        const account = verifyAccountProof(this.stateRoot, address, answer.value.accountProof);
        const values = slots.map(([, slot], i) =>
          verifyStorageProof(account.storageHash, slot, answer.value.storageProof[i]?.proof ?? []),
        );
        const claimed = answer.value.storageProof.map((p) => BigInt(p.value));
        const mismatch = values.findIndex((v, i) => v !== claimed[i]);
        if (answer.value.storageHash !== account.storageHash) {
          verdicts.set(name, { ok: true, value: `claims storage hash ${answer.value.storageHash}` });
        } else if (mismatch >= 0) {
          verdicts.set(name, { ok: true, value: `claims ${slots[mismatch]![0]} = ${claimed[mismatch]}` });
        } else {
          verdicts.set(name, { ok: true, value: "valid" });
          proven ??= values;
        }
      } catch (error) {
        if (!(error instanceof InvalidProofError)) throw error;
        verdicts.set(name, { ok: true, value: `invalid proof: ${error.shortMessage}` });
      }
    }
    this.check(
      `${label} ${address} proof (eth_getProof)`,
      "valid",
      verdicts,
      (v) => v === "valid",
      (v) => v,
    );
    if (proven === undefined) {
      throw new CordonError(
        `no endpoint gave a valid storage proof of ${label} ${address} at block ${Number(this.tag)}`,
        {
          details:
            "every eth_getProof answer failed or did not verify against the agreed state root; try other endpoints",
        },
      );
    }
    await Promise.all(
      slots.map(async ([name, slot], i) => {
        const stored = await askAll<string>(this.pool.endpoints, "eth_getStorageAt", [address, word(slot), this.tag]);
        this.check(
          `${label} ${name} (eth_getStorageAt)`,
          word(proven![i]!),
          stored,
          (v) => BigInt(v) === proven![i],
          (v) => v,
        );
      }),
    );
    return proven;
  }

  /** An `eth_call` of `data` to `to` from every endpoint at the agreed block. */
  private call(to: string, data: string): Promise<Map<string, Answer<string>>> {
    return askAll<string>(this.pool.endpoints, "eth_call", [{ to, data }, this.tag]);
  }

  /**
   * A protected contract's `stateDigest()` and `checkInvariants()`, proven by verified execution (src/proof/call.ts),
   * whatever its storage layout; each endpoint's own eth_call of them is compared with the proven result. For a
   * CordonVault the slots its digest is built from are also compared across endpoints' eth_getStorageAt.
   */
  private async protectedDigest(address: string): Promise<ProtectedState> {
    const digestData = vaultInterface.encodeFunctionData("stateDigest");
    const invariantData = vaultInterface.encodeFunctionData("checkInvariants");
    const [digests, invariants] = await Promise.all([
      this.call(address, digestData),
      this.call(address, invariantData),
    ]);
    let digest: string | undefined;
    let invariant: bigint | undefined;
    try {
      const provenDigest = await this.prover.call({ to: address, data: digestData });
      if (!provenDigest.reverted) digest = provenDigest.returnData;
      const provenInvariant = await this.prover.call({ to: address, data: invariantData });
      if (!provenInvariant.reverted && provenInvariant.returnData.length === 66) {
        invariant = BigInt(provenInvariant.returnData);
      }
      if (provenInvariant.returnData !== "0x") {
        const expected = provenInvariant.returnData;
        this.check(
          `${address}.checkInvariants() (eth_call)`,
          expected,
          invariants,
          (v) => v === expected,
          (v) => v,
        );
      }
    } catch (error) {
      if (!(error instanceof NotProvenError)) throw error;
      return { address, digest: undefined, invariant: undefined, proven: false, reason: error.shortMessage };
    }
    if (digest === undefined) {
      return { address, digest: undefined, invariant, proven: false, reason: "stateDigest() reverts at this block" };
    }
    await this.vaultStorage(address);
    const expected = digest;
    this.check(
      `${address}.stateDigest() (eth_call)`,
      expected,
      digests,
      (v) => v === expected,
      (v) => v,
    );
    return { address, digest, invariant, proven: true };
  }

  /** For a contract that answers asset() like the sample vault: its books' slots, proven and cross-checked. */
  private async vaultStorage(address: string): Promise<void> {
    const assets = await this.call(address, vaultInterface.encodeFunctionData("asset"));
    const asset = this.quorumValue(assets);
    if (asset === undefined || asset === "0x") return;
    let assetAddress: string;
    try {
      assetAddress = getAddress(vaultInterface.decodeFunctionResult("asset", asset)[0] as string);
    } catch {
      return;
    }
    await this.prove("vault", address, [
      ["totalSupply", VAULT_SLOTS.totalSupply],
      [`queuedOutstanding[${assetAddress}]`, mappingSlot("address", assetAddress, VAULT_SLOTS.queuedOutstanding)],
      ["bookedAssets", VAULT_SLOTS.bookedAssets],
    ]);
  }

  /** The answer at least a quorum of endpoints gave, if any. */
  private quorumValue(answers: Map<string, Answer<string>>): string | undefined {
    const counts = new Map<string, number>();
    for (const answer of answers.values()) if (answer.ok) counts.set(answer.value, (counts.get(answer.value) ?? 0) + 1);
    return [...counts].find(([, n]) => n >= this.pool.quorum)?.[0];
  }

  /** Compares each endpoint's answers to the hub's views with the proven values. */
  private async checkHubCalls(
    id: bigint,
    latestId: bigint,
    checkpointDigest: string,
    protectedAddresses: string[],
    current: string,
    contracts: { proven: boolean }[],
  ): Promise<void> {
    const hub = governanceHubInterface;
    const decode = (method: string, data: string) => hub.decodeFunctionResult(method, data);
    const [latest, checkpoint, list, digest] = await Promise.all([
      this.call(this.hub, hub.encodeFunctionData("latestCheckpointId")),
      this.call(this.hub, hub.encodeFunctionData("getCheckpoint", [id])),
      this.call(this.hub, hub.encodeFunctionData("protectedContracts")),
      this.call(this.hub, hub.encodeFunctionData("currentDigest")),
    ]);
    const safely = (f: () => string) => {
      try {
        return f();
      } catch {
        return "undecodable";
      }
    };
    const latestOf = (d: string) => safely(() => String(decode("latestCheckpointId", d)[0]));
    const digestOf = (d: string) => safely(() => String((decode("getCheckpoint", d)[0] as { digest: string }).digest));
    const listOf = (d: string) => safely(() => (decode("protectedContracts", d)[0] as string[]).join(","));
    const currentOf = (d: string) => safely(() => String(decode("currentDigest", d)[0]));
    this.check(
      "hub.latestCheckpointId() (eth_call)",
      String(latestId),
      latest,
      (d) => latestOf(d) === String(latestId),
      latestOf,
    );
    this.check(
      `hub.getCheckpoint(${id}).digest (eth_call)`,
      checkpointDigest,
      checkpoint,
      (d) => digestOf(d) === checkpointDigest,
      digestOf,
    );
    const expectedList = protectedAddresses.join(",");
    this.check("hub.protectedContracts() (eth_call)", expectedList, list, (d) => listOf(d) === expectedList, listOf);
    if (current === "not proven") return; // nothing to compare the hub's answer with
    this.check(
      "hub.currentDigest() (eth_call)",
      current,
      digest,
      (d) => currentOf(d) === current,
      currentOf,
      contracts.every((c) => c.proven),
    );
  }
}

/** The result as a table of checks by endpoint, the verdict, and the endpoints that lied. */
export function renderVerification(result: VerifyResult): string {
  const lines: string[] = [];
  const { block } = result;
  lines.push(`Block ${block.number} ${block.hash}`);
  lines.push(`State root ${block.stateRoot} (agreed by ${block.agreed.join(", ")})`);
  lines.push("");
  const header = ["check", "expected", ...result.endpoints];
  const rows = result.checks.map((c) => [
    c.item,
    `${short(c.expected)}${c.proven ? "" : " (quorum)"}`,
    ...result.endpoints.map((name) => {
      const cell = c.cells[name];
      if (cell === undefined) return "-";
      if (cell.status === "ok") return "ok";
      if (cell.status === "error") return "error";
      return `DIFFERS ${short(cell.answer)}`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  lines.push(format(header), ...rows.map(format), "");

  for (const c of result.contracts) {
    lines.push(
      c.proven
        ? `${c.address} digest ${c.digest}, invariant code ${c.invariant ?? "none"} (proven by verified execution)`
        : `${c.address} NOT PROVEN: ${c.reason}`,
    );
  }
  lines.push(`Checkpoint ${result.checkpoint.id} digest ${result.checkpoint.digest}`);
  lines.push(`State now             ${result.current}`);
  lines.push(
    result.verdict === "matches"
      ? `The state now matches checkpoint ${result.checkpoint.id}.`
      : result.verdict === "differs"
        ? `The state now DIFFERS from checkpoint ${result.checkpoint.id}.`
        : `The state now is NOT PROVEN: no endpoint served valid proofs of what a digest reads.`,
  );
  lines.push(`Trusted: ${result.trust.header}.`);
  lines.push(`Proven: ${result.trust.proven}.`);
  const errors = result.endpoints.filter((name) => result.checks.some((c) => c.cells[name]?.status === "error"));
  if (errors.length > 0)
    lines.push(`Endpoints that failed to answer some checks (not counted as lies): ${errors.join(", ")}`);
  if (result.liars.size === 0) lines.push("Every endpoint answered the proven values.");
  for (const [name, lies] of result.liars) {
    lines.push(`${name} LIED:`);
    for (const lie of lies) lines.push(`  - ${lie}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The result for scripts (`verify-state --json`): the block, what is trusted and proven, each contract, each endpoint. */
export function verificationJson(result: VerifyResult): unknown {
  const endpoints: Record<string, unknown> = {};
  for (const name of result.endpoints) {
    const record = result.endpointRecords[name];
    const lies = result.liars.get(name) ?? [];
    endpoints[name] = {
      verdict: lies.length > 0 ? "lied" : (record?.verdict ?? "unused"),
      lies,
      errors: record?.errors ?? [],
    };
  }
  return {
    verdict: result.verdict,
    matches: result.matches,
    block: result.block,
    trusted: result.trust.header,
    proven: result.trust.proven,
    checkpoint: { id: result.checkpoint.id.toString(), digest: result.checkpoint.digest },
    current: result.current,
    contracts: result.contracts.map((c) => ({
      address: c.address,
      proven: c.proven,
      digest: c.digest ?? null,
      invariant: c.invariant === undefined ? null : c.invariant.toString(),
      ...(c.reason === undefined ? {} : { reason: c.reason }),
    })),
    endpoints,
  };
}
