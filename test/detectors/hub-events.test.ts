import { expect } from "chai";
import { type Contract, getAddress } from "ethers";

import { parseConfig } from "@cordon/keeper/config/load.js";
import { CordonHubConstants, Reasons } from "@cordon/keeper/contracts/generated/cordon.js";
import { buildDetector } from "@cordon/keeper/keeper/build.js";
import { hubEventsDetector } from "@cordon/keeper/detectors/hub-events.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { Watcher } from "@cordon/keeper/watcher/watcher.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy, send } from "../support/deploy.js";

const PAUSE_ALL = { kind: "pause", reason: Reasons.SECURITY_DRAIN } as const;

describe("Hub events detector", function () {
  this.timeout(90_000);
  let chain: TestChain;

  before(async function () {
    chain = await startTestChain(["a"]);
  });

  after(async function () {
    await chain?.stop();
  });

  it("reports the hub's trips, pauses, unpauses and role changes, each class with its severity; only others' trips ask for the action", async function () {
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    const keeper = await chain.wallet(TEST_KEYS.keeper);
    const outsider = await chain.wallet(TEST_KEYS.outsider);
    const hub = await deploy(deployer, "CordonHub", "contracts/hub", [deployer.address, [keeper.address], 86400, 60]);
    const guarded = await deploy(deployer, "GuardedMock", "contracts/mocks", [hub.target]);
    const token = await deploy(deployer, "MockERC20", "contracts/mocks", ["USD Coin", "USDC", 18]);
    await send(token, "mint", guarded.target, 10_000n);
    await send(hub, "addProtected", guarded.target);
    await send(hub, "setLimit", guarded.target, token.target, {
      scope: 2,
      capacity: 1_000n,
      window: 86400,
      largeThreshold: 0,
      policy: 2, // Trip
      inflowRefills: false,
      queueDelay: 0,
    });
    const startBlock = Number(await chain.node.rpc<string>("eth_blockNumber")) + 1;
    const as = (c: Contract, who: typeof deployer) => c.connect(who) as Contract;

    await send(as(hub, keeper), "pauseScopes", 1n << 5n, Reasons.SECURITY_DRAIN); // the keeper's own pause
    await send(as(guarded, outsider), "send", token.target, outsider.address, 5_000n); // over the limit: a trip
    await send(hub, "unpauseScopes", (1n << 5n) | (1n << 2n), Reasons.MAINTENANCE_PLANNED); // governance
    await send(hub, "grantRole", CordonHubConstants.GUARDIAN_ROLE, outsider.address);
    await send(hub, "revokeRole", CordonHubConstants.GUARDIAN_ROLE, keeper.address); // the keeper cannot pause now
    await send(guarded, "setInvariantCode", 4);
    await send(as(hub, outsider), "tripOnInvariant", guarded.target); // anyone's trip
    await send(hub, "liftCooldown"); // governance's unpause started a guardian cooldown
    await send(as(hub, outsider), "pause", Reasons.SECURITY_ORACLE); // another guardian, during the trip's episode

    const pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
    const store = new Store(":memory:", 31337);
    const watcher = new Watcher({
      pool,
      store,
      detectors: [hubEventsDetector({ hub: String(hub.target), keepers: [keeper.address], response: PAUSE_ALL })],
      addresses: [],
      startBlock,
    });
    const { findings } = await watcher.tick();
    store.close();

    const row = (f: (typeof findings)[number]) => [f.data.event, f.data.class, f.severity, f.data.own, !!f.response];
    expect(findings.map(row)).to.deep.equal([
      ["ScopesPaused", "ownPause", "info", true, false],
      ["LimitTripped", "trip", "critical", false, true],
      ["CooldownStarted", "unpause", "medium", false, false],
      ["ScopesUnpaused", "unpause", "medium", false, false],
      ["RoleGranted", "roles", "high", false, false],
      ["RoleRevoked", "roles", "critical", false, false],
      ["InvariantTripped", "trip", "critical", false, true],
      ["CooldownLifted", "rules", "high", false, false],
      ["StateChanged", "pause", "high", false, false],
    ]);

    const [own, limitTrip, cooldown, , granted, , invariantTrip, , paused] = findings;
    const G = getAddress(String(guarded.target));
    const H = getAddress(String(hub.target));
    expect(own!.summary)
      .to.include(`${keeper.address} paused scopes 0x20 of hub ${H}`)
      .and.include("this keeper's key");
    // The trip's finding names the pause it made (folded into it: no separate pause finding) and its episode's end.
    expect(limitTrip!.summary).to.include(`${G} tripped its outflow limit on hub ${H}: scopes 0x4 are paused until`);
    expect(limitTrip!.summary).to.include(`from ${outsider.address}`);
    const limitExpiry = Number(limitTrip!.data.expiry);
    expect(limitExpiry, "the episode's end, from the trip's own pause").to.be.greaterThan(0);
    expect(limitTrip!.response).to.deep.equal({ ...PAUSE_ALL, afterTrip: { expiry: limitExpiry } });
    expect(cooldown!.summary).to.include(
      `governance ended hub ${H}'s guardian pause early: guardians may pause again until`,
    );
    expect(granted!.summary).to.include(`granted GUARDIAN_ROLE to ${outsider.address} on ${H}`);
    expect(invariantTrip!.summary).to.include(
      `${outsider.address} tripped hub ${H} on ${G}'s failing invariant (code 4)`,
    );
    expect(invariantTrip!.data).to.include({ target: G, code: "4" });
    expect(paused!.summary).to.include(`${outsider.address} paused hub ${H} until`).and.include("SECURITY_ORACLE");
  });

  it("asks for nothing on a trip the keeper's own key made", async function () {
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    const keeper = await chain.wallet(TEST_KEYS.keeper);
    const hub = await deploy(deployer, "CordonHub", "contracts/hub", [deployer.address, [keeper.address], 86400, 60]);
    const guarded = await deploy(deployer, "GuardedMock", "contracts/mocks", [hub.target]);
    await send(hub, "addProtected", guarded.target);
    await send(guarded, "setInvariantCode", 1);
    const startBlock = Number(await chain.node.rpc<string>("eth_blockNumber")) + 1;
    await send(hub.connect(keeper) as Contract, "tripOnInvariant", guarded.target);

    const pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
    const store = new Store(":memory:", 31337);
    const detector = hubEventsDetector({ hub: String(hub.target), keepers: [keeper.address], response: PAUSE_ALL });
    const watcher = new Watcher({ pool, store, detectors: [detector], addresses: [], startBlock });
    const { findings } = await watcher.tick();
    store.close();
    expect(findings.map((f) => [f.data.event, f.data.own, f.response])).to.deep.equal([
      ["InvariantTripped", true, undefined],
    ]);
  });

  it("leaves the hub's role and rule changes to a privileged-events detector that watches the hub: each event once", async function () {
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    const keeper = await chain.wallet(TEST_KEYS.keeper);
    const outsider = await chain.wallet(TEST_KEYS.outsider);
    const hub = await deploy(deployer, "CordonHub", "contracts/hub", [deployer.address, [keeper.address], 86400, 60]);
    const config = parseConfig(
      `
networks:
  local: { chainId: 31337, endpoints: [{ name: a, url: "${chain.proxies[0]!.url}" }] }
protocols:
  vault: { network: local, hub: "${String(hub.target)}", contracts: { hub: "${String(hub.target)}" }, detectors: [admin] }
detectors:
  admin: { kind: privileged-events, contracts: [hub] }
`,
      "keeper.yml",
    );
    const protocol = config.networks[0]!.protocols[0]!;
    const detectors = await Promise.all(protocol.detectors.map((d) => buildDetector(config, protocol, d)));
    expect(detectors.map((d) => d.name)).to.deep.equal(["vault/admin", "vault/hub-events"]);

    const startBlock = Number(await chain.node.rpc<string>("eth_blockNumber")) + 1;
    await send(hub, "grantRole", CordonHubConstants.GUARDIAN_ROLE, outsider.address);
    await send(hub, "setAttestationThreshold", 1);
    await send(hub.connect(outsider) as Contract, "pause", Reasons.SECURITY_ORACLE);

    const pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
    const store = new Store(":memory:", 31337);
    const watcher = new Watcher({ pool, store, detectors, addresses: [], startBlock });
    const { findings } = await watcher.tick();
    store.close();
    expect(findings.map((f) => [f.detector, f.data.event])).to.deep.equal([
      ["vault/admin", "RoleGranted"],
      ["vault/admin", "AttestationThresholdChanged"],
      ["vault/hub-events", "StateChanged"],
    ]);
  });
});
