/**
 * A protocol already deployed, an OpenZeppelin `Pausable` with a pauser role that knows nothing of Cordon, put behind
 * a hub through CordonPausableAdapter on a `hardhat node`: the guardian's pause pauses it, governance's unpause
 * reopens it, and the downtime report rebuilt from the chain shows the incident with its times.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, Interface } from "ethers";

import { buildReport } from "@cordon/keeper/report/report.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy } from "../support/deploy.js";

const HOUR = 3_600;
const pausable = new Interface(["function pause()", "function unpause()", "function paused() view returns (bool)"]);

describe("CordonPausableAdapter: the hub over a deployed Pausable, with its downtime report", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let dir: string;

  before(async function () {
    chain = await startTestChain([]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-pausable-adapter-"));
  });

  after(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pauses and reopens the target with the hub, and the report shows the incident", async function () {
    const governance = await chain.wallet(TEST_KEYS.deployer);
    const keeper = await chain.wallet(TEST_KEYS.keeper);
    const hub = await deploy(governance, "CordonHub", "contracts/hub", [
      governance.address,
      [keeper.address],
      HOUR,
      60,
    ]);
    const protocol = await deploy(governance, "PausableProtocolMock", "contracts/mocks", []);
    const adapter = await deploy(governance, "CordonPausableAdapter", "contracts/adapters", [
      hub.target,
      protocol.target,
      pausable.encodeFunctionData("pause"),
      pausable.encodeFunctionData("unpause"),
      pausable.getFunction("paused")!.selector,
      0n,
      false,
    ]);
    await (await protocol.getFunction("grantRole")(await protocol.getFunction("PAUSER_ROLE")(), adapter.target)).wait();
    await (await hub.getFunction("addProtected")(adapter.target)).wait();

    const at = async (time: number, contract: Contract, method: string, ...args: unknown[]) => {
      await chain.node.rpc("evm_setNextBlockTimestamp", [time]);
      return (await (await contract.getFunction(method)(...args)).wait()) as { blockNumber: number; hash: string };
    };
    const t0 = Number((await chain.provider.getBlock("latest"))!.timestamp) + 100;
    const paused = await at(t0, hub.connect(keeper) as Contract, "pause", 0x0101);
    expect(await protocol.getFunction("paused")({ blockTag: paused.blockNumber })).to.equal(true);
    const resumed = await at(t0 + 600, hub, "unpause", 0x0401);
    expect(await protocol.getFunction("paused")({ blockTag: resumed.blockNumber })).to.equal(false);

    const store = new Store(path.join(dir, "store.db"), 31337);
    try {
      const pool = new RpcPool({ endpoints: [{ name: "node", url: chain.node.url }] });
      const report = await buildReport({
        pool,
        hub: String(hub.target),
        fromBlock: paused.blockNumber - 1,
        toBlock: resumed.blockNumber,
        store,
      });
      const [incident, ...others] = report.figures.incidents;
      expect(others).to.have.length(0);
      expect([incident!.id, incident!.cause, incident!.trigger, incident!.protocolWide]).to.deep.equal([
        1,
        "security",
        "pause",
        true,
      ]);
      expect(incident!.pausedAt.time).to.equal(t0);
      expect(incident!.pauseTx).to.equal(paused.hash);
      expect(incident!.restoredAt?.time).to.equal(t0 + 600);
      expect(report.figures.protocol.downtimeSeconds).to.equal(600);
    } finally {
      store.close();
    }
  });
});
