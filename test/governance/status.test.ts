import { expect } from "chai";
import type { Contract, Wallet } from "ethers";

import { readStatus, renderStatus, scopesOf, statusJson } from "@cordon/keeper/governance/status.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { send } from "../support/deploy.js";
import { E18, type SampleProtocol, deploySampleProtocol } from "../support/protocol.js";
import { deployQueuedProtocol } from "../support/queued.js";

const SECURITY_DRAIN = 0x0101;
const DAY = 86_400n;

describe("Status of a hub: state, scopes, limits, guardians, checkpoints", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let protocol: SampleProtocol;
  let deployer: Wallet;

  before(async function () {
    chain = await startTestChain([]);
    protocol = await deploySampleProtocol(chain);
    deployer = await chain.wallet(TEST_KEYS.deployer);
  });

  after(async function () {
    await chain?.stop();
  });

  it("reads the bits of a scope mask", function () {
    expect(scopesOf(0n)).to.deep.equal([]);
    expect(scopesOf(0b1010n)).to.deep.equal([1, 3]);
    expect(scopesOf(1n << 207n)).to.deep.equal([207]);
  });

  it("reports an open hub with its guardians, governance and limit usage", async function () {
    await send(protocol.vault, "withdraw", 500n * E18, deployer.address, deployer.address);
    const status = await readStatus(chain.provider, protocol.hub.target as string);
    expect(status.state).to.equal("Active");
    expect(status.openIncident).to.equal(null);
    expect(status.guardians).to.deep.equal([protocol.keeper.address]);
    expect(status.governance).to.deep.equal([deployer.address]);
    expect(status.checkpoints).to.deep.equal([]);
    expect(status.protected).to.have.length(1);
    const [limit] = status.protected[0]!.limits;
    expect(limit).to.include({ asset: protocol.token.target, scope: 1, policy: "revert" });
    expect(limit!.used).to.be.closeTo(500n * E18, E18);
    expect(limit!.available).to.equal(limit!.capacity - limit!.used);
    expect(limit!.secondsToFull > 0n && limit!.secondsToFull <= DAY).to.equal(true);
  });

  it("reports a guardian scope pause with its end, then a governance pause, as table and JSON", async function () {
    const asKeeper = protocol.hub.connect(await chain.wallet(TEST_KEYS.keeper)) as Contract;
    await send(asKeeper, "pauseScopes", 1n << 1n, SECURITY_DRAIN);
    let status = await readStatus(chain.provider, protocol.hub.target as string);
    expect(status.state).to.equal("Active");
    expect(status.openIncident).to.equal(1n);
    expect(status.pausedScopes).to.deep.equal({ held: [], expiring: [1], grace: [] });
    expect(status.pauseExpiry).to.equal(status.timestamp + 3n * DAY);
    // A pause takes no checkpoint: the keeper takes one in its next transaction.
    expect(status.checkpoints).to.deep.equal([]);
    expect(renderStatus(status)).to.match(/Scopes paused by guardians\s+1\n/);
    expect(renderStatus(status)).to.match(/Guardian pause ends\s+\S+ \(in 3 d\): guardian scopes/);
    await send(asKeeper, "checkpoint", SECURITY_DRAIN);
    status = await readStatus(chain.provider, protocol.hub.target as string);
    expect(status.checkpoints.map((cp) => [cp.id, cp.reason])).to.deep.equal([[1n, "SECURITY_DRAIN"]]);

    await send(protocol.hub, "pause", SECURITY_DRAIN);
    await send(protocol.hub, "checkpoint", SECURITY_DRAIN);
    status = await readStatus(chain.provider, protocol.hub.target as string);
    expect(status.state).to.equal("Paused");
    expect(status.checkpoints.map((cp) => cp.id)).to.deep.equal([2n, 1n]);
    const table = renderStatus(status);
    expect(table).to.match(/^State\s+Paused$/m);
    expect(table).to.match(/^Open incident\s+#1$/m);
    expect(table).to.contain(`Protected ${protocol.vault.target} (sees Paused)`);
    const json = JSON.parse(statusJson(status)) as { state: string; openIncident: string; guardians: string[] };
    expect(json).to.include({ state: "Paused", openIncident: "1" });
    expect(json.guardians).to.deep.equal([protocol.keeper.address]);
  });

  it("labels queued outflows from the contract's queuedStanding: a scope pause voids only its assets', a trip holds its own", async function () {
    const q = await deployQueuedProtocol(chain);
    const hub = q.hub.target as string;
    const user = q.deployer.address;
    const a = await q.outflow("A", user, 150n * E18);
    const b = await q.outflow("B", user, 150n * E18);
    // C's limit trips the breaker: scope 3 pauses and the outflow that tripped it waits for governance.
    const c = await q.outflow("C", user, 150n * E18);
    expect([a.tripped, b.tripped, c.tripped]).to.deep.equal([false, false, true]);

    const pending = async () => {
      const status = await readStatus(chain.provider, hub);
      return new Map(status.protected[0]!.pendingQueue.map((e) => [e.id, e]));
    };
    let queue = await pending();
    // The trip closed scope 3 only: A's and B's outflows stand, C's is held (not "voided").
    expect(queue.get(a.id)).to.include({ voided: false, held: false });
    expect(queue.get(b.id)).to.include({ voided: false, held: false });
    expect(queue.get(c.id)).to.include({ voided: false, held: true });

    // A guardian pauses scope 1 (A's): A's queued outflow is voided, B's is not.
    await send(q.hub.connect(q.keeper) as Contract, "pauseScopes", 1n << BigInt(q.scopes.A), SECURITY_DRAIN);
    queue = await pending();
    expect(queue.get(a.id)).to.include({ voided: true, held: false });
    expect(queue.get(b.id)).to.include({ voided: false, held: false });
    expect(queue.get(c.id)).to.include({ voided: false, held: true });

    const table = renderStatus(await readStatus(chain.provider, hub));
    const line = (id: bigint) => table.split("\n").find((l) => l.startsWith(`  #${id} `)) ?? "";
    expect(line(a.id)).to.contain("voided by a pause");
    expect(line(b.id)).to.not.contain("voided");
    expect(line(b.id)).to.not.contain("held");
    expect(line(c.id)).to.contain("held for approval");
    expect(line(c.id)).to.not.contain("voided");
  });
});
