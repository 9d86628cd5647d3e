/**
 * The pending-transaction stage against a `hardhat node` whose mempool orders by fee (automine off, blocks mined by
 * the test), through three proxies (quorum 2): an exploit sent to the public mempool is seen, simulated by a quorum of
 * traces, judged by the same detector that judges blocks, and beaten by a pause priced to be ordered first in the same
 * block, so the exploit reverts and nothing leaves the vault. An endpoint whose trace hides the exploit is outvoted
 * and disputed; a look-alike that never lands spends the budget of pending-triggered actions once.
 */
import { expect } from "chai";
import { Contract, Transaction } from "ethers";

import { frontRunFees, judgePending, PendingBudget } from "@cordon/keeper/mempool/judge.js";
import { type PendingTx, PendingSource } from "@cordon/keeper/mempool/pending.js";
import { MempoolStage } from "@cordon/keeper/mempool/stage.js";
import { simulatePending } from "@cordon/keeper/mempool/simulate.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy } from "../support/deploy.js";
import { until } from "../support/keeper-config.js";
import { deploySampleProtocol, E18 } from "../support/protocol.js";
import { latestHead, vaultDrainDetector } from "../support/mempool.js";

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
      // A quorum is asked first: the hiding endpoint decides nothing, and once asked it is disputed.
      const disputes = pool.health().find((h) => h.name === "a")!.disputes;
      if (chain.proxies[0]!.count("debug_traceCall") > 0)
        expect(disputes, "the hiding endpoint is disputed").to.be.greaterThan(0);

      const detector = vaultDrainDetector(token, vault);
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

  it("as one stage: an exploit through an attack contract is found among harmless pending transactions and paused first", async function () {
    const protocol = await deploySampleProtocol(chain);
    const vault = String(protocol.vault.target).toLowerCase();
    const token = String(protocol.token.target).toLowerCase();
    const vaultBefore = (await protocol.token.getFunction("balanceOf")(protocol.vault.target)) as bigint;
    // The attacker's contract, deployed and funded while blocks are still mined at once.
    const drainer = await deploy(protocol.attacker, "DrainLoop", "contracts/mocks", []);
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    await (
      await (protocol.token.connect(deployer) as Contract).getFunction("mint")(protocol.attacker.address, 1_000n * E18)
    ).wait();
    await (
      await (protocol.token.connect(protocol.attacker) as Contract).getFunction("approve")(drainer.target, 2n ** 255n)
    ).wait();
    await chain.node.rpc("evm_setAutomine", [false]);
    await pool.refresh();
    const keeper = await chain.wallet(TEST_KEYS.keeper);
    const agreed = () => latestHead(chain.provider);
    let head = await agreed();
    const pauses: string[] = [];
    const stage = new MempoolStage({
      pool,
      detectors: [vaultDrainDetector(token, vault)],
      addresses: [vault, token],
      head: () => head,
      feeCeiling: 2000n * GWEI,
      pollIntervalMs: 50,
      onAction: async (_finding, _tx, fees) => {
        const sent = await (protocol.hub.connect(keeper) as Contract).getFunction("pause")(0x0101, {
          ...fees,
          gasLimit: 3_000_000,
        });
        pauses.push(sent.hash as string);
      },
    });
    stage.start();
    try {
      // Harmless traffic: ether transfers between people, sent before the exploit.
      for (let i = 0; i < 5; i++)
        await deployer.sendTransaction({
          to: keeper.address,
          value: 1n,
          maxPriorityFeePerGas: 3n * GWEI,
          maxFeePerGas: 50n * GWEI,
        });
      // The exploit goes through the attacker's contract: its target is no watched contract.
      const sent = await (drainer.connect(protocol.attacker) as Contract).getFunction("drain")(
        protocol.vault.target,
        1_000n * E18,
        3,
        {
          maxPriorityFeePerGas: 2n * GWEI,
          maxFeePerGas: 50n * GWEI,
          gasLimit: 500_000,
        },
      );
      await until(
        async () => pauses.length,
        (n) => n > 0,
        10_000,
      );
      expect(pauses, "one pause").to.have.length(1);
      await stage.settled();
      expect(stage.counts.acted).to.equal(1);
      expect(stage.counts.skipped, "plain transfers to people reach no contract: not simulated").to.equal(5);
      expect(stage.counts.simulated).to.be.greaterThanOrEqual(1);
      await chain.node.rpc("evm_mine", []);
      const pauseReceipt = (await chain.provider.getTransactionReceipt(pauses[0]!))!;
      const exploitReceipt = (await chain.provider.getTransactionReceipt(sent.hash))!;
      expect(pauseReceipt.blockNumber).to.equal(exploitReceipt.blockNumber);
      expect(pauseReceipt.index).to.be.lessThan(exploitReceipt.index);
      expect(exploitReceipt.status, "the drain finds the vault closed and reverts").to.equal(0);
      expect(await protocol.token.getFunction("balanceOf")(protocol.vault.target), "0% drained").to.equal(vaultBefore);
      head = await agreed();
    } finally {
      stage.stop();
    }
  });

  it("acts on no transaction an endpoint invented: a forged sender is caught by its signature, and the endpoint is disputed", async function () {
    const protocol = await deploySampleProtocol(chain);
    const vault = String(protocol.vault.target).toLowerCase();
    const token = String(protocol.token.target).toLowerCase();
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    await chain.node.rpc("evm_setAutomine", [false]);
    await pool.refresh();
    // Endpoint a shows a "pending" redeem of the depositor's shares that nobody signed: the attacker's signature on
    // it, the depositor named as its sender. It would drain the vault if it could land.
    const nonce = await chain.provider.getTransactionCount(protocol.attacker.address, "latest");
    const call = await (protocol.vault.connect(protocol.attacker) as Contract)
      .getFunction("redeem")
      .populateTransaction(1_000n * E18, deployer.address, deployer.address);
    const signed = Transaction.from(
      await protocol.attacker.signTransaction({
        ...call,
        nonce,
        chainId: 31337n,
        type: 2,
        gasLimit: 500_000n,
        maxPriorityFeePerGas: 2n * GWEI,
        maxFeePerGas: 50n * GWEI,
      }),
    );
    const invented = {
      hash: signed.hash,
      from: deployer.address,
      to: signed.to,
      input: signed.data,
      value: "0x0",
      gas: "0x7a120",
      nonce: `0x${nonce.toString(16)}`,
      type: "0x2",
      chainId: "0x7a69",
      maxFeePerGas: `0x${(50n * GWEI).toString(16)}`,
      maxPriorityFeePerGas: `0x${(2n * GWEI).toString(16)}`,
      accessList: [],
      r: signed.signature!.r,
      s: signed.signature!.s,
      yParity: `0x${signed.signature!.yParity.toString(16)}`,
      v: `0x${signed.signature!.yParity.toString(16)}`,
      blockNumber: null,
    };
    chain.proxies[0]!.fault = {
      kind: "rewrite",
      rewrite: (method, _params, result) =>
        method === "eth_pendingTransactions" ? [...((result as unknown[]) ?? []), invented] : result,
    };
    const head = await latestHead(chain.provider);
    const events: { event: string; fields: Record<string, unknown> }[] = [];
    const acted: string[] = [];
    const stage = new MempoolStage({
      pool,
      detectors: [vaultDrainDetector(token, vault)],
      addresses: [vault, token],
      head: () => head,
      feeCeiling: 2000n * GWEI,
      pollIntervalMs: 50,
      onAction: (_finding, tx) => void acted.push(tx.hash),
      log: (event, fields) => events.push({ event, fields }),
    });
    stage.start();
    try {
      const seen = await until(
        async () => events.find((e) => e.event === "pending-forged"),
        (e) => e !== undefined,
        10_000,
      );
      expect(seen, "the invention was judged, and caught").to.not.equal(undefined);
      expect(String(seen!.fields.why)).to.match(/its signature is 0x[0-9a-fA-F]{40}'s, not 0x[0-9a-f]{40}'s/i);
      expect(seen!.fields.endpoint).to.equal("a");
      await stage.settled();
      expect(stage.counts.flagged, "it simulates as a drain").to.equal(1);
      expect(stage.counts.forged).to.equal(1);
      expect(stage.counts.acted).to.equal(0);
      expect(acted).to.deep.equal([]);
      expect(pool.health().find((h) => h.name === "a")!.disputes).to.be.greaterThan(0);
    } finally {
      stage.stop();
      chain.proxies[0]!.fault = { kind: "none" };
    }
  });
});
