/**
 * A real protocol that nobody here wrote: Aave v3, deployed from the artifacts of the npm package `@aave/core-v3`
 * (test/support/aave.ts), with no CordonHub. The keeper's key is the market's EMERGENCY_ADMIN and its action is a
 * `call` of `PoolConfigurator.setPoolPause(true)`, done once the data provider's `getPaused(asset)` is true. The
 * keeper runs as its own process against three endpoints (quorum 2) with the primary down from before the drain:
 * two large borrows out of the reserve in one block are paused within one block, with exactly one pause transaction
 * (the second finding is skipped: the reserve proven paused), and the reserve refuses the next borrow (Aave's error
 * 29, RESERVE_PAUSED). `--check` refuses a key that is no emergency admin, in Aave's words.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, Wallet } from "ethers";

import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { runKeeper } from "@cordon/testkit/keeper-process.js";
import { type AaveMarket, deployAaveMarket } from "../support/aave.js";

const E18 = 10n ** 18n;

function config(chain: TestChain, market: AaveMarket, dataDir: string): string {
  return `# written by the test, as a keeper would
dataDir: ${dataDir}
networks:
  local:
    chainId: 31337
    endpoints:
${chain.proxies.map((p) => `      - { name: ${p.name}, url: "${p.url}", timeoutMs: 1000 }`).join("\n")}
    pollIntervalMs: 100
    startBlock: latest
keys:
  emergency: { env: EMERGENCY_ADMIN_KEY }
protocols:
  aave:
    network: local
    contracts:
      usdc: "${String(market.usdc.target)}"
      aUsdc: "${market.aToken}"
      configurator: "${String(market.configurator.target)}"
      data: "${String(market.dataProvider.target)}"
    detectors: [big-borrow]
detectors:
  big-borrow: { kind: large-transfer, token: usdc, from: aUsdc, threshold: 10000e18, severity: critical, action: pause-pool }
actions:
  pause-pool:
    kind: call
    contract: configurator
    function: setPoolPause(bool)
    args: [true]
    done: { call: "getPaused(address)", args: [usdc], contract: data, equals: true }
    requires: EMERGENCY_ADMIN on the market's ACLManager
    key: emergency
    emergencyFeeCeilingGwei: 200
`;
}

describe("cordon watch on Aave v3 from @aave/core-v3, the primary endpoint down", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let market: AaveMarket;
  let dir: string;

  before(async function () {
    chain = await startTestChain(["primary", "backup-1", "backup-2"]);
    market = await deployAaveMarket(chain);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-aave-"));
  });

  after(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pauses the pool within one block of a drain-like borrow, with one setPoolPause transaction", async function () {
    const depositor = await chain.wallet(Wallet.createRandom().privateKey);
    const attacker = await chain.wallet(TEST_KEYS.outsider);
    await market.supply(depositor, 200_000n * E18);
    await market.supply(attacker, 100_000n * E18);
    const file = path.join(dir, "keeper.yml");
    writeFileSync(file, config(chain, market, path.join(dir, "data")));

    // --check with a key that is no emergency admin: refused in Aave's words, exit 2.
    const outsider = runKeeper(["--config", file, "--check"], { EMERGENCY_ADMIN_KEY: TEST_KEYS.outsider });
    expect(await outsider.exited, outsider.text()).to.equal(2);
    expect(outsider.text()).to.include(
      `would not go through from ${attacker.address}: Aave error 2: the caller is not an emergency admin`,
    );
    const check = runKeeper(["--config", file, "--check"], { EMERGENCY_ADMIN_KEY: TEST_KEYS.keeper });
    expect(await check.exited, check.text()).to.equal(0);
    expect(check.text()).to.match(
      /simulated setPoolPause\(true\) on 0x[0-9a-fA-F]{40} from 0x[0-9a-fA-F]{40}: it would go through/,
    );

    const keeper = runKeeper(["--config", file], { EMERGENCY_ADMIN_KEY: TEST_KEYS.keeper });
    try {
      await keeper.waitFor((l) => l.event === "network-ready");
      chain.proxies[0]!.fault = { kind: "down" };
      await chain.node.rpc("evm_setAutomine", [false]);
      await chain.node.rpc("evm_setIntervalMining", [1000]);
      // The drain: two large borrows in one block.
      const borrowing = market.pool.connect(attacker) as Contract;
      const nonce = await chain.provider.getTransactionCount(attacker.address);
      const borrows = await Promise.all(
        [40_000n, 30_000n].map((amount, i) =>
          borrowing.getFunction("borrow")(market.usdc.target, amount * E18, 2, 0, attacker.address, {
            nonce: nonce + i,
          }),
        ),
      );
      const receipts = await Promise.all(borrows.map((tx) => tx.wait()));
      expect(receipts[0].blockNumber, "one block").to.equal(receipts[1].blockNumber);
      const borrowBlock = Number(receipts[0].blockNumber);

      const action = await keeper.waitFor((l) => l.event === "action" && l.status !== "skipped", 30_000);
      expect(action.status, JSON.stringify(action)).to.equal("mined");
      expect(Number(action.block) - borrowBlock, "paused in the block after the borrow").to.be.at.most(1);
      expect(await market.dataProvider.getFunction("getPaused")(market.usdc.target)).to.equal(true);
      const sent = Number(
        await chain.node.rpc<string>("eth_getTransactionCount", [market.emergencyAdmin.address, "latest"]),
      );
      expect(sent, "one transaction from the keeper").to.equal(1);
      // The second borrow's finding: skipped, the reserve proven paused through Aave's proxies, the primary still down.
      const skipped = await keeper.waitFor((l) => l.event === "action" && l.status === "skipped", 10_000);
      expect(skipped.note).to.equal("already done");
      const proven = keeper.logs.find((l) => l.event === "responder-proven-read");
      expect(proven?.holds, JSON.stringify(proven)).to.equal(true);
      const tx = await chain.provider.getTransaction(String(action.tx));
      expect(tx?.to).to.equal(String(market.configurator.target));
      expect(market.configurator.interface.parseTransaction({ data: tx!.data })?.signature).to.equal(
        "setPoolPause(bool)",
      );
      // The reserve refuses the next borrow: Aave's RESERVE_PAUSED ("29").
      await chain.node.rpc("evm_setAutomine", [true]);
      let refused = "";
      try {
        await (market.pool.connect(attacker) as Contract)
          .getFunction("borrow")
          .staticCall(market.usdc.target, 1n, 2, 0, attacker.address);
      } catch (error) {
        refused = String((error as { reason?: string }).reason ?? (error as Error).message);
      }
      expect(refused).to.equal("29");

      keeper.child.kill("SIGTERM");
      expect(await keeper.exited, keeper.text()).to.equal(0);
      const store = new Store(path.join(dir, "data", "local.db"), 31337);
      try {
        const incidents = store.incidents();
        expect(incidents, "one incident").to.have.length(1);
        expect(incidents[0]!.actionStatus).to.equal("mined");
        expect(incidents[0]!.firstBlock).to.equal(borrowBlock);
      } finally {
        store.close();
      }
    } finally {
      keeper.child.kill("SIGKILL");
    }
  });
});
