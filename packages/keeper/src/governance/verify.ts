/**
 * `verify-state`: is the protocol's state now the state of its checkpoint, and is every RPC endpoint telling the
 * truth about it? A quorum of endpoints agrees on a block header (or the user pins its hash); from there nothing rests
 * on an endpoint's word. Every value is the result of a proven call (src/proof/call.ts): the view runs in a local EVM
 * whose every account, code and storage read comes from an `eth_getProof` answer checked against that header's state
 * root. The hub's `latestCheckpointId()`, `getCheckpoint(id)`, `protectedContracts()` and `currentDigest()` are proven
 * that way, and so are each protected contract's `stateDigest()` and `checkInvariants()`, whatever their storage
 * layouts: no storage slot of the hub or of any protected contract is written into this code. Every endpoint's own
 * answers (`eth_call` of the views, `eth_getStorageAt` of each slot the proven calls read, its proofs and code) are
 * then compared with the proven values, and each endpoint that answered otherwise is named.
 */
import { Interface, getAddress, toBeHex, zeroPadValue } from "ethers";

import { mergeAbis } from "../contracts/abi.js";
import { iCordonCheckpointedAbi, ierc4626Abi } from "../contracts/generated/cordon.js";
import { CordonError } from "../errors.js";
import type { EndpointConfig, Endpoint } from "../rpc/endpoint.js";
import { RpcPool, hexNumber } from "../rpc/pool.js";
import { governanceHubInterface } from "./abi.js";
import { BlockProver, type ProvenCallResult } from "../proof/call.js";
import { NotProvenError } from "../proof/errors.js";
import { type TrustedBlock, trustedBlock } from "../proof/header.js";
import { EndpointLedger, type EndpointRecord } from "../proof/ledger.js";

const vaultInterface = new Interface(mergeAbis(iCordonCheckpointedAbi, ierc4626Abi));

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
  /** The proven value. */
  expected: string;
  /** Whether `expected` is proven (false: only agreed by a quorum). */
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
  /** The hub's combined digest of the protected contracts now: its `currentDigest()`, proven by verified execution. */
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

const short = (value: string) =>
  /^0x[0-9a-fA-F]{17,}$/.test(value) ? `${value.slice(0, 10)}…${value.slice(-6)}` : value;
const word = (value: bigint) => zeroPadValue(toBeHex(value), 32);
/** Whether an endpoint's eth_getStorageAt answer is the word `value` (anything that is not a word is not). */
const sameWord = (answer: unknown, value: bigint) => {
  try {
    return typeof answer === "string" && BigInt(answer) === value;
  } catch {
    return false;
  }
};

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
  /** Comparisons of endpoints' answers with proven values, run once every proven call is done. */
  private readonly comparisons: (() => void)[] = [];
  private tag = "latest";
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

  /** Records a lie, here and in the ledger: the prover then asks the liar for no more proofs (out of rotation). */
  private lied(endpoint: string, what: string): void {
    const list = this.liars.get(endpoint) ?? [];
    list.push(what);
    this.liars.set(endpoint, list);
    if (!this.ledger.report()[endpoint]?.lies.includes(what)) this.ledger.lied(endpoint, what);
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
    const hub = governanceHubInterface;

    const latestId = hub.decodeFunctionResult(
      "latestCheckpointId",
      (await this.hubView("latestCheckpointId", [])).returnData,
    )[0] as bigint;
    if (latestId === 0n) {
      throw new CordonError("the hub has no checkpoint yet", {
        details: "take one with `npx hardhat cordon checkpoint`, or pass --checkpoint with a kept id",
      });
    }
    const id = requested ?? latestId;
    const checkpoint = await this.hubView("getCheckpoint", [id], true);
    if (checkpoint.reverted) throw this.unkept(id, checkpoint.returnData);
    const checkpointDigest = (hub.decodeFunctionResult("getCheckpoint", checkpoint.returnData)[0] as { digest: string })
      .digest;
    const protectedAddresses = (
      hub.decodeFunctionResult(
        "protectedContracts",
        (await this.hubView("protectedContracts", [])).returnData,
      )[0] as string[]
    ).map((a) => getAddress(a));

    const contracts: ProtectedState[] = [];
    for (const address of protectedAddresses) contracts.push(await this.protectedDigest(address));
    const allProven = contracts.every((c) => c.proven);
    const current = allProven ? await this.provenCurrentDigest() : "not proven";
    const proven = allProven && current !== "not proven";
    // Only now are answers compared: a lie takes its endpoint out of rotation, and the verdict must not depend on
    // which contract's answers were compared before which proofs were fetched.
    for (const compare of this.comparisons.splice(0)) compare();

    await this.checkHubCalls(id, latestId, checkpointDigest, protectedAddresses, current, contracts);
    await this.checkStorage();
    this.checkProofs();
    for (const [name, lies] of this.ledger.liars()) {
      for (const lie of lies) if (!(this.liars.get(name) ?? []).includes(lie)) this.lied(name, lie);
    }
    return {
      endpoints: this.names,
      block,
      checkpoint: { id, digest: checkpointDigest },
      current,
      contracts,
      matches: proven && current === checkpointDigest,
      verdict: !proven ? "not-proven" : current === checkpointDigest ? "matches" : "differs",
      trust: {
        header:
          this.trusted.trust === "pinned"
            ? `the header of block ${block.number} (${block.hash}), pinned by its hash; served by ${this.trusted.agreed.join(", ")}`
            : `the header of block ${block.number} (${block.hash}), served by a quorum: ${this.trusted.agreed.join(", ")}; its hash recomputed from its fields`,
        proven:
          `everything else, against state root ${block.stateRoot}, by verified execution (each view run locally on ` +
          "accounts, code and storage proven by eth_getProof): the hub's latestCheckpointId(), getCheckpoint(id), " +
          "protectedContracts() and currentDigest(), and each protected contract's stateDigest() and checkInvariants()",
      },
      endpointRecords: this.ledger.report(),
      checks: this.checks,
      liars: this.liars,
    };
  }

  /**
   * A view of the hub, proven by verified execution. A revert is returned only when `mayRevert`; otherwise it, or a
   * call nothing proves, ends the verification: without the hub's checkpoint and list there is nothing to compare.
   */
  private async hubView(method: string, args: unknown[], mayRevert = false): Promise<ProvenCallResult> {
    let result: ProvenCallResult;
    try {
      result = await this.prover.call({ to: this.hub, data: governanceHubInterface.encodeFunctionData(method, args) });
    } catch (error) {
      if (!(error instanceof NotProvenError)) throw error;
      throw new CordonError(
        `no endpoint gave valid proofs of what hub ${this.hub}.${method}() reads at block ${Number(this.tag)}: ${error.shortMessage}`,
        {
          details:
            error.details ??
            "every eth_getProof answer failed or did not verify against the trusted state root; try other endpoints",
          retryable: true,
        },
      );
    }
    if (result.reverted && !mayRevert) {
      throw new CordonError(`hub ${this.hub}.${method}() reverts at block ${Number(this.tag)} (proven)`, {
        details: `revert data ${result.returnData}; is ${this.hub} a CordonHub?`,
      });
    }
    return result;
  }

  /** The error for a checkpoint the hub does not keep, from the proven revert of `getCheckpoint(id)`. */
  private unkept(id: bigint, revert: string): CordonError {
    const details = "take one with `npx hardhat cordon checkpoint`, or pass --checkpoint with a kept id";
    let parsed: ReturnType<Interface["parseError"]> = null;
    try {
      parsed = governanceHubInterface.parseError(revert);
    } catch {
      // not one of the hub's errors
    }
    if (parsed?.name === "CordonUnknownCheckpoint") {
      const [, oldest, latest] = parsed.args as unknown as [bigint, bigint, bigint];
      return new CordonError(`checkpoint ${id} is not kept by the hub: it keeps checkpoints ${oldest} to ${latest}`, {
        details,
      });
    }
    return new CordonError(`hub.getCheckpoint(${id}) reverts at block ${Number(this.tag)} (proven)`, {
      details: `revert ${parsed?.name ?? revert}; ${details}`,
    });
  }

  /** The hub's `currentDigest()`, proven; "not proven" when nothing proves what it reads, or it reverts. */
  private async provenCurrentDigest(): Promise<string> {
    try {
      const result = await this.prover.call({
        to: this.hub,
        data: governanceHubInterface.encodeFunctionData("currentDigest"),
      });
      if (result.reverted) return "not proven";
      return String(governanceHubInterface.decodeFunctionResult("currentDigest", result.returnData)[0]);
    } catch (error) {
      if (!(error instanceof NotProvenError)) throw error;
      return "not proven";
    }
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
   * Each endpoint's `eth_getStorageAt` of every slot the proven calls read (the slots and their values are what the
   * proofs showed, whatever the contract's layout), one row per account.
   */
  private async checkStorage(): Promise<void> {
    const accounts = [...this.prover.cache.slots]
      .filter(([, slots]) => slots.size > 0)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [address, slots] of accounts) {
      const entries = [...slots].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const verdicts = new Map<string, Answer<string>>();
      await Promise.all(
        this.pool.endpoints.map(async (endpoint) => {
          try {
            const answers = await Promise.all(
              entries.map(([slot]) => endpoint.request<string>("eth_getStorageAt", [address, word(slot), this.tag])),
            );
            const wrong = entries.findIndex(([, value], i) => !sameWord(answers[i], value));
            verdicts.set(endpoint.name, {
              ok: true,
              value:
                wrong < 0
                  ? "as proven"
                  : `slot ${short(toBeHex(entries[wrong]![0]))} = ${short(String(answers[wrong]))}`,
            });
          } catch (error) {
            verdicts.set(endpoint.name, { ok: false, error: (error as Error).message.split("\n")[0]! });
          }
        }),
      );
      this.check(
        `${getAddress(address)} storage read by the proven calls, ${entries.length} slot${entries.length === 1 ? "" : "s"} (eth_getStorageAt)`,
        "as proven",
        verdicts,
        (v) => v === "as proven",
        (v) => v,
      );
    }
  }

  /**
   * One row for the proofs and code every endpoint served to the proven calls (src/proof/fetcher.ts asked each one,
   * in audit mode, and recorded what did not verify). Its lies are the ledger's, merged into `liars` in run().
   */
  private checkProofs(): void {
    const report = this.ledger.report();
    const cells: Record<string, Cell> = {};
    for (const name of this.names) {
      const record = report[name];
      if (record === undefined) continue;
      const lie = record.lies.find((l) => /^eth_get(Proof|Code) /.test(l));
      if (lie !== undefined) cells[name] = { status: "differs", answer: lie };
      else if (record.lies.length > 0)
        continue; // caught lying elsewhere first: out of rotation, maybe never asked
      else if (record.verified === 0 && record.errors.length > 0)
        cells[name] = { status: "error", error: record.errors[0]! };
      else cells[name] = { status: "ok" };
    }
    this.checks.push({
      item: `proofs and code of the ${this.prover.cache.accounts.size} accounts the calls read (eth_getProof, eth_getCode)`,
      expected: "valid",
      proven: true,
      cells,
    });
  }

  /** An `eth_call` of `data` to `to` from every endpoint at the agreed block. */
  private call(to: string, data: string): Promise<Map<string, Answer<string>>> {
    return askAll<string>(this.pool.endpoints, "eth_call", [{ to, data }, this.tag]);
  }

  /**
   * A protected contract's `stateDigest()` and `checkInvariants()`, proven by verified execution (src/proof/call.ts),
   * whatever its storage layout; each endpoint's own eth_call of them is compared with the proven result once every
   * proven call is done (and its eth_getStorageAt of what they read, in checkStorage()).
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
        this.comparisons.push(() =>
          this.check(
            `${address}.checkInvariants() (eth_call)`,
            expected,
            invariants,
            (v) => v === expected,
            (v) => v,
          ),
        );
      }
    } catch (error) {
      if (!(error instanceof NotProvenError)) throw error;
      return { address, digest: undefined, invariant: undefined, proven: false, reason: error.shortMessage };
    }
    if (digest === undefined) {
      return { address, digest: undefined, invariant, proven: false, reason: "stateDigest() reverts at this block" };
    }
    const expected = digest;
    this.comparisons.push(() =>
      this.check(
        `${address}.stateDigest() (eth_call)`,
        expected,
        digests,
        (v) => v === expected,
        (v) => v,
      ),
    );
    return { address, digest, invariant, proven: true };
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
