/**
 * `cordon-keeper --check` against the chain, as a keeper runs it: a separate keeper process given a config file and
 * its keys, against a `hardhat node` behind three endpoints (quorum 2). A key that lacks GUARDIAN_ROLE (while one
 * endpoint lies that it holds it), and a guardian key with no funds, are named with what is missing and make it exit
 * 2; a correct key passes with one endpoint down; with no quorum reachable it says the chain was not checked and
 * still prints the offline checks. Nothing is ever sent.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { formatEther, Wallet } from "ethers";

import { CordonHubConstants, Reasons } from "@cordon/keeper/contracts/generated/cordon.js";
import { hubInterface } from "@cordon/keeper/contracts/abi.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { runKeeper } from "@cordon/testkit/keeper-process.js";
import { send } from "../support/deploy.js";
import { deploySampleProtocol, type SampleProtocol } from "../support/protocol.js";

/** A config whose three actions (pause, pause-scopes, trip-invariant) use the key in `KEEPER_KEY`. */
function keeperConfig(chain: TestChain, protocol: SampleProtocol): string {
  return `# written by the test, as a keeper would
networks:
  local:
    chainId: 31337
    endpoints:
${chain.proxies.map((p) => `      - { name: ${p.name}, url: "${p.url}", timeoutMs: 1000 }`).join("\n")}
keys:
  pauser: { env: KEEPER_KEY }
protocols:
  vault:
    network: local
    hub: "${String(protocol.hub.target)}"
    contracts:
      usdc: "${String(protocol.token.target)}"
      vault: "${String(protocol.vault.target)}"
    detectors: [big-withdrawal, withdrawals, vault-invariant]
detectors:
  big-withdrawal: { kind: large-transfer, token: usdc, from: vault, threshold: 500e18, action: pause-all }
  withdrawals: { kind: large-transfer, token: usdc, from: vault, threshold: 100e18, action: pause-withdrawals }
  vault-invariant: { kind: invariant, target: vault, action: trip }
actions:
  pause-all: { kind: pause, key: pauser, emergencyFeeCeilingGwei: 200 }
  pause-withdrawals: { kind: pause-scopes, scopes: [1], key: pauser, emergencyFeeCeilingGwei: 200 }
  trip: { kind: trip-invariant, target: vault, key: pauser, emergencyFeeCeilingGwei: 200 }
`;
}

async function nonce(chain: TestChain, address: string): Promise<number> {
  return Number(await chain.node.rpc<string>("eth_getTransactionCount", [address, "latest"]));
}

describe("cordon-keeper --check against the chain", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let protocol: SampleProtocol;
  let dir: string;
  let file: string;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    protocol = await deploySampleProtocol(chain);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-check-"));
    file = path.join(dir, "keeper.yml");
    writeFileSync(file, keeperConfig(chain, protocol));
  });

  beforeEach(function () {
    for (const proxy of chain.proxies) proxy.fault = { kind: "none" };
  });

  after(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes a guardian key that pays for its actions, with one endpoint down", async function () {
    chain.proxies[0]!.fault = { kind: "down" };
    const before = await nonce(chain, protocol.keeper.address);
    const run = runKeeper(["--config", file, "--check"], { KEEPER_KEY: TEST_KEYS.keeper });
    const code = await run.exited;
    const out = run.text();
    expect(code, out).to.equal(0);
    expect(out).to.include(`${file}: OK`);
    expect(out).to.match(/network local: on the chain at block \d+ \(0x[0-9a-f]{64}\), agreed by a quorum of 2 of 3/);
    expect(out).to.include(`keys.pauser (${protocol.keeper.address}) for action pause-all (pause):`);
    expect(out).to.include(`role: holds GUARDIAN_ROLE on hub ${String(protocol.hub.target)}`);
    expect(out).to.include(`keys.pauser (${protocol.keeper.address}) for action pause-withdrawals (pause-scopes):`);
    expect(out).to.include("role: none needed (trip-invariant calls a function of the hub that anyone may call)");
    expect(out).to.match(/balance: 100 ETH pays for pause: [0-9.]+ ETH needed at 200 gwei/);
    expect(out).to.not.include("MISSING");
    expect(out).to.include("nothing was sent");
    expect(await nonce(chain, protocol.keeper.address), "nothing sent").to.equal(before);
  });

  it("checks that a quorum of endpoints can simulate pending transactions for a protocol's mempool stage", async function () {
    const mempoolFile = path.join(dir, "mempool.yml");
    writeFileSync(
      mempoolFile,
      keeperConfig(chain, protocol).replace(
        "    detectors: [",
        "    mempool: { pollIntervalMs: 100 }\n    detectors: [",
      ),
    );
    const ok = runKeeper(["--config", mempoolFile, "--check"], { KEEPER_KEY: TEST_KEYS.keeper });
    expect(await ok.exited, ok.text()).to.equal(0);
    expect(ok.text()).to.include(
      "protocol vault: mempool: 3 of 3 endpoints trace calls (a, b, c), 3 give the state after a call (a, b, c), 3 show pending transactions (a, b, c)",
    );
    // Two endpoints without the debug namespace: no quorum of traces, so no pending simulation would ever count.
    for (const proxy of chain.proxies.slice(0, 2))
      proxy.fault = { kind: "reverting", methods: ["debug_traceCall"], data: "0x" };
    const short = runKeeper(["--config", mempoolFile, "--check"], { KEEPER_KEY: TEST_KEYS.keeper });
    expect(await short.exited).to.equal(2);
    expect(short.text()).to.include("mempool: 1 of 3 endpoints trace calls (c)");
    expect(short.text()).to.include(
      "protocols.vault.mempool: 1 of 3 endpoints answer debug_traceCall with the call tracer, and a pending simulation needs a quorum of 2",
    );
  });

  it("names a key that lacks GUARDIAN_ROLE, even when one endpoint says it holds it, and exits 2", async function () {
    // One endpoint lies in every eth_call: its hasRole says true. The quorum of the other two decides.
    chain.proxies[1]!.fault = { kind: "lying", methods: ["eth_call"] };
    const outsider = new Wallet(TEST_KEYS.outsider);
    const before = await nonce(chain, outsider.address);
    const run = runKeeper(["--config", file, "--check"], { KEEPER_KEY: TEST_KEYS.outsider });
    const code = await run.exited;
    const out = run.text();
    expect(code, out).to.equal(2);
    const hub = String(protocol.hub.target);
    expect(out).to.include(
      `keys.pauser (${outsider.address}): lacks GUARDIAN_ROLE on hub ${hub}, which action pause-all (pause) needs ` +
        `(governance grants it: npx hardhat --network <network> cordon guardians add --account ${outsider.address}, ` +
        `i.e. hub.grantRole(GUARDIAN_ROLE, ${outsider.address}))`,
    );
    expect(out).to.include(
      `keys.pauser (${outsider.address}): lacks GUARDIAN_ROLE on hub ${hub}, which action pause-withdrawals (pause-scopes) needs`,
    );
    // The hub will not estimate a pause for a key without the role: priced at the responder's fallback limit.
    expect(out).to.include(
      "0.6 ETH needed at 200 gwei (the emergency fee ceiling) x 3,000,000 gas, the responder's fallback gas limit: the hub reverts it now (AccessControlUnauthorizedAccount)",
    );
    expect(out).to.include("error: 2 problems on the chain (the config itself is valid)");
    expect(out).to.include("nothing was sent");
    expect(await nonce(chain, outsider.address), "nothing sent").to.equal(before);
  });

  it("names a guardian key with no funds, with the balance its pause needs at the emergency ceiling, and exits 2", async function () {
    const broke = Wallet.createRandom();
    await send(protocol.hub, "grantRole", CordonHubConstants.GUARDIAN_ROLE, broke.address); // the deployer governs
    // What the responder would give the pause (reason "security", the action's default): the estimate plus 30%, at
    // the 200 gwei ceiling.
    const estimate = BigInt(
      await chain.node.rpc<string>("eth_estimateGas", [
        {
          from: broke.address,
          to: protocol.hub.target,
          data: hubInterface.encodeFunctionData("pause", [Reasons.CLASS_SECURITY]),
        },
      ]),
    );
    const needed = ((estimate * 13n) / 10n) * 200_000_000_000n;
    const run = runKeeper(["--config", file, "--check"], { KEEPER_KEY: broke.privateKey });
    const code = await run.exited;
    const out = run.text();
    expect(code, out).to.equal(2);
    expect(out).to.include(`role: holds GUARDIAN_ROLE on hub ${String(protocol.hub.target)}`);
    expect(out).to.include(
      `keys.pauser (${broke.address}): balance 0 ETH < ${formatEther(needed)} ETH needed for pause (pause-all) at 200 gwei (the emergency fee ceiling)`,
    );
    expect(out).to.include(`keys.pauser (${broke.address}): balance 0 ETH < `);
    expect(out).to.include("needed for pause-scopes (pause-withdrawals) at 200 gwei");
    expect(out).to.include("needed for trip-invariant (trip) at 200 gwei");
    expect(out).to.not.include("lacks GUARDIAN_ROLE");
    expect(out).to.include("error: 3 problems on the chain");
    expect(await nonce(chain, broke.address), "nothing sent").to.equal(0);
  });

  it("says when no quorum of endpoints can be reached, and still reports the offline checks", async function () {
    chain.proxies[0]!.fault = { kind: "down" };
    chain.proxies[2]!.fault = { kind: "down" };
    const run = runKeeper(["--config", file, "--check"], { KEEPER_KEY: TEST_KEYS.keeper });
    const code = await run.exited;
    const out = run.text();
    expect(code, out).to.equal(1);
    expect(out).to.include(`${file}: OK`);
    expect(out).to.include("detector big-withdrawal (large-transfer) -> action pause-all (pause, key pauser)");
    expect(out).to.include(
      "network local: NOT CHECKED on the chain: no quorum (2 of 3 endpoints) agrees on a block, so no key's role or balance was read",
    );
    expect(out).to.match(/endpoint a: (down|unknown)/);
    expect(out).to.include(
      "error: the chain could not be reached by a quorum of endpoints for local: the keys' roles and balances there were not checked",
    );
    expect(out).to.include("nothing was sent");
  });
});
