/**
 * The pending-transaction stage against a `hardhat node` whose mempool orders by fee (automine off, blocks mined by
 * the test), through three proxies (quorum 2): an exploit sent to the public mempool is seen, simulated by a quorum of
 * traces, judged by the same detector that judges blocks, and beaten by a pause priced to be ordered first in the same
 * block, so the exploit reverts and nothing leaves the vault. An endpoint whose trace hides the exploit is outvoted
 * and disputed; a look-alike that never lands spends the budget of pending-triggered actions once.
 */
import { expect } from "chai";
import { Contract } from "ethers";

import { largeTransferDetector } from "@cordon/keeper/detectors/transfers.js";
import { frontRunFees, judgePending, PendingBudget } from "@cordon/keeper/mempool/judge.js";
import { type PendingTx, PendingSource } from "@cordon/keeper/mempool/pending.js";
import { simulatePending } from "@cordon/keeper/mempool/simulate.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { until } from "../support/keeper-config.js";
import { deploySampleProtocol, E18 } from "../support/protocol.js";

const GWEI = 10n ** 9n;

describe("Mempool: an exploit seen pending is simulated, judged and beaten in its own block", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let pool: RpcPool;

  beforeEach(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
  });

  afterEach(async function () {
    pool?.close();
    await chain?.stop();
  });

  it("pauses first in the exploit's block: the exploit reverts, nothing is drained; a lying trace is outvoted", async function () {
    const protocol = await deploySampleProtocol(chain);
    const vault = String(protocol.vault.target).toLowerCase();
    const token = String(protocol.token.target).toLowerCase();
    const before = (await protocol.token.getFunction("balanceOf")(vault)) as bigint;
    // Endpoint a hides every log in its traces.
    chain.proxies[0]!.fault = {
      kind: "rewrite",
      rewrite: (method, _params, result) =>
        method === "debug_traceCall" ? { ...(result as object), logs: [], calls: [] } : result,
    };
    await chain.node.rpc("evm_setAutomine", [false]);

    const seen: PendingTx[] = [];
    const source = new PendingSource({
      pool,
      addresses: [vault],
      pollIntervalMs: 50,
      onTransaction: (tx) => seen.push(tx),
    });
    source.start();
    try {
      const attacker = protocol.vault.connect(protocol.attacker) as Contract;
      const sent = await attacker.getFunction("redeem")(
        1_000n * E18,
        protocol.attacker.address,
        protocol.attacker.address,
        {
          maxPriorityFeePerGas: 2n * GWEI,
          maxFeePerGas: 50n * GWEI,
          gasLimit: 500_000,
        },
      );
      const exploit = (await until(
        async () => seen.find((t) => t.hash === sent.hash.toLowerCase()),
        (t) => t !== undefined,
        10_000,
      ))!;
      expect(exploit, "the exploit is seen pending").to.not.equal(undefined);
      expect(exploit.direct).to.equal(true);

      await pool.refresh(); // the keeper's watcher does this every tick
      const head = (await pool.agreedBlock(await chain.provider.getBlockNumber()))!;
      const simulation = (await simulatePending(pool, exploit, head.number))!;
      expect(simulation, "a quorum traced it").to.not.equal(undefined);
      expect(simulation.agreed).to.have.members(["b", "c"]);
      expect(simulation.touched).to.include(vault);
      expect(pool.health().find((h) => h.name === "a")!.disputes, "the hiding endpoint is disputed").to.be.greaterThan(
        0,
      );

      const detector = largeTransferDetector({
        token,
        from: vault,
        threshold: 500n * E18,
        severity: "critical",
        response: { kind: "pause", reason: 0x0101 },
      });
      const findings = await judgePending([detector], pool, exploit, simulation, head);
      expect(findings).to.have.length(1);
      expect(findings[0]!.data).to.include({ pending: true, tx: exploit.hash, value: (1_000n * E18).toString() });

      const budget = new PendingBudget();
      expect(budget.take(findings[0]!, Date.now())).to.deep.equal({ ok: true });
      const baseFee = BigInt((await chain.provider.getBlock("latest"))!.baseFeePerGas!);
      const fees = frontRunFees(exploit, baseFee, 2000n * GWEI);
      expect(fees.outbids).to.equal(true);
      const keeper = await chain.wallet(TEST_KEYS.keeper);
      const pause = await (protocol.hub.connect(keeper) as Contract).getFunction("pause")(0x0101, {
        ...fees,
        gasLimit: 3_000_000,
      });

      await chain.node.rpc("evm_mine", []);
      const pauseReceipt = (await chain.provider.getTransactionReceipt(pause.hash))!;
      const exploitReceipt = (await chain.provider.getTransactionReceipt(sent.hash))!;
      expect(exploitReceipt.blockNumber, "one block").to.equal(pauseReceipt.blockNumber);
      expect(pauseReceipt.index, "the pause is ordered first").to.be.lessThan(exploitReceipt.index);
      expect(pauseReceipt.status).to.equal(1);
      expect(exploitReceipt.status, "the exploit reverts").to.equal(0);
      expect(await protocol.token.getFunction("balanceOf")(vault), "0% drained").to.equal(before);

      // A look-alike that never lands spends nothing more: the budget allows one pending-triggered action an hour.
      const refused = budget.take(findings[0]!, Date.now());
      expect(refused.ok).to.equal(false);
      expect(refused)
        .to.have.property("why")
        .that.matches(/1 pending-triggered action\(s\) in the window already/);
      expect(source.counts.direct).to.be.greaterThanOrEqual(1);
    } finally {
      source.stop();
    }
  });

  it("prices the pause above the exploit's tip within the ceiling, and says when the ceiling leaves no room", function () {
    const exploit = { maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: 40n * GWEI };
    const fees = frontRunFees(exploit, 10n * GWEI, 1000n * GWEI);
    expect(fees.maxPriorityFeePerGas).to.equal(45n * GWEI);
    expect(fees.maxFeePerGas).to.equal(105n * GWEI);
    expect(fees.outbids).to.equal(true);
    const capped = frontRunFees(exploit, 10n * GWEI, 30n * GWEI);
    expect(capped.maxFeePerGas).to.equal(30n * GWEI);
    expect(capped.outbids).to.equal(false);
  });

  it("lets only critical pending findings act, at most maxActions per window", function () {
    const finding = (severity: "high" | "critical") =>
      ({ blockNumber: 1, blockHash: "0x", detector: "d", severity, summary: "", data: {} }) as const;
    const budget = new PendingBudget({ maxActions: 2, windowMs: 1_000 });
    expect(budget.take(finding("high"), 0)).to.deep.include({ ok: false });
    expect(budget.take(finding("critical"), 0).ok).to.equal(true);
    expect(budget.take(finding("critical"), 500).ok).to.equal(true);
    expect(budget.take(finding("critical"), 999).ok, "two in the window").to.equal(false);
    expect(budget.take(finding("critical"), 1_000).ok, "the first has left the window").to.equal(true);
  });
});
