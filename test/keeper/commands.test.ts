/**
 * The keeper's command without a run: `--check` on the shipped example config (through the Hardhat task, as a
 * keeper types it; its endpoints do not exist, so it passes offline and says the keys were not checked on the chain;
 * test/keeper/check.test.ts checks keys against a chain), a bad config and a missing secret (a clear message, exit 2, nothing sent), and `--replay` of an
 * exploit block (the finding is printed, nothing is sent).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { runKeeper } from "@cordon/testkit/keeper-process.js";
import { deploySampleProtocol } from "../support/protocol.js";

const EXAMPLE_ENV = {
  CORDON_GUARDIAN_KEY: TEST_KEYS.keeper,
  RPC_A_URL: "https://rpc-a.example.invalid/v1/KEY-A",
  RPC_B_URL: "https://rpc-b.example.invalid/v1/KEY-B",
  SLACK_WEBHOOK_URL: "https://hooks.example.invalid/T0/B0/SLACKTOKEN",
  PAGERDUTY_ROUTING_KEY: "PDROUTINGKEY",
  AUDIT_WEBHOOK_URL: "https://audit.example.invalid/in",
  AUDIT_WEBHOOK_SECRET: "AUDITSECRET",
};

function hardhat(args: string[], env: Record<string, string>) {
  return spawnSync("npx", ["hardhat", ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("cordon watch --check and --replay", function () {
  this.timeout(120_000);

  it("checks the example config through the Hardhat task, showing no secret", function () {
    const run = hardhat(["cordon", "watch", "examples/keeper.yml", "--check"], EXAMPLE_ENV);
    // The example's endpoints do not exist: the offline checks pass, the keys are not checked on the chain (exit 1).
    expect(run.status, run.stdout + run.stderr).to.equal(1);
    expect(run.stdout).to.include("examples/keeper.yml: OK");
    expect(run.stdout).to.include("network mainnet: NOT CHECKED on the chain: no quorum (2 of 3 endpoints) agrees");
    expect(run.stderr).to.include("the chain could not be reached by a quorum of endpoints for mainnet");
    expect(run.stdout).to.include(
      "detector withdrawal-volume (outflow-volume) -> action pause-withdrawals (pause-scopes, key guardian)",
    );
    expect(run.stdout).to.include("detector chain-halt (chain-halt)");
    for (const value of Object.values(EXAMPLE_ENV)) expect(run.stdout + run.stderr).to.not.include(value.slice(-8));
  });

  it("names the missing environment variables and exits 2", function () {
    const { SLACK_WEBHOOK_URL: _, CORDON_GUARDIAN_KEY: __, ...partial } = EXAMPLE_ENV;
    const run = hardhat(["cordon", "watch", "examples/keeper.yml", "--check"], partial);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include("keys.guardian: the environment variable CORDON_GUARDIAN_KEY is not set");
    expect(run.stderr).to.include("alerts.ops-slack.url: the environment variable SLACK_WEBHOOK_URL is not set");
  });

  it("refuses a missing config file, and a bad --replay, with the fix", function () {
    const noFile = hardhat(["cordon", "watch"], {});
    expect(noFile.status).to.equal(2);
    expect(noFile.stderr).to.include("the keeper config is required");
    const badBlock = hardhat(["cordon", "watch", "examples/keeper.yml", "--replay", "soon"], EXAMPLE_ENV);
    expect(badBlock.status).to.equal(2);
    expect(badBlock.stderr).to.include('--replay "soon" is not a block number');
  });

  describe("--replay", function () {
    let chain: TestChain;
    let dir: string;
    before(async function () {
      chain = await startTestChain(["a", "b", "c"]);
      dir = mkdtempSync(path.join(tmpdir(), "cordon-replay-"));
    });
    after(async function () {
      await chain?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("prints what the detectors find in the exploit block and sends nothing", async function () {
      const protocol = await deploySampleProtocol(chain);
      const exploitBlock = await protocol.exploit();
      // A team's own detector, loaded from the config: it counts the vault's token transfers in the block.
      writeFileSync(
        path.join(dir, "count-transfers.ts"),
        `export default (context: { name: string; contracts: Record<string, string>; options: { min: number } }) => ({
  name: context.name,
  evaluate({ range }: { range: { logs: { address: string }[]; to: number; head: { hash: string } } }) {
    const token = context.contracts.usdc!.toLowerCase();
    const count = range.logs.filter((log) => log.address === token).length;
    if (count < context.options.min) return [];
    return [{ blockNumber: range.to, blockHash: range.head.hash, detector: context.name, severity: "medium",
      summary: \`\${count} transfers of usdc in block \${range.to}\`, data: { count } }];
  },
});
`,
      );
      const file = path.join(dir, "keeper.json");
      writeFileSync(
        file,
        JSON.stringify({
          networks: { local: { chainId: 31337, endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) } },
          keys: { guardian: { env: "CORDON_GUARDIAN_KEY" } },
          protocols: {
            vault: {
              network: "local",
              hub: protocol.hub.target,
              contracts: { usdc: protocol.token.target, vault: protocol.vault.target },
              detectors: ["big", "invariant", "custom"],
            },
          },
          detectors: {
            big: { kind: "large-transfer", token: "usdc", from: "vault", threshold: "500e18", action: "pause" },
            invariant: { kind: "invariant", target: "vault" },
            custom: { kind: "module", module: "./count-transfers.ts", options: { min: 1 } },
          },
          actions: { pause: { kind: "pause", key: "guardian" } },
        }),
      );
      const replay = runKeeper(["--config", file, "--replay", String(exploitBlock)], {
        CORDON_GUARDIAN_KEY: TEST_KEYS.keeper,
      });
      expect(await replay.exited, replay.text()).to.equal(0);
      const out = replay.text();
      expect(out).to.include(`local block ${exploitBlock}`);
      expect(out).to.include("[high] vault/big: 1000000000000000000000 of");
      expect(out).to.include("-> would pause");
      expect(out).to.include("[critical] vault/invariant");
      expect(out).to.include(`[medium] vault/custom: 1 transfers of usdc in block ${exploitBlock}`);
      const quiet = runKeeper(["--config", file, "--replay", String(exploitBlock - 1)], {
        CORDON_GUARDIAN_KEY: TEST_KEYS.keeper,
      });
      expect(await quiet.exited).to.equal(0);
      expect(quiet.text()).to.include("0 findings");
      const sent = Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
      expect(sent, "nothing sent").to.equal(0);
    });
  });
});
