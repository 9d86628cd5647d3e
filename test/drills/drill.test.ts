/**
 * Two cells of the fire drill (`npm run drill`), as tests: a slow drain through the sample vault's flaw with the
 * watcher's primary endpoint down, on a `hardhat node` mining a block a second, watched by the real keeper. The
 * keeper pauses in the block after the first exploit transaction with one transaction, the vault loses only the first
 * withdrawal, and every block is processed. With the public mempool (the keeper watches pending transactions), the
 * pause is ordered before the first exploit transaction in its own block, and nothing leaves the vault.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { FAULTS } from "../../scripts/drills/faults.js";
import { type DrillCell, formatMatrix, missedTargets, runCell } from "../../scripts/drills/runner.js";
import { SCENARIOS } from "../../scripts/drills/scenarios.js";
import { type TestChain, startTestChain } from "@cordon/testkit/chain.js";

describe("Fire drill: slow drain x primary endpoint down, and x public mempool", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let dir: string;

  before(async function () {
    chain = await startTestChain(["primary", "backup-1", "backup-2"]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-drill-test-"));
  });

  after(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pauses in the next block, with one keeper transaction, 0.5% drained and no block skipped", async function () {
    const scenario = SCENARIOS.find((s) => s.name === "slow-drain")!;
    const fault = FAULTS.find((f) => f.name === "primary-down")!;
    const cell = await runCell(chain, scenario, fault, { workDir: dir });

    expect(cell.scenario).to.equal("slow-drain");
    expect(cell.fault).to.equal("primary-down");
    expect(cell.blocks_to_pause, `exploit in ${cell.exploit_block}, pause in ${cell.pause_block}`).to.equal(1);
    expect(cell.paused_by).to.equal("keeper");
    expect(cell.pause_txs, "one transaction from the keeper's key").to.equal(1);
    // The first redeem of 500 paid out; the later ones were refused by the paused vault.
    expect(cell.drained_fraction).to.equal(0.00495);
    expect(cell.blocks_skipped).to.equal(0);
    expect(cell.misses).to.deep.equal([]);
    expect(chain.proxies[0]!.fault.kind, "the fault is over after the cell").to.equal("none");
    expect(await chain.node.rpc("hardhat_getAutomine"), "automine restored").to.equal(true);
    expect(formatMatrix([cell])).to.match(/slow-drain\s+primary-down\s+1\s+keeper\s+0\.50%\s+1\s+0\s+met/);
  });

  it("with the public mempool: pauses in the exploit's own block, ordered first, nothing drained", async function () {
    const scenario = SCENARIOS.find((s) => s.name === "slow-drain")!;
    const fault = FAULTS.find((f) => f.name === "public-mempool")!;
    const cell = await runCell(chain, scenario, fault, { workDir: dir });
    expect(cell.blocks_to_pause, `exploit in ${cell.exploit_block}, pause in ${cell.pause_block}`).to.equal(0);
    expect(cell.paused_by).to.equal("keeper");
    expect(cell.pause_txs, "one transaction from the keeper's key").to.equal(1);
    expect(cell.drained_fraction, "the first redeem reverted too").to.equal(0);
    expect(cell.misses).to.deep.equal([]);
    expect(missedTargets({ ...cell, blocks_to_pause: 1, drained_fraction: 0.00495 }, scenario, true)).to.deep.equal([
      "paused 1 block(s) after the exploit (target with the public mempool: 0)",
      "drained 0.00495 of the vault (target with the public mempool: 0)",
    ]);
  });

  it("names each missed target", function () {
    const cell: DrillCell = {
      scenario: "fast-drain",
      fault: "none",
      blocks_to_pause: 3,
      drained_fraction: 0.2,
      pause_txs: 1,
      blocks_skipped: 2,
      exploit_block: 10,
      pause_block: 13,
      paused_by: "keeper",
      limit_fraction: 0.099,
      misses: [],
    };
    expect(missedTargets(cell, { name: "fast-drain", steps: [] })).to.deep.equal([
      "paused 3 blocks after the exploit (target: 1)",
      "the one-transaction drain was not stopped by the breaker in its own transaction",
      "drained 0.2 of the vault, above the limit's 0.099",
      "2 blocks not processed by the watcher",
    ]);
  });
});
