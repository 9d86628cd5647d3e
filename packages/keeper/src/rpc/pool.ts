import { keccak256 } from "ethers/crypto";

import { type BlockHead, Endpoint, type EndpointConfig, parseHead } from "./endpoint.js";
import { CordonError } from "../errors.js";
import { NoHealthyEndpointError, QuorumNotReachedError, RpcResponseError } from "./errors.js";

export interface PoolConfig {
  endpoints: EndpointConfig[];
  /**
   * A node more than this many blocks behind the reference head (the highest head a quorum of endpoints has reached)
   * is out of rotation until it catches up. Default 2: a node one block behind is not a failure.
   */
  maxLagBlocks?: number;
  /** How many endpoints must agree on a critical read. Default: a majority of the configured endpoints. */
  quorum?: number;
  /** Consecutive errors after which an endpoint is out of rotation until a request to it succeeds. Default 3. */
  maxConsecutiveErrors?: number;
  /**
   * Once a quorum has answered a round (heads, a critical read, a broadcast), how long to wait for the others before
   * going on without them; their answers are still recorded when they come. Default 150 ms: a slow node costs the
   * watcher this, not its timeout.
   */
  graceMs?: number;
  /**
   * After an answer of an endpoint was contradicted ({@link RpcPool.dispute}: a simulation a quorum did not confirm, a
   * subscription that went silent), how long it is `disputed`: named in its status, still in rotation but asked after
   * every healthy endpoint, and a vote in quorum reads as before. Default 60,000 ms.
   */
  disputedForMs?: number;
}

export type EndpointStatus =
  "healthy" | "down" | "lagging" | "ahead" | "diverging" | "disputed" | "rate-limited" | "unknown";

export interface EndpointHealth {
  name: string;
  status: EndpointStatus;
  /** Why it is not healthy, in words. */
  reason: string | undefined;
  head: number | undefined;
  lag: number | undefined;
  latencyMs: number;
  recentErrors: number;
  /** Answers of this endpoint that a quorum or a proof contradicted in this run ({@link RpcPool.dispute}). */
  disputes: number;
  /** The last of them, in words. */
  lastDispute: string | undefined;
}

export interface QuorumResult<T> {
  result: T;
  agreed: string[];
  disagreed: string[];
  failed: string[];
}

export interface BroadcastResult {
  hash: string;
  accepted: string[];
  rejected: { endpoint: string; error: string }[];
}

const ACCEPTED_ANYWAY = /already known|known transaction|already imported|transaction already exists/i;

/**
 * The keeper's rule: no decision to act, to skip or to stop looking rests on one endpoint's answer. A read that
 * decides is agreed by a quorum of endpoints ({@link RpcPool.quorumRead}, {@link RpcPool.agreedBlock}, the agreed
 * head of {@link RpcPool.refresh}) or proven (src/proof: a verified call against a quorum's header; the follower's
 * logs against their blocks' receipts and blooms, src/follower/logs.ts). {@link RpcPool.request} (one endpoint, the
 * best) is for what a wrong answer cannot turn into a decision: fees, a nonce hint, data that is then checked.
 *
 * Several endpoints for one chain, scored continuously on head freshness against their peers, latency and errors.
 * A node that lags, reports a different hash for the same block, or lies about state is taken out of rotation and
 * comes back when it agrees again. Critical reads go through {@link RpcPool.quorumRead}; transactions are broadcast to
 * every healthy endpoint.
 */
export class RpcPool {
  readonly endpoints: Endpoint[];
  readonly maxLagBlocks: number;
  readonly quorum: number;
  readonly maxConsecutiveErrors: number;
  readonly graceMs: number;
  /** The highest head that a quorum of endpoints has reached, as of the last refresh. */
  referenceHead: number | undefined;
  /** The newest block a quorum agrees on (number and hash), as of the last refresh. */
  agreedHead: BlockHead | undefined;
  private readonly diverging = new Map<string, string>();
  private readonly liars = new Map<string, string>();
  private readonly disputes = new Map<string, { count: number; last: string; at: number }>();
  readonly disputedForMs: number;

  constructor(config: PoolConfig) {
    if (config.endpoints.length === 0) throw new CordonError("an RPC pool needs at least one endpoint");
    const names = new Set(config.endpoints.map((e) => e.name));
    if (names.size !== config.endpoints.length) throw new CordonError("endpoint names must be unique");
    this.endpoints = config.endpoints.map((e) => new Endpoint(e));
    this.maxLagBlocks = config.maxLagBlocks ?? 2;
    this.quorum = config.quorum ?? Math.floor(config.endpoints.length / 2) + 1;
    this.maxConsecutiveErrors = config.maxConsecutiveErrors ?? 3;
    this.graceMs = config.graceMs ?? 150;
    this.disputedForMs = config.disputedForMs ?? 60_000;
    if (this.quorum < 1 || this.quorum > this.endpoints.length) {
      throw new CordonError(`quorum ${this.quorum} must be between 1 and the number of endpoints`, {
        details: `${this.endpoints.length} endpoints are configured`,
      });
    }
  }

  /** Takes an endpoint out of rotation for `reason` (e.g. it serves another chain), as if it diverged. */
  exclude(name: string, reason: string): void {
    this.diverging.set(name, reason);
  }

  /**
   * Marks an endpoint proven to lie (an answer that a proof, a header's hash or a proven result contradicts) for the
   * rest of the run: it is reported as diverging with the lie, is never preferred for a plain read, and provers
   * (src/proof) ask it for no proof, code or ancestor header again. Unlike a divergence, agreeing with a quorum on the
   * next block does not clear it. Its answers to quorum reads and its headers still count as votes: each is checked
   * (outvoted, or contradicted by a proof) like any other, and leaving them out would make a quorum of three
   * endpoints with two liars unreachable for good, so that the keeper could no longer confirm its own pause.
   */
  markLiar(name: string, lie: string): void {
    if (!this.liars.has(name)) this.liars.set(name, lie);
    this.dispute(name, lie);
  }

  /**
   * Scores an answer of `name` that a quorum or a proof contradicted (`what`, in words): an omitted log, a simulation
   * that said there was nothing to do, a lie a proof exposed. Counted for the run (`disputes` in {@link health},
   * `cordon_endpoint_disputes` in the metrics); for `disputedForMs` after, the endpoint's status is `disputed` (unless it
   * is out of rotation for a worse reason).
   */
  dispute(name: string, what: string): void {
    const entry = this.disputes.get(name) ?? { count: 0, last: what, at: 0 };
    entry.count += 1;
    entry.last = what;
    entry.at = Date.now();
    this.disputes.set(name, entry);
  }

  /** Whether `name` was proven to lie in this run ({@link markLiar}). */
  isLiar(name: string): boolean {
    return this.liars.has(name);
  }

  /** Out of rotation: diverging, or proven to lie. */
  private out(name: string): boolean {
    return this.diverging.has(name) || this.liars.has(name);
  }

  /**
   * The endpoints whose votes count: all but those diverging (or serving another chain), whatever their health. A
   * proven liar still votes, as in every quorum read ({@link markLiar}).
   */
  usable(): Endpoint[] {
    return this.endpoints.filter((e) => !this.diverging.has(e.name));
  }

  /** Closes every WebSocket endpoint's connection for good (HTTP endpoints hold nothing open). */
  close(): void {
    for (const endpoint of this.endpoints) endpoint.close();
  }

  /**
   * Asks every endpoint for its latest block, then checks that those at the reference height agree on its hash.
   * Returns the health of every endpoint.
   */
  async refresh(): Promise<EndpointHealth[]> {
    const fresh = new Set<Endpoint>();
    await gather(
      this.endpoints.map(async (endpoint) => {
        try {
          endpoint.head = parseHead(endpoint.name, await endpoint.request("eth_getBlockByNumber", ["latest", false]));
          fresh.add(endpoint);
        } catch {
          // recorded in the endpoint's stats
        }
      }),
      () => fresh.size >= this.quorum,
      this.graceMs,
    );

    const heads = [...fresh].map((e) => e.head!.number).sort((a, b) => b - a);
    // The quorum-th highest head: a single node claiming a far-ahead head cannot make the others look behind.
    this.referenceHead = heads.length >= this.quorum ? heads[this.quorum - 1] : heads.at(-1);

    if (this.referenceHead !== undefined) await this.checkAgreement(this.referenceHead, [...fresh]);
    return this.health();
  }

  /** Compares the hash of block `height` across the endpoints that have it; the odd ones out are diverging. */
  private async checkAgreement(height: number, candidates: Endpoint[]): Promise<void> {
    const atHeight = candidates.filter((e) => e.head!.number >= height);
    const hashes = new Map<string, { head: BlockHead; endpoints: Endpoint[] }>();
    await Promise.all(
      atHeight.map(async (endpoint) => {
        try {
          const head =
            endpoint.head!.number === height
              ? endpoint.head!
              : parseHead(endpoint.name, await endpoint.request("eth_getBlockByNumber", [hexNumber(height), false]));
          const group = hashes.get(head.hash) ?? { head, endpoints: [] };
          group.endpoints.push(endpoint);
          hashes.set(head.hash, group);
        } catch {
          // recorded in the endpoint's stats
        }
      }),
    );
    const groups = [...hashes.values()].sort((a, b) => b.endpoints.length - a.endpoints.length);
    const majority = groups[0];
    if (majority === undefined || majority.endpoints.length < this.quorum) {
      this.agreedHead = undefined;
      return; // no quorum: nobody can be called the liar
    }
    this.agreedHead = majority.head;
    for (const e of majority.endpoints) this.diverging.delete(e.name);
    for (const group of groups.slice(1)) {
      for (const e of group.endpoints) {
        this.diverging.set(
          e.name,
          `reports hash ${group.head.hash} for block ${height}, a quorum reports ${majority.head.hash}`,
        );
      }
    }
  }

  /**
   * Block `number` as a quorum of the endpoints in rotation serves it (its hash lowercase), or undefined when no
   * quorum serves one (the endpoints disagree, or too few have the block yet).
   */
  async agreedBlock(number: number): Promise<BlockHead | undefined> {
    const votes = new Map<string, { head: BlockHead; count: number }>();
    let decided: BlockHead | undefined;
    await gather(
      this.usable().map(async (endpoint) => {
        let head: BlockHead;
        try {
          const block = await endpoint.request("eth_getBlockByNumber", [hexNumber(number), false]);
          if (block === null) return;
          head = parseHead(endpoint.name, block);
        } catch {
          return; // recorded in the endpoint's stats
        }
        const hash = head.hash.toLowerCase();
        const vote = votes.get(hash) ?? { head: { ...head, hash }, count: 0 };
        vote.count += 1;
        votes.set(hash, vote);
        if (decided === undefined && vote.count >= this.quorum) decided = vote.head;
      }),
      () => decided !== undefined,
      0,
    );
    return decided;
  }

  /** The hash of block `number` a quorum serves ({@link agreedBlock}), lowercase. */
  async agreedHash(number: number): Promise<string | undefined> {
    return (await this.agreedBlock(number))?.hash;
  }

  /** The health of every endpoint as of now. */
  health(): EndpointHealth[] {
    return this.endpoints.map((e) => {
      const [status, reason] = this.statusOf(e);
      const lag =
        e.head !== undefined && this.referenceHead !== undefined ? this.referenceHead - e.head.number : undefined;
      return {
        name: e.name,
        status,
        reason,
        head: e.head?.number,
        lag,
        latencyMs: Math.round(e.stats.latencyMs),
        recentErrors: e.stats.recentErrors,
        disputes: this.disputes.get(e.name)?.count ?? 0,
        lastDispute: this.disputes.get(e.name)?.last,
      };
    });
  }

  private statusOf(e: Endpoint): [EndpointStatus, string | undefined] {
    const lie = this.liars.get(e.name);
    if (lie !== undefined) return ["diverging", `proven to lie: ${lie}`];
    if (e.stats.rateLimitedUntil > Date.now()) return ["rate-limited", "answered HTTP 429; backing off"];
    if (e.stats.consecutiveErrors >= this.maxConsecutiveErrors) {
      return ["down", `${e.stats.consecutiveErrors} errors in a row: ${e.stats.lastError}`];
    }
    const divergence = this.diverging.get(e.name);
    if (divergence !== undefined) return ["diverging", divergence];
    if (e.head === undefined) return ["unknown", "has not answered yet"];
    if (this.referenceHead !== undefined && this.referenceHead - e.head.number > this.maxLagBlocks) {
      return [
        "lagging",
        `head ${e.head.number} is ${this.referenceHead - e.head.number} blocks behind ${this.referenceHead}`,
      ];
    }
    // A head above the quorum's reference is a claim nobody else backs yet (a node just ahead, or one that wants to be
    // preferred so its other answers stick): out of rotation until a quorum reaches it, never preferred for it.
    if (this.referenceHead !== undefined && e.head.number > this.referenceHead) {
      return [
        "ahead",
        `claims head ${e.head.number}, ${e.head.number - this.referenceHead} above the ${this.referenceHead} a quorum has reached: unconfirmed until a quorum reaches it`,
      ];
    }
    const dispute = this.disputes.get(e.name);
    if (dispute !== undefined && Date.now() - dispute.at < this.disputedForMs) {
      return ["disputed", `contradicted ${Math.round((Date.now() - dispute.at) / 1000)} s ago: ${dispute.last}`];
    }
    return ["healthy", undefined];
  }

  /**
   * Endpoints in rotation, best first: healthy before disputed, then least lag, fewest recent errors, lowest latency.
   */
  healthy(): Endpoint[] {
    const ref = this.referenceHead ?? 0;
    const status = new Map(this.endpoints.map((e) => [e, this.statusOf(e)[0]]));
    return this.endpoints
      .filter((e) => status.get(e) === "healthy" || status.get(e) === "disputed")
      .sort(
        (a, b) =>
          Number(status.get(a) === "disputed") - Number(status.get(b) === "disputed") ||
          ref - (a.head?.number ?? 0) - (ref - (b.head?.number ?? 0)) ||
          a.stats.recentErrors - b.stats.recentErrors ||
          a.stats.latencyMs - b.stats.latencyMs,
      );
  }

  /**
   * A read from the best endpoint, failing over to the next on errors that another node may not have. With no
   * healthy endpoint it tries the rest (never a diverging one) before giving up.
   */
  async request<T>(method: string, params: unknown[] = []): Promise<T> {
    const healthy = this.healthy();
    const fallback = this.endpoints.filter((e) => !healthy.includes(e) && !this.out(e.name));
    const failures: { endpoint: string; error: string }[] = [];
    for (const endpoint of [...healthy, ...fallback]) {
      try {
        return await endpoint.request<T>(method, params);
      } catch (error) {
        if (error instanceof RpcResponseError && !error.retryable) throw error;
        failures.push({ endpoint: endpoint.name, error: (error as Error).message.split("\n")[0]! });
      }
    }
    throw new NoHealthyEndpointError(method, failures);
  }

  /**
   * A critical read: asks every endpoint that is not diverging and returns the answer at least `quorum` of them
   * give. Pin state reads to a block number so that nodes at different heights can agree. Endpoints that answer
   * differently are taken out of rotation as diverging.
   */
  async quorumRead<T>(method: string, params: unknown[] = []): Promise<QuorumResult<T>> {
    // A proven liar is still asked: its answer is one vote, outvoted or disproven (src/proof) like any other lie.
    const asked = this.endpoints.filter((e) => !this.diverging.has(e.name) && this.statusOf(e)[0] !== "rate-limited");
    const groups = new Map<string, { result: T; endpoints: string[] }>();
    const failed: string[] = [];
    let decided: string | undefined; // the answer a quorum gave, once it has
    let closed = false; // the round is over: later answers only update endpoint health
    await gather(
      asked.map(async (endpoint) => {
        let result: T;
        try {
          result = await endpoint.request<T>(method, params);
        } catch {
          failed.push(endpoint.name);
          return;
        }
        const key = JSON.stringify(result);
        const group = groups.get(key) ?? { result, endpoints: [] };
        group.endpoints.push(endpoint.name);
        groups.set(key, group);
        if (decided === undefined && group.endpoints.length >= this.quorum) decided = key;
        // An answer after the round closed that contradicts the quorum still takes its endpoint out of rotation.
        else if (decided !== undefined && key !== decided && closed) {
          this.diverging.set(endpoint.name, `answered ${method} differently from a quorum`);
        }
      }),
      () => decided !== undefined,
      this.graceMs,
    );
    closed = true;
    const sorted = [...groups.values()].sort((a, b) => b.endpoints.length - a.endpoints.length);
    const best = sorted[0];
    if (best === undefined || best.endpoints.length < this.quorum) {
      throw new QuorumNotReachedError(
        method,
        this.quorum,
        sorted.map((g) => ({ endpoints: g.endpoints, result: JSON.stringify(g.result) })),
      );
    }
    const disagreed = sorted.slice(1).flatMap((g) => g.endpoints);
    for (const name of disagreed) {
      // Not scored as a dispute: the quorum may be the liars (two endpoints agreeing on a false state outvote the
      // honest one); what a proof contradicts is scored, through markLiar.
      this.diverging.set(name, `answered ${method} differently from a quorum`);
    }
    return { result: best.result, agreed: best.endpoints, disagreed, failed };
  }

  /** Sends a signed transaction to every healthy endpoint (every non-diverging one if none is healthy). */
  async broadcast(rawTransaction: string): Promise<BroadcastResult> {
    const hash = keccak256(rawTransaction);
    // An endpoint ahead of the quorum is not trusted for reads, but sending it the transaction too costs nothing.
    const healthy = [...this.healthy(), ...this.endpoints.filter((e) => this.statusOf(e)[0] === "ahead")];
    // With no healthy endpoint, even a proven liar gets the transaction: the worst it can do is drop it.
    const targets = healthy.length > 0 ? healthy : this.endpoints.filter((e) => !this.diverging.has(e.name));
    const accepted: string[] = [];
    const rejected: { endpoint: string; error: string }[] = [];
    await gather(
      targets.map(async (endpoint) => {
        try {
          await endpoint.request<string>("eth_sendRawTransaction", [rawTransaction]);
          accepted.push(endpoint.name);
        } catch (error) {
          const message = (error as Error).message.split("\n")[0]!;
          if (ACCEPTED_ANYWAY.test(message)) accepted.push(endpoint.name);
          else rejected.push({ endpoint: endpoint.name, error: message });
        }
      }),
      () => accepted.length > 0,
      this.graceMs,
    );
    return { hash, accepted, rejected };
  }
}

/**
 * Waits for `tasks` (which never reject) until all are done, or until `enough()` has held for `graceMs`: a slow
 * endpoint costs a round the grace, not its timeout. The tasks left running still finish and record their results.
 */
export async function gather(tasks: Promise<void>[], enough: () => boolean, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let release!: () => void;
  const early = new Promise<void>((resolve) => (release = resolve));
  const check = () => {
    if (timer === undefined && enough()) timer = setTimeout(release, graceMs);
  };
  for (const task of tasks) void task.then(check);
  check();
  try {
    await Promise.race([Promise.all(tasks), early]);
  } finally {
    clearTimeout(timer);
  }
}

export function hexNumber(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}
