/**
 * Log completeness: the logs of a range are never one endpoint's word. An endpoint that omits logs (all of them, or
 * those of the newest blocks, as a load-balanced provider whose nodes are out of sync does) would blind every
 * log-based detector, and the follower would move its cursor past the range for good. So the logs of every range are
 * either agreed by a quorum of endpoints or proven:
 *
 * 1. The endpoints that have the range's last block are asked for its logs at the same time (a quorum of them for a
 *    range below the bloom window, all of them inside it, so that each one's answers are checked); identical answers
 *    from a quorum are agreed. Answers that differ are settled block by block: each block in dispute is proven (3),
 *    or, when it cannot be, the answer a quorum of all endpoints gives wins.
 * 2. The newest blocks (`bloomDepth` below the agreed head, where an exploit in progress is; every block of the range
 *    when fewer endpoints than a quorum have it) are also checked against their headers, linked by parent hash to
 *    the quorum-agreed header of the range's last block and hashed here: every log must be in its block (hash) and in
 *    the block's `logsBloom` (address and topics), and a block whose bloom holds a watched address with no log of it
 *    is proven (3). A quorum of endpoints that omit together is caught there.
 * 3. A block is proven by its receipts: fetched from any endpoint, encoded and rebuilt into the receipts trie here,
 *    whose root must be the header's `receiptsRoot`. Its logs of the watched addresses are then the block's logs,
 *    whatever the endpoints said, and each endpoint whose answer differs is named as a liar ({@link RpcPool.markLiar}:
 *    reported as diverging with what it omitted, in the log and `cordon_endpoint_status`).
 *
 * When none of these confirms a range, the range is not confirmed: {@link LogsNotConfirmedError} is thrown (retryable)
 * and the cursor stays before it.
 */
import { keccak256 } from "ethers/crypto";
import { concat, encodeRlp, getBytes } from "ethers/utils";

import { CordonError } from "../errors.js";
import type { Endpoint } from "../rpc/endpoint.js";
import { gather, hexNumber, type RpcPool } from "../rpc/pool.js";

export interface Log {
  address: string;
  topics: string[];
  data: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

/** A JSON-RPC log object as a {@link Log}. */
export function toLog(l: Record<string, unknown>): Log {
  return {
    address: String(l.address).toLowerCase(),
    topics: (l.topics as string[]).map((t) => t.toLowerCase()),
    data: String(l.data),
    blockNumber: Number(l.blockNumber),
    blockHash: String(l.blockHash).toLowerCase(),
    transactionHash: String(l.transactionHash).toLowerCase(),
    logIndex: Number(l.logIndex),
  };
}

/** The logs of the range are not confirmed (no quorum, no proof): the cursor must not pass it yet. */
export class LogsNotConfirmedError extends CordonError {
  override name = "LogsNotConfirmedError";
  constructor(from: number, to: number, why: string) {
    super(`the logs of blocks ${from}..${to} are not confirmed: ${why}`, {
      retryable: true,
      details: "the follower tries the range again on its next step; it never moves past logs nobody confirmed",
    });
  }
}

/** The range's last block changed while its logs were fetched: a reorg, to be retried (nobody lied). */
export class RangeMovedError extends CordonError {
  override name = "RangeMovedError";
  constructor(block: number) {
    super(`block ${block} changed while its range's logs were fetched (a reorg)`, { retryable: true });
  }
}

type RpcHeader = Record<string, unknown> & {
  hash: string;
  parentHash: string;
  number: string;
  logsBloom: string;
  receiptsRoot: string;
  transactions: string[];
};

export interface LogCheckOptions {
  pool: RpcPool;
  /** The watched contracts, lowercase: the logs asked for and checked. */
  addresses: string[];
  /** How many of the newest blocks (below the agreed head) are checked against their headers' blooms. Default 256. */
  bloomDepth?: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** What a range's confirmation cost and found, for logs and tests. */
export interface LogCheckReport {
  /** The endpoints whose answers were compared. */
  asked: string[];
  /** Blocks checked against their headers' blooms. */
  bloomChecked: number;
  /** Blocks proven by their receipts. */
  proven: number[];
  /** Endpoints named for an answer the quorum or a proof contradicted. */
  named: { endpoint: string; lie: string }[];
}

/** Quantity as RLP wants it: minimal big-endian bytes, zero as empty. */
function quantity(value: unknown): string {
  const n = BigInt(String(value));
  if (n === 0n) return "0x";
  const hex = n.toString(16);
  return `0x${hex.length % 2 === 1 ? "0" : ""}${hex}`;
}

/**
 * The hash of a block header rebuilt from its JSON fields (every fork up to Prague: the optional fields are taken in
 * order as present). It equals the claimed `hash` only if no field was changed.
 */
export function headerHash(h: Record<string, unknown>): string {
  const fields: string[] = [
    String(h.parentHash),
    String(h.sha3Uncles),
    String(h.miner),
    String(h.stateRoot),
    String(h.transactionsRoot),
    String(h.receiptsRoot),
    String(h.logsBloom),
    quantity(h.difficulty),
    quantity(h.number),
    quantity(h.gasLimit),
    quantity(h.gasUsed),
    quantity(h.timestamp),
    String(h.extraData),
    String(h.mixHash),
    String(h.nonce),
  ];
  if (h.baseFeePerGas !== undefined) fields.push(quantity(h.baseFeePerGas));
  if (h.withdrawalsRoot !== undefined) fields.push(String(h.withdrawalsRoot));
  if (h.blobGasUsed !== undefined) fields.push(quantity(h.blobGasUsed), quantity(h.excessBlobGas));
  if (h.parentBeaconBlockRoot !== undefined) fields.push(String(h.parentBeaconBlockRoot));
  if (h.requestsHash !== undefined) fields.push(String(h.requestsHash));
  return keccak256(encodeRlp(fields));
}

/** Whether a 2048-bit bloom (hex) may hold `item` (an address or a topic): false means it surely does not. */
export function bloomMayHold(bloom: Uint8Array, item: string): boolean {
  const hash = getBytes(keccak256(item));
  for (let i = 0; i < 6; i += 2) {
    const bit = ((hash[i]! << 8) | hash[i + 1]!) & 2047;
    if ((bloom[255 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

const logKey = (l: Log) =>
  `${l.blockHash}:${l.logIndex}:${l.address}:${l.topics.join(",")}:${l.data}:${l.transactionHash}`;
/** A key of one block's logs in one answer, to group the answers that agree on the block. */
const answerKey = (logs: Log[]) => logs.map(logKey).join("|");

/** An answer's logs by block number, each block's in the answer's order. */
function byBlock(logs: Log[]): Map<number, Log[]> {
  const blocks = new Map<number, Log[]>();
  for (const log of logs) {
    const list = blocks.get(log.blockNumber);
    if (list === undefined) blocks.set(log.blockNumber, [log]);
    else list.push(log);
  }
  return blocks;
}

/** Whether two answers hold the same logs in the same order (no copy, no hashing: a catch-up compares many). */
function sameLogs(a: Log[], b: Log[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      x.blockHash !== y.blockHash ||
      x.logIndex !== y.logIndex ||
      x.address !== y.address ||
      x.data !== y.data ||
      x.transactionHash !== y.transactionHash ||
      x.topics.length !== y.topics.length ||
      x.topics.some((t, k) => t !== y.topics[k])
    ) {
      return false;
    }
  }
  return true;
}

/** Whether a raw `eth_getLogs` result, in the order it came, holds exactly the logs `held` (no copy is made). */
function sameAsRaw(held: Log[], raw: Record<string, unknown>[]): boolean {
  let i = 0;
  for (const r of raw) {
    if (r.removed === true) continue;
    const x = held[i++];
    const topics = r.topics as string[];
    if (
      x === undefined ||
      Number(r.logIndex) !== x.logIndex ||
      Number(r.blockNumber) !== x.blockNumber ||
      String(r.blockHash).toLowerCase() !== x.blockHash ||
      String(r.address).toLowerCase() !== x.address ||
      String(r.data) !== x.data ||
      String(r.transactionHash).toLowerCase() !== x.transactionHash ||
      topics.length !== x.topics.length ||
      topics.some((t, k) => t.toLowerCase() !== x.topics[k])
    ) {
      return false;
    }
  }
  return i === held.length;
}

/** The logs every answer holds, when at least `quorum` answered and all agree. */
function agreedLogs(answers: Map<string, Log[]>, quorum: number): Log[] | undefined {
  if (answers.size < quorum) return undefined;
  const [first, ...rest] = answers.values();
  return rest.every((other) => sameLogs(first!, other)) ? first : undefined;
}

/** Runs `tasks` with at most `limit` at a time; results in order. */
async function limited<T>(items: number[], limit: number, task: (item: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!);
      }
    }),
  );
  return results;
}

/** Confirms the logs of ranges for one follower; see the module comment. */
export class LogChecker {
  readonly bloomDepth: number;
  private readonly addresses: string[];

  constructor(private readonly options: LogCheckOptions) {
    this.bloomDepth = options.bloomDepth ?? 256;
    this.addresses = options.addresses.map((a) => a.toLowerCase());
  }

  /**
   * The logs of the watched addresses in [from, to], confirmed, in chain order. `anchor` is (or resolves to) the hash
   * of block `to`
   * that a quorum agrees on; `target` the agreed head (the bloom window ends there).
   */
  async logs(
    from: number,
    to: number,
    anchor: string | Promise<string>,
    target: number,
  ): Promise<{ logs: Log[]; report: LogCheckReport }> {
    const { pool } = this.options;
    const report: LogCheckReport = { asked: [], bloomChecked: 0, proven: [], named: [] };
    const candidates = this.candidates(to);
    if (candidates.length === 0) throw new LogsNotConfirmedError(from, to, `no endpoint in rotation has block ${to}`);
    const quorum = Math.min(pool.quorum, candidates.length);
    // Fewer endpoints have the range than a quorum: their answers are checked against the headers of every block.
    const windowFrom = candidates.length < pool.quorum ? from : Math.max(from, target - this.bloomDepth + 1);

    // Ranges in the bloom window (where an exploit in progress is) ask every endpoint, so that each one's answers are
    // checked and a liar is named wherever it sits in the order; a catch-up range asks a quorum. Either way the round
    // goes on once a quorum agrees, after the pool's grace for the others.
    const asked = windowFrom <= to ? candidates : candidates.slice(0, quorum);
    const answers = new Map<string, Log[]>();
    const ask = async (endpoint: Endpoint) => {
      try {
        const raw = await endpoint.request<Record<string, unknown>[]>("eth_getLogs", [
          { address: this.addresses, fromBlock: hexNumber(from), toBlock: hexNumber(to) },
        ]);
        // An answer equal to one already held is kept as that one, compared as it came: a range's logs are built and
        // held once, not once per endpoint.
        const same = [...answers.values()].find((other) => sameAsRaw(other, raw));
        if (same !== undefined) {
          answers.set(endpoint.name, same);
          return;
        }
        const logs = raw.filter((l) => l.removed !== true).map(toLog);
        logs.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
        answers.set(endpoint.name, [...answers.values()].find((other) => sameLogs(other, logs)) ?? logs);
      } catch (error) {
        // A refused range (too wide, too many results) is the follower's to shrink: rethrown when nobody answered.
        answers.delete(endpoint.name);
        this.lastError = error;
      }
    };
    this.lastError = undefined;
    const headersFrom = windowFrom <= to ? windowFrom : undefined;
    const [headers] = await Promise.all([
      headersFrom === undefined
        ? Promise.resolve(undefined)
        : Promise.resolve(anchor).then((hash) => this.linkedHeaders(headersFrom, to, hash)),
      windowFrom <= to
        ? gather(asked.map(ask), () => agreedLogs(answers, quorum) !== undefined, pool.graceMs)
        : // A catch-up asks one endpoint after another: one range's answer in memory at a time.
          asked.reduce((done, e) => done.then(() => ask(e)), Promise.resolve()),
    ]);
    if (answers.size === 0) throw this.lastError ?? new LogsNotConfirmedError(from, to, "no endpoint answered");
    report.asked = [...answers.keys()];
    const anchorHash = (await anchor).toLowerCase();

    let agreed = agreedLogs(answers, quorum);
    if (agreed === undefined) {
      // They differ (or too few answered): ask everyone else too, then settle the blocks in dispute.
      await Promise.all(candidates.filter((e) => !asked.includes(e)).map(ask));
      report.asked = [...answers.keys()];
      if (answers.size < quorum) {
        // Refused by the others (a range too wide for them, an error): the follower shrinks the range or retries.
        throw this.lastError ?? new LogsNotConfirmedError(from, to, `only ${answers.size} endpoints answered`);
      }
      agreed = agreedLogs(answers, quorum);
      if (agreed === undefined) {
        // Answers that differ because the chain moved under them are a reorg, not a lie: nobody is named.
        const now = await pool.agreedHash(to);
        if (now !== anchorHash) throw new RangeMovedError(to);
        agreed = await this.settle(from, to, anchorHash, answers, quorum, headers, report);
      }
    }

    if (headers !== undefined) {
      agreed = await this.checkBlooms(agreed, answers, headers, report);
      report.bloomChecked = headers.size;
    }
    return { logs: agreed, report };
  }

  private lastError: unknown;

  /** Endpoints to ask for block `to`'s logs: in rotation and at `to` or above, proven liars last. */
  private candidates(to: number): Endpoint[] {
    const { pool } = this.options;
    const health = new Map(pool.health().map((h) => [h.name, h.status]));
    const preferred = pool.healthy();
    const usable = pool
      .usable()
      .filter((e) => e.head !== undefined && e.head.number >= to)
      .filter((e) => !["down", "rate-limited"].includes(health.get(e.name) ?? ""));
    const rank = (e: Endpoint) => (pool.isLiar(e.name) ? 2 : preferred.includes(e) ? 0 : 1);
    return usable.sort((a, b) => rank(a) - rank(b) || preferred.indexOf(a) - preferred.indexOf(b));
  }

  /**
   * Answers that differ: each block where they differ is proven by its receipts; a block that cannot be proven takes
   * the answer a quorum of endpoints gives for it. The endpoints the outcome contradicts are named.
   */
  private async settle(
    from: number,
    to: number,
    anchor: string,
    answers: Map<string, Log[]>,
    quorum: number,
    windowHeaders: Map<number, RpcHeader> | undefined,
    report: LogCheckReport,
  ): Promise<Log[]> {
    const perEndpoint = new Map([...answers].map(([name, logs]) => [name, byBlock(logs)]));
    const blocks = new Set<number>();
    for (const logs of answers.values()) for (const log of logs) blocks.add(log.blockNumber);
    const disputed = [...blocks]
      .filter((b) => new Set([...perEndpoint.values()].map((m) => answerKey(m.get(b) ?? []))).size > 1)
      .sort((a, b) => a - b);
    this.options.log?.("logs-disputed", {
      from,
      to,
      blocks: disputed,
      answers: Object.fromEntries([...answers].map(([name, logs]) => [name, logs.length])),
    });

    const headers =
      disputed.length === 0
        ? new Map<number, RpcHeader>()
        : windowHeaders !== undefined && disputed[0]! >= Math.min(...windowHeaders.keys())
          ? windowHeaders
          : await this.linkedHeaders(disputed[0]!, to, anchor);
    const settled = new Map<number, Log[]>();
    for (const block of disputed) {
      const header = headers?.get(block);
      const proven = header === undefined ? undefined : await this.proveBlock(header);
      if (proven !== undefined) {
        report.proven.push(block);
        settled.set(block, proven);
        this.nameContradicted(block, proven, perEndpoint, report, "its receipts, proven against the header,");
        continue;
      }
      const groups = new Map<string, { logs: Log[]; names: string[] }>();
      for (const [name, m] of perEndpoint) {
        const logs = m.get(block) ?? [];
        const group = groups.get(answerKey(logs)) ?? { logs, names: [] };
        group.names.push(name);
        groups.set(answerKey(logs), group);
      }
      const best = [...groups.values()].sort((a, b) => b.names.length - a.names.length)[0]!;
      if (best.names.length < quorum) {
        throw new LogsNotConfirmedError(
          from,
          to,
          `the endpoints disagree on block ${block}'s logs (${[...groups.values()].map((g) => `${g.names.join(", ")}: ${g.logs.length}`).join("; ")}) and its receipts could not be proven`,
        );
      }
      settled.set(block, best.logs);
      for (const group of groups.values()) {
        if (group === best) continue;
        for (const name of group.names) {
          const lie = `answered eth_getLogs for block ${block} with ${group.logs.length} logs, a quorum with ${best.logs.length}`;
          this.options.pool.exclude(name, lie);
          this.options.pool.dispute(name, lie);
          report.named.push({ endpoint: name, lie });
          this.options.log?.("logs-outvoted", {
            endpoint: name,
            block,
            logs: group.logs.length,
            quorum: best.logs.length,
          });
        }
      }
    }
    // The blocks nobody disputes: every answer has the same logs there.
    const reference = [...perEndpoint.values()][0]!;
    for (const block of blocks) if (!settled.has(block)) settled.set(block, reference.get(block) ?? []);
    return [...settled.entries()].sort(([a], [b]) => a - b).flatMap(([, logs]) => logs);
  }

  /**
   * The window's blocks against their headers: a log not in its block or not in its bloom is a lie (proven by the
   * header); a bloom that holds a watched address with no log of it has the block proven by its receipts.
   */
  private async checkBlooms(
    agreed: Log[],
    answers: Map<string, Log[]>,
    headers: Map<number, RpcHeader>,
    report: LogCheckReport,
  ): Promise<Log[]> {
    const agreedByBlock = byBlock(agreed);
    const suspect: number[] = [];
    for (const [number, header] of headers) {
      if (report.proven.includes(number)) continue;
      const bloom = getBytes(header.logsBloom);
      const logs = agreedByBlock.get(number) ?? [];
      const forged = logs.some(
        (l) =>
          l.blockHash !== header.hash.toLowerCase() ||
          !bloomMayHold(bloom, l.address) ||
          l.topics.some((t) => !bloomMayHold(bloom, t)),
      );
      const missing = this.addresses.some(
        (address) => bloomMayHold(bloom, address) && !logs.some((l) => l.address === address),
      );
      if (forged || missing) suspect.push(number);
    }
    if (suspect.length === 0) return agreed;
    const perEndpoint = new Map([...answers].map(([name, logs]) => [name, byBlock(logs)]));
    for (const number of suspect) {
      const proven = await this.proveBlock(headers.get(number)!);
      if (proven === undefined) {
        // A bloom's false positive cannot be told from an omission without the receipts: the quorum's answer stands.
        this.options.log?.("logs-bloom-unproven", { block: number, logs: agreedByBlock.get(number)?.length ?? 0 });
        continue;
      }
      report.proven.push(number);
      agreedByBlock.set(number, proven);
      this.nameContradicted(number, proven, perEndpoint, report, "its receipts, proven against the header,");
    }
    return [...agreedByBlock.entries()].sort(([a], [b]) => a - b).flatMap(([, logs]) => logs);
  }

  /** Names every endpoint whose answer for `block` differs from the proven logs, as a liar. */
  private nameContradicted(
    block: number,
    proven: Log[],
    perEndpoint: Map<string, Map<number, Log[]>>,
    report: LogCheckReport,
    how: string,
  ): void {
    const provenKeys = new Set(proven.map(logKey));
    for (const [name, blocks] of perEndpoint) {
      const given = blocks.get(block) ?? [];
      const givenKeys = new Set(given.map(logKey));
      const omitted = proven.filter((l) => !givenKeys.has(logKey(l))).length;
      const invented = given.filter((l) => !provenKeys.has(logKey(l))).length;
      if (omitted === 0 && invented === 0) continue;
      const lie =
        omitted > 0
          ? `omitted ${omitted} of the ${proven.length} watched logs of block ${block} from eth_getLogs (${how} hold them)`
          : `returned ${invented} logs in block ${block} that ${how} do not hold`;
      this.options.pool.markLiar(name, lie);
      report.named.push({ endpoint: name, lie });
      this.options.log?.("logs-omitted", { endpoint: name, block, omitted, invented, proven: proven.length });
    }
  }

  /**
   * Headers [from, to], linked by parent hash down from the quorum-agreed hash of `to` and each hashed here, by
   * number; from the first endpoint that serves a chain that links (a proven liar is asked last: what it serves is
   * checked like anything else). Undefined when none does (the check is skipped, and said so).
   */
  private async linkedHeaders(from: number, to: number, anchor: string): Promise<Map<number, RpcHeader> | undefined> {
    const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const refused: string[] = [];
    for (const endpoint of this.candidates(to)) {
      let headers: (RpcHeader | null)[];
      try {
        headers = await limited(numbers, 16, (n) =>
          endpoint.request<RpcHeader | null>("eth_getBlockByNumber", [hexNumber(n), false]),
        );
      } catch (error) {
        refused.push(`${endpoint.name}: ${(error as Error).message.split("\n")[0]}`);
        continue;
      }
      const byNumber = new Map<number, RpcHeader>();
      let expected = anchor.toLowerCase();
      let broken: string | undefined;
      for (let i = headers.length - 1; i >= 0; i--) {
        const header = headers[i];
        if (header === null || header === undefined) {
          broken = `does not have block ${numbers[i]}`;
          break;
        }
        if (header.hash.toLowerCase() !== expected) {
          broken = `block ${numbers[i]} is ${header.hash}, not ${expected} (the parent its child names)`;
          break;
        }
        if (headerHash(header) !== expected) {
          broken = `block ${numbers[i]}'s fields do not hash to its hash ${header.hash}`;
          break;
        }
        byNumber.set(numbers[i]!, header);
        expected = header.parentHash.toLowerCase();
      }
      if (broken === undefined) return byNumber;
      refused.push(`${endpoint.name}: ${broken}`);
    }
    this.options.log?.("logs-headers-unlinked", { from, to, refused });
    return undefined;
  }

  /**
   * The watched logs of one block from its receipts, when the receipts an endpoint serves rebuild the header's
   * `receiptsRoot`; undefined when no endpoint's do. A proven liar is asked too, last: its receipts prove or fail.
   */
  private async proveBlock(header: RpcHeader): Promise<Log[] | undefined> {
    const number = Number(header.number);
    for (const endpoint of this.candidates(number)) {
      let receipts: Record<string, unknown>[];
      try {
        receipts = await this.receiptsOf(endpoint, header);
      } catch {
        continue;
      }
      if ((await receiptsRoot(receipts)) !== header.receiptsRoot.toLowerCase()) {
        this.options.log?.("logs-receipts-refused", { endpoint: endpoint.name, block: number });
        continue;
      }
      return receipts
        .flatMap((r) => (r.logs as Record<string, unknown>[]).map(toLog))
        .map((l) => ({ ...l, blockHash: header.hash.toLowerCase(), blockNumber: number }))
        .filter((l) => this.addresses.includes(l.address))
        .sort((a, b) => a.logIndex - b.logIndex);
    }
    return undefined;
  }

  private async receiptsOf(endpoint: Endpoint, header: RpcHeader): Promise<Record<string, unknown>[]> {
    try {
      const receipts = await endpoint.request<Record<string, unknown>[] | null>("eth_getBlockReceipts", [header.hash]);
      if (receipts !== null) return receipts;
    } catch {
      // not every node has eth_getBlockReceipts: one receipt per transaction
    }
    const receipts = await limited(
      header.transactions.map((_, i) => i),
      16,
      (i) => endpoint.request<Record<string, unknown> | null>("eth_getTransactionReceipt", [header.transactions[i]]),
    );
    if (receipts.some((r) => r === null)) throw new Error("a receipt is missing");
    return receipts as Record<string, unknown>[];
  }
}

/** The root of the receipts trie of a block's receipts (JSON-RPC objects, in transaction order). */
export async function receiptsRoot(receipts: Record<string, unknown>[]): Promise<string> {
  const { MerklePatriciaTrie } = await import("@ethereumjs/mpt");
  const trie = new MerklePatriciaTrie();
  for (const [index, receipt] of receipts.entries()) {
    const status =
      receipt.root !== undefined && receipt.status === undefined
        ? String(receipt.root)
        : BigInt(String(receipt.status)) === 1n
          ? "0x01"
          : "0x";
    const logs = (receipt.logs as Record<string, unknown>[]).map((l) => [
      String(l.address),
      (l.topics as string[]).map(String),
      String(l.data),
    ]);
    const body = encodeRlp([status, quantity(receipt.cumulativeGasUsed), String(receipt.logsBloom), logs]);
    const type = Number(receipt.type ?? 0);
    const encoded = type === 0 ? body : concat([new Uint8Array([type]), body]);
    await trie.put(getBytes(encodeRlp(quantity(index))), getBytes(encoded));
  }
  return `0x${Buffer.from(trie.root()).toString("hex")}`;
}
