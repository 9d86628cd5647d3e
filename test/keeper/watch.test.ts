/**
 * The keeper as a keeper runs it: a separate process started with only a config file and RPC URLs, against a chain
 * the test deployed first. The exploit is paused in the next block with the primary endpoint dead; metrics, health
 * and readiness answer; the keeper is killed in the middle of an incident and restarted, and exactly one pause
 * transaction is mined; SIGTERM stops it cleanly.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from "@cordon/keeper/alerts/index.js";
import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { freePort } from "@cordon/testkit/hardhat-node.js";
import { HttpReceiver } from "@cordon/testkit/http-receiver.js";
import { TamperProxy } from "@cordon/testkit/tamper-proxy.js";
import { hubInterface } from "@cordon/keeper/contracts/abi.js";
import { keeperCommand, runKeeper } from "@cordon/testkit/keeper-process.js";
import { get, keeperConfig, until } from "../support/keeper-config.js";
import { deploySampleProtocol, E18, type SampleProtocol } from "../support/protocol.js";

const ENV = { CORDON_GUARDIAN_KEY: TEST_KEYS.keeper };

/** The exploit on a chain that does not mine by itself: sent, then mined in a block of its own. */
async function exploitMinedByHand(chain: TestChain, protocol: SampleProtocol): Promise<void> {
  const { vault, attacker } = protocol;
  const exploit = vault.connect(attacker).getFunction("redeem")(1_000n * E18, attacker.address, attacker.address);
  await new Promise((r) => setTimeout(r, 300));
  await chain.node.rpc("evm_mine");
  await exploit;
}

/** Waits until `count` more blocks are mined (the chain mines by itself). */
async function blocksPass(chain: TestChain, count: number): Promise<void> {
  const height = async () => Number(await chain.node.rpc<string>("eth_blockNumber"));
  const after = await height();
  await until(height, (n) => n >= after + count, 10_000);
}

describe("cordon watch, as a separate process", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let dir: string;

  beforeEach(async function () {
    chain = await startTestChain(["primary", "backup-1", "backup-2"]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-keeper-"));
  });

  afterEach(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pauses an exploit in the next block with the primary endpoint dead, and reports through /metrics", async function () {
    const protocol = await deploySampleProtocol(chain);
    const port = await freePort();
    const file = path.join(dir, "keeper.yml");
    const receiver = await new HttpReceiver().start();
    writeFileSync(file, keeperConfig(chain, protocol, path.join(dir, "data"), port, "ops"));
    chain.proxies[0]!.fault = { kind: "down" };
    await chain.node.rpc("evm_setAutomine", [false]);
    await chain.node.rpc("evm_setIntervalMining", [1000]);

    const secret = "test-webhook-secret";
    const keeper = runKeeper(["--config", file], {
      ...ENV,
      OPS_WEBHOOK_URL: receiver.url("/cordon"),
      OPS_WEBHOOK_SECRET: secret,
    });
    try {
      await keeper.waitFor((l) => l.event === "network-ready");
      const ready = await until(
        () => get(`http://127.0.0.1:${port}/readyz`),
        (r) => r.status === 200,
        15_000,
      );
      expect(ready.status, ready.body).to.equal(200);

      const exploitBlock = await protocol.exploit();
      const action = await keeper.waitFor((l) => l.event === "action", 30_000);
      expect(action.status).to.equal("mined");
      expect(Number(action.block) - exploitBlock, "paused in the block after the exploit").to.be.at.most(1);
      expect(BigInt(await protocol.hub.getFunction("state")())).to.equal(1n);
      const sent = Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
      expect(sent, "one transaction from the keeper").to.equal(1);

      const metrics = await until(
        () => get(`http://127.0.0.1:${port}/metrics`),
        (m) => /cordon_actions_total\{network="local",status="mined"\} 1/.test(m.body),
        5_000,
      );
      expect(metrics.body).to.match(/cordon_actions_total\{network="local",status="mined"\} 1/);
      expect(metrics.body).to.match(
        /cordon_findings_total\{network="local",detector="vault\/big-withdrawal",severity="critical"\} [1-9]/,
      );
      expect(metrics.body).to.match(/cordon_endpoint_status\{network="local",endpoint="primary",status="down"\} 1/);
      expect(metrics.body).to.match(/cordon_endpoint_lag_blocks\{network="local",endpoint="backup-1"\} 0/);
      expect(metrics.body).to.match(/cordon_blocks_processed_total\{network="local"\} [1-9]/);
      expect(metrics.body).to.match(/cordon_action_latency_seconds_count\{network="local"\} 1/);
      expect((await get(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);

      // The alert channel got a signed message about the pause.
      const paused = await until(
        async () => receiver.received.find((r) => r.body.includes("Cordon paused vault")),
        (r) => r !== undefined,
        10_000,
      );
      expect(paused, "a webhook alert about the pause").to.not.equal(undefined);
      const { headers, body } = paused!;
      expect(
        verifyWebhookSignature(
          secret,
          headers[TIMESTAMP_HEADER.toLowerCase()],
          body,
          headers[SIGNATURE_HEADER.toLowerCase()],
        ),
        "signed with the configured secret",
      ).to.equal(true);

      // No secret in any log line.
      const output = JSON.stringify(keeper.logs) + keeper.text();
      expect(output).to.not.include(TEST_KEYS.keeper.slice(2));
      expect(output).to.not.include(secret);
      expect(output).to.not.include(receiver.url("/cordon"));

      keeper.child.kill("SIGTERM");
      expect(await keeper.exited, keeper.text()).to.equal(0);
      expect(keeper.logs.some((l) => l.event === "shutdown" && l.signal === "SIGTERM")).to.equal(true);

      const store = new Store(path.join(dir, "data", "local.db"), 31337);
      try {
        const [incident] = store.incidents();
        expect(incident?.protocol).to.equal("vault");
        expect(incident?.actionStatus).to.equal("mined");
        expect(incident?.actionBlock).to.equal(Number(action.block));
        expect(incident?.firstBlock).to.equal(exploitBlock);
      } finally {
        store.close();
      }
    } finally {
      keeper.child.kill("SIGKILL");
      await receiver.stop();
    }
  });

  it("given two endpoints that claim the hub is paused and one honest one, pauses within one block", async function () {
    const protocol = await deploySampleProtocol(chain);
    // primary and backup-1 answer the hub's currentSync() as paused (headers and proofs honest); backup-2 is honest.
    const selector = hubInterface.getFunction("currentSync")!.selector;
    const liars = [
      await new TamperProxy(chain.proxies[0]!.url, "primary").start(),
      await new TamperProxy(chain.proxies[1]!.url, "backup-1").start(),
    ];
    for (const liar of liars) {
      liar.tamper = (method, params, result) => {
        if (method !== "eth_call" || !String((params[0] as { data?: string }).data).startsWith(selector)) return result;
        const [sync] = hubInterface.decodeFunctionResult("currentSync", String(result));
        return hubInterface.encodeFunctionResult("currentSync", [[1n, ...Array.from(sync as unknown[]).slice(1)]]);
      };
    }
    const file = path.join(dir, "keeper.yml");
    const port = await freePort();
    writeFileSync(
      file,
      keeperConfig(chain, protocol, path.join(dir, "data"), port, undefined, [
        ...liars.map((l) => ({ name: l.name, url: l.url })),
        chain.proxies[2]!,
      ]),
    );
    await chain.node.rpc("evm_setAutomine", [false]);
    await chain.node.rpc("evm_setIntervalMining", [1000]);
    const keeper = runKeeper(["--config", file], ENV);
    try {
      await keeper.waitFor((l) => l.event === "network-ready");
      const exploitBlock = await protocol.exploit();
      const action = await keeper.waitFor((l) => l.event === "action", 30_000);
      expect(action.status, JSON.stringify(action)).to.equal("mined");
      expect(Number(action.block) - exploitBlock, "paused in the block after the exploit").to.be.at.most(1);
      expect(BigInt(await protocol.hub.getFunction("state")())).to.equal(1n);
      const sent = Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
      expect(sent, "one transaction from the keeper").to.equal(1);
      // The two liars are named where operators look: the proof's log line and the endpoint metrics.
      const contradicted = await keeper.waitFor((l) => l.event === "responder-proof-contradicts", 5_000);
      expect(contradicted.endpoints).to.deep.equal(["primary", "backup-1"]);
      const metrics = await until(
        () => get(`http://127.0.0.1:${port}/metrics`),
        (m) => /cordon_endpoint_disputes\{network="local",endpoint="backup-1"\} [1-9]/.test(m.body),
        5_000,
      );
      for (const liar of ["primary", "backup-1"]) {
        expect(metrics.body).to.match(
          new RegExp(`cordon_endpoint_status\\{network="local",endpoint="${liar}",status="diverging"\\} 1`),
        );
        expect(metrics.body).to.match(
          new RegExp(`cordon_endpoint_disputes\\{network="local",endpoint="${liar}"\\} [1-9]`),
        );
      }
      expect(metrics.body).to.match(/cordon_endpoint_disputes\{network="local",endpoint="backup-2"\} 0/);
    } finally {
      keeper.child.kill("SIGKILL");
      for (const liar of liars) await liar.stop();
    }
  });

  it("killed after deciding but before recording its action, acts on the stored finding after a restart", async function () {
    const protocol = await deploySampleProtocol(chain);
    const file = path.join(dir, "keeper.yml");
    // Only the one-time finding (a single large transfer): nothing later would make the keeper decide again.
    writeFileSync(
      file,
      keeperConfig(chain, protocol, path.join(dir, "data"), 0).replace(
        "detectors: [big-withdrawal, vault-invariant]",
        "detectors: [big-withdrawal]",
      ),
    );
    await chain.node.rpc("evm_setAutomine", [false]);
    const first = runKeeper(["--config", file], ENV);
    let second: ReturnType<typeof runKeeper> | undefined;
    try {
      await first.waitFor((l) => l.event === "network-ready");
      await exploitMinedByHand(chain, protocol);
      await first.waitFor((l) => l.event === "incident-opened", 30_000);
      first.child.kill("SIGKILL"); // the finding is stored; its action may not be
      await first.exited;

      second = runKeeper(["--config", file], ENV);
      await second.waitFor((l) => l.event === "network-ready");
      // The restart acts first: the stored finding's pause is sent before the detectors are built (network-ready).
      const events = second.logs.map((l) => l.event);
      expect(events, "the restart acts on what the store holds").to.include("acting-first");
      expect(events.indexOf("responder-sent"), "sent before network-ready").to.be.within(
        0,
        events.indexOf("network-ready"),
      );
      await chain.node.rpc("evm_setIntervalMining", [1000]);
      const action = await second.waitFor((l) => l.event === "action" || l.event === "action-resumed", 30_000);
      expect(["mined", "skipped"]).to.include(action.status);
      const state = await until(
        async () => BigInt(await protocol.hub.getFunction("state")()),
        (s) => s === 1n,
        10_000,
      );
      expect(state, "the hub is paused").to.equal(1n);
      const sent = Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
      expect(sent, "exactly one transaction from the keeper across the crash").to.equal(1);
      second.child.kill("SIGTERM");
      expect(await second.exited).to.equal(0);
    } finally {
      first.child.kill("SIGKILL");
      second?.child.kill("SIGKILL");
    }
  });

  it("two keepers with the same config and key: one pause transaction, both see the incident through", async function () {
    const protocol = await deploySampleProtocol(chain);
    const configs = ["a", "b"].map((name) => {
      const file = path.join(dir, `keeper-${name}.yml`);
      writeFileSync(file, keeperConfig(chain, protocol, path.join(dir, `data-${name}`), 0));
      return file;
    });
    await chain.node.rpc("evm_setAutomine", [false]);
    await chain.node.rpc("evm_setIntervalMining", [1000]);
    const keepers = configs.map((file) => runKeeper(["--config", file], ENV));
    try {
      await Promise.all(keepers.map((k) => k.waitFor((l) => l.event === "network-ready")));
      const exploitBlock = await protocol.exploit();
      const outcomes = await Promise.all(keepers.map((k) => k.waitFor((l) => l.event === "action", 30_000)));
      const statuses = outcomes.map((o) => o.status).sort();
      expect(statuses, "one keeper's pause is mined; the other's is skipped or is the same transaction").to.satisfy(
        (s: string[]) => s.includes("mined") && s.every((x) => x === "mined" || x === "skipped"),
      );
      const paused = outcomes.filter((o) => o.status === "mined").map((o) => Number(o.block));
      expect(Math.min(...paused) - exploitBlock, "paused in the next block").to.be.at.most(1);
      expect(BigInt(await protocol.hub.getFunction("state")())).to.equal(1n);
      await blocksPass(chain, 2);
      const sent = Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
      expect(sent, "one transaction mined from the shared key").to.equal(1);
    } finally {
      for (const k of keepers) k.child.kill("SIGKILL");
    }
  });

  it("killed in the middle of an incident and restarted, mines exactly one pause transaction", async function () {
    const protocol = await deploySampleProtocol(chain);
    const file = path.join(dir, "keeper.yml");
    writeFileSync(file, keeperConfig(chain, protocol, path.join(dir, "data"), 0));
    await chain.node.rpc("evm_setAutomine", [false]);

    const first = runKeeper(["--config", file], ENV);
    let second: ReturnType<typeof runKeeper> | undefined;
    try {
      await first.waitFor((l) => l.event === "network-ready");
      // The exploit is mined by hand; the keeper's pause then waits in the mempool, unmined.
      await exploitMinedByHand(chain, protocol);
      const exploitBlock = Number(await chain.node.rpc<string>("eth_blockNumber"));
      await first.waitFor((l) => l.event === "responder-sent", 30_000);
      first.child.kill("SIGKILL"); // mid-incident: the pause is sent, not mined
      await first.exited;

      second = runKeeper(["--config", file], ENV);
      await second.waitFor((l) => l.event === "network-ready");
      await chain.node.rpc("evm_setIntervalMining", [1000]);
      await second.waitFor((l) => l.event === "action-resumed" || l.event === "action", 30_000);
      const state = await until(
        async () => BigInt(await protocol.hub.getFunction("state")()),
        (s) => s === 1n,
        10_000,
      );
      expect(state, "the hub is paused").to.equal(1n);
      // Let the restarted keeper run on for a few blocks: it must not pause again.
      await blocksPass(chain, 3);

      const sent = Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
      expect(sent, "exactly one transaction from the keeper across the crash").to.equal(1);
      second.child.kill("SIGTERM");
      expect(await second.exited).to.equal(0);

      const store = new Store(path.join(dir, "data", "local.db"), 31337);
      try {
        const live = store.findingsFrom(exploitBlock);
        const blocks = live.filter((f) => f.detector === "vault/big-withdrawal").map((f) => f.blockNumber);
        expect(blocks, "the exploit block's finding is stored once").to.deep.equal([exploitBlock]);
      } finally {
        store.close();
      }
    } finally {
      first.child.kill("SIGKILL");
      second?.child.kill("SIGKILL");
    }
  });

  it("stops by itself when the wrapper that started it dies without passing SIGTERM on", async function () {
    const protocol = await deploySampleProtocol(chain);
    const file = path.join(dir, "keeper.yml");
    writeFileSync(file, keeperConfig(chain, protocol, path.join(dir, "data"), await freePort()));
    // A shell that runs the keeper as its child (not by exec), the way npm and npx do; killing the shell with SIGKILL
    // leaves the keeper orphaned, still holding the pipes it inherited.
    const command = keeperCommand()
      .map((part) => `'${part}'`)
      .join(" ");
    const wrapper = spawn("sh", ["-c", `${command} --config '${file}'; echo wrapper-done`], {
      env: { PATH: process.env.PATH ?? "", ...ENV },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    wrapper.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    wrapper.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const seen = (event: string) =>
      until(
        async () => output.includes(`"event":"${event}"`),
        (ok) => ok,
        30_000,
      );
    try {
      expect(await seen("network-ready"), `the keeper started:\n${output}`).to.equal(true);
      wrapper.kill("SIGKILL");
      expect(await seen("exit"), `the orphaned keeper stopped by itself:\n${output}`).to.equal(true);
      expect(output).to.match(/"event":"shutdown"/);
    } finally {
      wrapper.kill("SIGKILL");
    }
  });
});
