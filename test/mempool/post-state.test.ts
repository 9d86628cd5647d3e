/**
 * Detectors that read state judge a pending transaction by the state after it: a quorum of diff-mode prestate traces
 * (`debug_traceCall`, `prestateTracer`) gives the post-state, and the detectors' reads pinned to the pending block are
 * served as `eth_call` quorum reads on the head with that diff as state override. Run against both local node
 * implementations, each behind three fault-injecting proxies (quorum 2), with automine off so that the transactions
 * stay pending: `hardhat node` (EDR) and anvil (skipped where its npm package is not installed). Both serve the tracer
 * in diff mode and `eth_call` state overrides; neither takes an override in `eth_getBalance` or `eth_getStorageAt`
 * (those are served from the agreed diff); only anvil serves `eth_simulateV1`, which is not needed. The proxies refuse
 * state reads above the head as a production node does, since both dev nodes would answer them from their own pending
 * block (every pending transaction, not the one judged).
 *
 * An exploit whose danger shows only in state (the invariant it breaks, the vault's assets under a threshold, a tvl
 * drop) is flagged while still pending; a harmless deposit is not; an endpoint lying about the post-state is outvoted
 * and disputed; with no quorum on a post-state the state detectors are left out, logged and counted, and the log
 * detectors still judge.
 */
import { expect } from "chai";
import type { Contract } from "ethers";

import { functionFragment } from "@cordon/keeper/detectors/abi-spec.js";
import { invariantDetector } from "@cordon/keeper/detectors/invariant.js";
import { largeTransferDetector } from "@cordon/keeper/detectors/transfers.js";
import { tvlDropDetector } from "@cordon/keeper/detectors/tvl.js";
import type { Detector } from "@cordon/keeper/detectors/types.js";
import { viewDetector } from "@cordon/keeper/detectors/view.js";
import { judgePending } from "@cordon/keeper/mempool/judge.js";
import { type PendingTx, toPendingTx } from "@cordon/keeper/mempool/pending.js";
import { postStateOf, stateOverride } from "@cordon/keeper/mempool/post-state.js";
import { simulatePending } from "@cordon/keeper/mempool/simulate.js";
import { MempoolStage } from "@cordon/keeper/mempool/stage.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { anvilBinary } from "@cordon/testkit/anvil-node.js";
import type { FaultProxy } from "@cordon/testkit/fault-proxy.js";
import { TEST_KEYS, type TestChain, startAnvilChain, startTestChain } from "@cordon/testkit/chain.js";
import { until } from "../support/keeper-config.js";
import { blockRange } from "../support/range.js";
import { deploySampleProtocol, E18, type SampleProtocol } from "../support/protocol.js";
import { latestHead } from "../support/mempool.js";

const GWEI = 10n ** 9n;
const FEES = { maxPriorityFeePerGas: 2n * GWEI, maxFeePerGas: 50n * GWEI, gasLimit: 500_000 };

const STATE_READS = ["eth_call", "eth_getBalance", "eth_getStorageAt", "eth_getCode", "eth_getTransactionCount"];
const isPrestate = (method: string, params: unknown[]) =>
  method === "debug_traceCall" && (params[2] as { tracer?: string } | undefined)?.tracer === "prestateTracer";

const IMPLEMENTATIONS: { name: string; start: (names: string[]) => Promise<TestChain>; installed: boolean }[] = [
  { name: "hardhat node", start: (names) => startTestChain(names), installed: true },
  { name: "anvil", start: startAnvilChain, installed: anvilBinary() !== undefined },
];

for (const implementation of IMPLEMENTATIONS) {
  describe(`Mempool post-state on ${implementation.name}: state detectors judge the state after a pending transaction`, function () {
    this.timeout(120_000);
    let chain: TestChain;
    let pool: RpcPool;
    let protocol: SampleProtocol;
    let vault: string;
    let token: string;

    before(function () {
      if (!implementation.installed) this.skip();
    });

    beforeEach(async function () {
      chain = await implementation.start(["a", "b", "c"]);
      pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
      protocol = await deploySampleProtocol(chain);
      vault = String(protocol.vault.target).toLowerCase();
      token = String(protocol.token.target).toLowerCase();
      traced = new Map();
      frozenHead = Number.MAX_SAFE_INTEGER;
      for (const proxy of chain.proxies) watch(proxy);
    });

    afterEach(async function () {
      pool?.close();
      await chain?.stop();
    });

    /** The detectors that read state: none of them looks at a log. */
    function stateDetectors(): Detector[] {
      return [
        invariantDetector({ target: vault }),
        tvlDropDetector({
          token,
          holder: vault,
          windowBlocks: 10,
          dropPercent: 0.5,
          response: { kind: "pause", reason: 0x0101 },
        }),
        viewDetector({
          name: "vault-assets",
          contract: token,
          function: functionFragment("function balanceOf(address account) view returns (uint256)"),
          args: [vault],
          condition: 'value < uint256("100500e18")',
          severity: "critical",
          response: { kind: "pause", reason: 0x0101 },
        }),
      ];
    }

    /** Lets the detectors see the mined head first (the watcher would), then stops mining: what is sent stays pending. */
    async function minedThenPending(detectors: Detector[]): Promise<void> {
      const range = await blockRange(chain.node);
      for (const detector of detectors) expect(await detector.evaluate({ pool, range })).to.deep.equal([]);
      await chain.node.rpc("evm_setAutomine", [false]);
      frozenHead = range.to;
    }

    async function pendingTx(hash: string): Promise<PendingTx> {
      const raw = await chain.node.rpc("eth_getTransactionByHash", [hash]);
      const tx = toPendingTx(raw, "test", Date.now(), new Set([vault]));
      expect(tx, "the transaction is pending").to.not.equal(undefined);
      return tx!;
    }

    async function judge(detectors: Detector[], tx: PendingTx) {
      await pool.refresh();
      const head = (await pool.agreedBlock(await chain.provider.getBlockNumber()))!;
      const simulation = (await simulatePending(pool, tx, head.number))!;
      expect(simulation, "a quorum traced it").to.not.equal(undefined);
      const counts = { unjudged: 0 };
      const logs: { event: string; fields: Record<string, unknown> }[] = [];
      const findings = await judgePending(detectors, pool, tx, simulation, head, {
        counts,
        log: (event, fields) => logs.push({ event, fields }),
      });
      return { findings, counts, logs, head };
    }

    /**
     * Prestate traces each proxy served; `lie` rewrites that proxy's. Like a production node (geth answers "header not
     * found"), every proxy refuses state reads pinned above `frozenHead`: hardhat node and anvil would answer them from
     * their own pending block, which holds every pending transaction, not the one judged.
     */
    let traced: Map<string, number>;
    let frozenHead: number;
    function watch(proxy: FaultProxy, lie?: (result: unknown) => unknown): void {
      proxy.fault = {
        kind: "rewrite",
        rewrite: (method, params, result) => {
          const block = STATE_READS.includes(method) ? params.at(-1) : undefined;
          if (typeof block === "string" && block.startsWith("0x") && Number(block) > frozenHead) {
            throw new Error(`header not found: block ${Number(block)} is above the head`); // the proxy answers 502
          }
          if (!isPrestate(method, params)) return result;
          traced.set(proxy.name, (traced.get(proxy.name) ?? 0) + 1);
          return lie === undefined ? result : lie(result);
        },
      };
    }
    const prestateCalls = () => [...traced.values()].reduce((a, b) => a + b, 0);
    /** The exploit (1,000 shares redeemed through the vault's flaw), sent and seen pending. */
    const pendingExploit = async (): Promise<PendingTx> => {
      const attacker = protocol.vault.connect(protocol.attacker) as Contract;
      const sent = await attacker.getFunction("redeem")(
        1_000n * E18,
        protocol.attacker.address,
        protocol.attacker.address,
        FEES,
      );
      return await pendingTx(sent.hash as string);
    };

    it("flags a pending exploit whose danger shows only in state: the broken invariant, the drop, the assets under a threshold", async function () {
      const detectors = stateDetectors();
      await minedThenPending(detectors);
      const tx = await pendingExploit();
      const { findings, counts, logs, head } = await judge(detectors, tx);
      expect(logs, "every detector judged it").to.deep.equal([]);
      expect(counts.unjudged).to.equal(0);
      expect(findings.map((f) => f.detector)).to.have.members(["invariant", "tvl-drop", "vault-assets"]);
      for (const finding of findings) {
        expect(finding.data).to.include({ pending: true, tx: tx.hash });
        expect(finding.blockNumber, "dated in the block it would be mined in").to.equal(head.number + 1);
      }
      const invariant = findings.find((f) => f.detector === "invariant")!;
      expect(invariant.response).to.deep.equal({ kind: "tripOnInvariant", target: vault });
      expect(Number(invariant.data.code)).to.be.greaterThan(0);
      expect(prestateCalls(), "the post-state was traced").to.be.greaterThan(0);
      // Still pending: the chain has not moved, and the mined state still holds.
      expect(await chain.provider.getBlockNumber()).to.equal(head.number);
      expect(
        await invariantDetector({ target: vault }).evaluate({ pool, range: await blockRange(chain.node) }),
      ).to.deep.equal([]);

      // Once mined, the same detector judges the block the same way.
      await chain.node.rpc("evm_mine", []);
      frozenHead += 1;
      const mined = await invariantDetector({ target: vault }).evaluate({ pool, range: await blockRange(chain.node) });
      expect(mined.map((f) => f.data.code)).to.deep.equal([invariant.data.code]);
    });

    it("does not flag a harmless pending deposit: its post-state is read and nothing is found", async function () {
      const deployer = await chain.wallet(TEST_KEYS.deployer);
      await (
        await (protocol.token.connect(deployer) as Contract).getFunction("mint")(deployer.address, 10n * E18)
      ).wait();
      const detectors = stateDetectors();
      await minedThenPending(detectors);
      const sent = await (protocol.vault.connect(deployer) as Contract).getFunction("deposit")(
        10n * E18,
        deployer.address,
        FEES,
      );
      const tx = await pendingTx(sent.hash as string);
      const { findings, counts, logs } = await judge(detectors, tx);
      expect(findings).to.deep.equal([]);
      expect(logs).to.deep.equal([]);
      expect(counts.unjudged).to.equal(0);
      expect(prestateCalls(), "the post-state was traced").to.be.greaterThan(0);
    });

    it("outvotes and disputes an endpoint that lies about the post-state", async function () {
      // Endpoint a hides every change in its diffs; b is slow, so that a quorum-first round asks a and c.
      watch(chain.proxies[0]!, () => ({ pre: {}, post: {} }));
      chain.proxies[1]!.fault = { kind: "slow", delayMs: 60 };
      for (let i = 0; i < 3; i++) await pool.refresh();
      const detectors = stateDetectors();
      await minedThenPending(detectors);
      const tx = await pendingExploit();
      const { findings, counts } = await judge(detectors, tx);
      expect(counts.unjudged).to.equal(0);
      expect(findings.map((f) => f.detector)).to.have.members(["invariant", "tvl-drop", "vault-assets"]);
      expect(traced.get("a"), "the liar was asked").to.equal(1);
      const a = pool.health().find((h) => h.name === "a")!;
      expect(a.disputes, "the lying endpoint is disputed").to.be.greaterThan(0);
      expect(a.lastDispute).to.match(/post-state of pending/);
      for (const name of ["b", "c"]) expect(pool.health().find((h) => h.name === name)!.disputes).to.equal(0);
    });

    it("with no quorum on the post-state, leaves the state detectors out, logged and counted; the log detectors still judge", async function () {
      // a hides the changes, b answers something that is no diff: only c traces honestly, and one endpoint decides nothing.
      watch(chain.proxies[0]!, () => ({ pre: {}, post: {} }));
      watch(chain.proxies[1]!, () => "0x");
      const detectors = [
        ...stateDetectors(),
        largeTransferDetector({ token, from: vault, threshold: 500n * E18, severity: "critical" }),
      ];
      await minedThenPending(detectors);
      const tx = await pendingExploit();
      const { findings, counts, logs } = await judge(detectors, tx);
      expect(findings.map((f) => f.detector)).to.deep.equal(["large-transfer"]);
      expect(findings[0]!.data).to.include({ pending: true, tx: tx.hash });
      expect(counts.unjudged).to.equal(3);
      expect(logs.map((l) => l.event)).to.deep.equal(["pending-unjudged", "pending-unjudged", "pending-unjudged"]);
      expect(logs.map((l) => l.fields.detector)).to.have.members(["invariant", "tvl-drop", "vault-assets"]);
      for (const { fields } of logs) {
        expect(fields.tx).to.equal(tx.hash);
        expect(String(fields.error)).to.match(
          /no quorum of endpoints agrees on the state after the pending transaction/,
        );
      }
      expect(prestateCalls(), "traced once for the three detectors, by each endpoint").to.equal(3);
    });

    it("as one stage: detectors that read state alone find a pending exploit, and the pause is ordered first", async function () {
      const detectors = [
        invariantDetector({ target: vault }),
        tvlDropDetector({
          token,
          holder: vault,
          windowBlocks: 10,
          dropPercent: 0.5,
          response: { kind: "pause", reason: 0x0101 },
        }),
      ];
      await minedThenPending(detectors);
      await pool.refresh();
      const head = await latestHead(chain.provider);
      const keeper = await chain.wallet(TEST_KEYS.keeper);
      const actions: string[] = [];
      const pauses: string[] = [];
      const stage = new MempoolStage({
        pool,
        detectors,
        addresses: [vault, token],
        head: () => head,
        feeCeiling: 2000n * GWEI,
        onAction: async (finding, _tx, fees) => {
          actions.push(finding.detector);
          const sent = await (protocol.hub.connect(keeper) as Contract).getFunction("pause")(0x0101, {
            ...fees,
            gasLimit: 3_000_000,
          });
          pauses.push(sent.hash as string);
        },
      });
      // Handed to the stage directly: anvil has no eth_pendingTransactions for the source to poll (txpool_content only).
      try {
        const exploit = await pendingExploit();
        stage.enqueue(exploit);
        await until(
          async () => pauses.length,
          (n) => n > 0,
          10_000,
        );
        await stage.settled();
        expect(actions, "one action, from a detector that reads state").to.have.length(1);
        expect(["invariant", "tvl-drop"]).to.include(actions[0]);
        expect(stage.counts.flagged, "one action per transaction: the first acting finding ends its judging").to.equal(
          1,
        );
        expect(stage.counts.unjudged).to.equal(0);
        await chain.node.rpc("evm_mine", []);
        frozenHead += 1;
        const pauseReceipt = (await chain.provider.getTransactionReceipt(pauses[0]!))!;
        const exploitReceipt = (await chain.provider.getTransactionReceipt(exploit.hash))!;
        expect(pauseReceipt.blockNumber).to.equal(exploitReceipt.blockNumber);
        expect(pauseReceipt.index, "the pause is ordered first").to.be.lessThan(exploitReceipt.index);
        expect(exploitReceipt.status, "the exploit reverts").to.equal(0);
      } finally {
        stage.stop();
      }
    });
  });
}

describe("Mempool post-state: a diff-mode prestate trace as a state override", function () {
  it("reads a cleared slot as zero and a deleted account as empty, normalised whatever the case and padding", function () {
    const slot = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
    const accounts = postStateOf({
      pre: {
        "0xAA00000000000000000000000000000000000001": {
          balance: "0x10",
          nonce: 1,
          storage: { "0x1": "0x5", [slot(2)]: "0x7" },
        },
        "0xbb00000000000000000000000000000000000002": { balance: "0x1", code: "0x6000" },
      },
      post: {
        "0xaa00000000000000000000000000000000000001": { balance: "0x0F", nonce: 2, storage: { [slot(2)]: "0x08" } },
      },
    });
    expect(accounts).to.deep.equal({
      "0xaa00000000000000000000000000000000000001": {
        balance: "0xf",
        nonce: "0x2",
        storage: { [slot(1)]: slot(0), [slot(2)]: slot(8) },
      },
      "0xbb00000000000000000000000000000000000002": {
        balance: "0x0",
        nonce: "0x0",
        code: "0x",
        storage: {},
        deleted: true,
      },
    });
    expect(stateOverride({ onBlock: 1, accounts, agreed: [] })).to.deep.equal({
      "0xaa00000000000000000000000000000000000001": {
        balance: "0xf",
        nonce: "0x2",
        stateDiff: { [slot(1)]: slot(0), [slot(2)]: slot(8) },
      },
      "0xbb00000000000000000000000000000000000002": { balance: "0x0", nonce: "0x0", code: "0x", state: {} },
    });
  });
});
