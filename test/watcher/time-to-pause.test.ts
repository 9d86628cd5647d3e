import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, JsonRpcProvider, Wallet, parseEther } from "ethers";

import { invariantDetector } from "../../src/detectors/invariant.js";
import { largeTransferDetector } from "../../src/detectors/transfers.js";
import { Responder } from "../../src/responder/responder.js";
import { RpcPool } from "../../src/rpc/pool.js";
import { Store } from "../../src/store/store.js";
import { Watcher } from "../../src/watcher/watcher.js";
import { deploy, send } from "../support/deploy.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { type HardhatNode, startHardhatNode } from "../support/hardhat-node.js";

// Hardhat's public test keys (never real keys).
const DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcb5b52bfcd9cc6f3a";
const KEEPER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const ATTACKER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const E18 = 10n ** 18n;

describe("Time to pause: an exploit in block N is paused in block N+1 with the primary endpoint dead", function () {
  this.timeout(180_000);
  let node: HardhatNode;
  let proxies: FaultProxy[];
  let dir: string;

  before(async function () {
    node = await startHardhatNode();
    proxies = [];
    for (const name of ["primary", "backup-1", "backup-2"]) proxies.push(await new FaultProxy(node.url, name).start());
    dir = mkdtempSync(path.join(tmpdir(), "cordon-ttp-"));
  });

  after(async function () {
    for (const p of proxies ?? []) await p.stop();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("detects the drain, pauses within one block, and sends exactly one pause transaction", async function () {
    const provider = new JsonRpcProvider(node.url, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    const deployer = new Wallet(DEPLOYER_KEY, provider);
    const keeper = new Wallet(KEEPER_KEY);
    const attacker = new Wallet(ATTACKER_KEY, provider);
    for (const w of [deployer, keeper, attacker]) {
      await node.rpc("hardhat_setBalance", [w.address, "0x56bc75e2d63100000"]);
    }

    const token = await deploy(deployer, "MockERC20", "contracts/mocks", ["USD Coin", "USDC", 18]);
    const hub = await deploy(deployer, "CordonHub", "contracts/hub", [
      deployer.address,
      [keeper.address],
      3 * 86400,
      86400,
    ]);
    const vault = await deploy(deployer, "CordonVault", "contracts/sample", [
      token.target,
      "Vault",
      "cv",
      hub.target,
      deployer.address,
    ]);
    await send(hub, "addProtected", vault.target);
    await send(hub, "setLimit", vault.target, token.target, {
      scope: 1,
      capacity: 1_000_000n * E18,
      window: 86400,
      largeThreshold: 0,
      policy: 0,
      inflowRefills: false,
      queueDelay: 0,
    });
    await send(token, "mint", deployer.address, 100_000n * E18);
    await send(token, "approve", vault.target, 2n ** 255n);
    await send(vault, "deposit", 100_000n * E18, deployer.address);
    await send(token, "mint", attacker.address, 1_000n * E18);
    const asAttacker = (c: Contract) => c.connect(attacker) as Contract;
    await send(asAttacker(token), "approve", vault.target, 2n ** 255n);
    await send(asAttacker(vault), "deposit", 1_000n * E18, attacker.address);
    await send(vault, "setFlawed", true);
    const startBlock = Number(await node.rpc<string>("eth_blockNumber")) + 1;

    // The primary endpoint is dead for the whole run; the chain mines one block per second.
    proxies[0]!.fault = { kind: "down" };
    await node.rpc("evm_setAutomine", [false]);
    await node.rpc("evm_setIntervalMining", [1000]);

    const pool = new RpcPool({ endpoints: proxies.map((p) => ({ name: p.name, url: p.url, timeoutMs: 1_000 })) });
    const store = new Store(path.join(dir, "watcher.db"), 31337);
    const responder = new Responder({
      pool,
      store,
      hub: String(hub.target),
      wallet: keeper,
      chainId: 31337n,
      feeCeiling: parseEther("0.0000002"),
      emergencyFeeCeiling: parseEther("0.000001"),
      replaceAfterMs: 2_000,
    });
    const watcher = new Watcher({
      pool,
      store,
      detectors: [
        largeTransferDetector({
          token: String(token.target),
          from: String(vault.target),
          threshold: 5_000n * E18,
          response: { kind: "pause", reason: 0x0101 },
        }),
        invariantDetector({ target: String(vault.target) }),
      ],
      addresses: [String(token.target)],
      startBlock,
      responder,
      pollIntervalMs: 100,
    });
    const controller = new AbortController();
    const running = watcher.run(controller.signal);

    try {
      // The exploit: the flawed vault pays 10,000 USDC for 1,000 shares... ten times over, in one transaction each.
      const exploit = await asAttacker(vault).getFunction("redeem")(1_000n * E18, attacker.address, attacker.address);
      const exploitBlock = Number((await exploit.wait()).blockNumber);

      let state = 0n;
      for (let i = 0; i < 100 && state === 0n; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = BigInt(await hub.getFunction("state")());
      }
      expect(state, "the hub is paused").to.equal(1n);
      const pauseTx = store.unfinished().length === 0 ? undefined : "unfinished";
      expect(pauseTx).to.equal(undefined);
      const keeperTxs = Number(await node.rpc<string>("eth_getTransactionCount", [keeper.address, "latest"]));
      expect(keeperTxs, "exactly one transaction from the keeper").to.equal(1);
      const [entry] = store.findingsFrom(exploitBlock);
      expect(entry?.detector).to.be.oneOf(["large-transfer", "invariant"]);
      const outbox =
        store.outboxEntry(`pause:${String(hub.target).toLowerCase()}:protocol:epoch-0`) ??
        store.outboxEntry(
          `tripOnInvariant:${String(hub.target).toLowerCase()}:invariant-${String(vault.target).toLowerCase()}:epoch-0`,
        );
      expect(outbox?.status).to.equal("mined");
      const receipt = await node.rpc<{ blockNumber: string }>("eth_getTransactionReceipt", [outbox!.txHash]);
      const pauseBlock = Number(receipt.blockNumber);
      expect(pauseBlock - exploitBlock, `exploit in ${exploitBlock}, pause in ${pauseBlock}`).to.equal(1);
    } finally {
      controller.abort();
      await running;
      await node.rpc("evm_setIntervalMining", [0]);
      await node.rpc("evm_setAutomine", [true]);
      store.close();
    }
  });
});
