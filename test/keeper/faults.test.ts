/**
 * The keeper as its own process against one dishonest or inconsistent endpoint out of three (quorum 2), one fault
 * class per test: an endpoint that omits logs, one whose simulation says "already paused", one that claims to be
 * ahead of the others and lies in its state reads. Each time the exploit is paused within one block of its
 * transaction with one pause transaction, and the endpoint is named where operators look (the log and
 * `cordon_endpoint_status`).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { hubInterface } from "@cordon/keeper/contracts/abi.js";
import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import type { Fault } from "@cordon/testkit/fault-proxy.js";
import { freePort } from "@cordon/testkit/hardhat-node.js";
import { HttpReceiver } from "@cordon/testkit/http-receiver.js";
import { runKeeper } from "@cordon/testkit/keeper-process.js";
import { get, keeperConfig, until } from "../support/keeper-config.js";
import { deploySampleProtocol } from "../support/protocol.js";

const ENV = { CORDON_GUARDIAN_KEY: TEST_KEYS.keeper };

describe("cordon watch, with one dishonest endpoint of three", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let dir: string;

  beforeEach(async function () {
    chain = await startTestChain(["primary", "backup-1", "backup-2"]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-keeper-faults-"));
  });

  afterEach(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs the keeper with `fault` on the primary endpoint from before the exploit (a block a second), and checks the
   * pause, the one transaction and the single incident. Returns the keeper's log lines and its metrics text.
   */
  async function pausesWithin1Block(
    fault: Fault,
    detectors?: string[],
    backups: Fault = { kind: "none" },
  ): Promise<{ logs: Record<string, unknown>[]; metrics: string }> {
    const protocol = await deploySampleProtocol(chain);
    const port = await freePort();
    const file = path.join(dir, "keeper.yml");
    const receiver = await new HttpReceiver().start();
    writeFileSync(file, keeperConfig(chain, protocol, path.join(dir, "data"), port, "ops", chain.proxies, detectors));
    await chain.node.rpc("evm_setAutomine", [false]);
    await chain.node.rpc("evm_setIntervalMining", [1000]);
    const keeper = runKeeper(["--config", file], {
      ...ENV,
      OPS_WEBHOOK_URL: receiver.url("/cordon"),
      OPS_WEBHOOK_SECRET: "test-webhook-secret",
    });
    try {
      await keeper.waitFor((l) => l.event === "network-ready");
      chain.proxies[0]!.fault = fault;
      for (const backup of chain.proxies.slice(1)) backup.fault = backups;
      const exploitBlock = await protocol.exploit();
      const action = await keeper.waitFor((l) => l.event === "action" && l.status !== "skipped", 30_000);
      expect(action.status, JSON.stringify(action)).to.equal("mined");
      expect(Number(action.block) - exploitBlock, "paused in the block after the exploit").to.be.at.most(1);
      expect(BigInt(await protocol.hub.getFunction("state")())).to.equal(1n);
      const sent = Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
      expect(sent, "one transaction from the keeper").to.equal(1);
      const metrics = await until(
        () => get(`http://127.0.0.1:${port}/metrics`),
        (m) => /cordon_actions_total\{network="local",status="mined"\} 1/.test(m.body),
        5_000,
      );
      const alerted = await until(
        async () => receiver.received.filter((r) => r.body.includes("Cordon paused vault")),
        (r) => r.length > 0,
        10_000,
      );
      expect(alerted, "one alert about the pause").to.have.length(1);
      keeper.child.kill("SIGTERM");
      expect(await keeper.exited, keeper.text()).to.equal(0);
      const store = new Store(path.join(dir, "data", "local.db"), 31337);
      try {
        const incidents = store.incidents();
        expect(incidents, "one incident for one exploit").to.have.length(1);
        expect(incidents[0]!.actionStatus).to.equal("mined");
        expect(incidents[0]!.firstBlock).to.equal(exploitBlock);
        expect(incidents[0]!.detector, "the finding that opened it").to.match(
          /^vault\/(big-withdrawal|vault-invariant)$/,
        );
      } finally {
        store.close();
      }
      return { logs: keeper.logs, metrics: metrics.body };
    } finally {
      keeper.child.kill("SIGKILL");
      await receiver.stop();
    }
  }

  it("log omission: pauses on a log-based finding when the primary omits the logs of the newest blocks", async function () {
    // Only the large-withdrawal detector (it reads logs): the vault's invariant would catch the drain by state.
    // The others are 40 ms slower, so that the omitting endpoint is the one a single-endpoint read would prefer.
    const { logs, metrics } = await pausesWithin1Block({ kind: "omit-logs", latest: 1 }, ["big-withdrawal"], {
      kind: "slow",
      delayMs: 40,
    });
    const disputed = logs.find((l) => l.event === "endpoint-disputed" && l.endpoint === "primary");
    expect(String(disputed?.what), "the endpoint named in the log").to.match(/omitted/);
    const named = logs.filter(
      (l) => (l.event === "logs-omitted" || l.event === "logs-outvoted") && l.endpoint === "primary",
    );
    expect(named.length, "the omitting endpoint named in the log").to.be.at.least(1);
    expect(metrics).to.match(/cordon_endpoint_status\{network="local",endpoint="primary",status="diverging"\} 1/);
    expect(metrics).to.match(/cordon_endpoint_disputes\{network="local",endpoint="primary"\} [1-9]/);
    expect(metrics).to.match(/cordon_endpoint_disputes\{network="local",endpoint="backup-1"\} 0/);
  });

  it("simulation lie: pauses when the primary's eth_estimateGas says the hub is already paused", async function () {
    const alreadyPaused = hubInterface.encodeErrorResult("CordonInvalidTransition", [1, 1]);
    // The others are 40 ms slower: the lying endpoint is the one asked to simulate.
    const { logs, metrics } = await pausesWithin1Block(
      { kind: "reverting", methods: ["eth_estimateGas"], data: alreadyPaused },
      undefined,
      { kind: "slow", delayMs: 40 },
    );
    const first = logs.find((l) => l.event === "action");
    expect(first?.status, "the first action is the pause, not a skip").to.equal("mined");
    const disputed = logs.find((l) => l.event === "responder-simulation-disputed");
    expect(disputed?.endpoints, "the lying simulation named in the log").to.deep.equal(["primary"]);
    const scored = logs.find((l) => l.event === "endpoint-disputed" && l.endpoint === "primary");
    expect(String(scored?.what)).to.match(/simulated CordonInvalidTransition/);
    // Named in its status too: disputed (in rotation, asked last) for a while after the contradicted simulation.
    expect(metrics).to.match(/cordon_endpoint_status\{network="local",endpoint="primary",status="disputed"\} 1/);
    expect(metrics).to.match(/cordon_endpoint_disputes\{network="local",endpoint="primary"\} [1-9]/);
  });

  it("ahead liar: pauses when the primary claims a head 5 blocks above the others and lies in its state reads", async function () {
    const { logs, metrics } = await pausesWithin1Block({
      kind: "ahead",
      by: 5,
      lieIn: ["eth_call", "eth_getBalance"],
    });
    // Out of rotation, named with why: ahead of the quorum, or diverging once its state reads are outvoted.
    const flagged = logs.find(
      (l) =>
        l.event === "endpoint-status" && l.endpoint === "primary" && ["ahead", "diverging"].includes(String(l.status)),
    );
    expect(String(flagged?.why), "the endpoint named in the log").to.match(/claims head \d+, \d+ above|differently/);
    expect(metrics).to.match(
      /cordon_endpoint_status\{network="local",endpoint="primary",status="(ahead|diverging)"\} 1/,
    );
  });
});
