import { expect } from "chai";
import type { Contract, Wallet } from "ethers";

import { readStatus, renderStatus, scopesOf, statusJson } from "@cordon/keeper/governance/status.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { send } from "../support/deploy.js";
import { E18, type SampleProtocol, deploySampleProtocol } from "../support/protocol.js";

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
    expect(status.checkpoints.map((cp) => [cp.id, cp.reason])).to.deep.equal([[1n, "SECURITY_DRAIN"]]);
    expect(renderStatus(status)).to.match(/Scopes paused by guardians\s+1\n/);
    expect(renderStatus(status)).to.match(/Guardian pause ends\s+\S+ \(in 3 d\): guardian scopes/);

    await send(protocol.hub, "pause", SECURITY_DRAIN);
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
});
