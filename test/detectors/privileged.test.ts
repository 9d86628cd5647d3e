import { expect } from "chai";
import { Contract, getAddress, Interface, id, ZeroAddress, ZeroHash } from "ethers";

import { privilegedEventsDetector } from "@cordon/keeper/detectors/privileged.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { Watcher } from "@cordon/keeper/watcher/watcher.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { artifact, deploy, send } from "../support/deploy.js";

const OZ = "@openzeppelin/contracts/proxy";
const ADMIN_SLOT = "0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103";
const MINTER = id("MINTER_ROLE");
const GOVERNANCE = id("CORDON_GOVERNANCE_ROLE");
const GUARDIAN = id("CORDON_GUARDIAN_ROLE");

describe("Privileged events detector", function () {
  this.timeout(90_000);
  let chain: TestChain;

  before(async function () {
    chain = await startTestChain(["a"]);
  });

  after(async function () {
    await chain?.stop();
  });

  it("decodes role, ownership, proxy and hub governance events from the watched contracts: who did what to whom", async function () {
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    const keeper = await chain.wallet(TEST_KEYS.keeper);
    const outsider = (await chain.wallet(TEST_KEYS.outsider)).address;
    const me = deployer.address;
    const startBlock = Number(await chain.node.rpc<string>("eth_blockNumber")) + 1;

    // OpenZeppelin AccessControl + Ownable; `other` is followed by the watcher but not watched by the detector.
    const access = await deploy(deployer, "AccessMock", "contracts/mocks", []);
    const other = await deploy(deployer, "AccessMock", "contracts/mocks", []);
    await send(access, "grantRole", MINTER, keeper.address);
    await send(access, "grantRole", ZeroHash, outsider);
    await send(access, "revokeRole", MINTER, keeper.address);
    await send(access, "transferOwnership", outsider);
    await send(other, "grantRole", ZeroHash, outsider);

    // OpenZeppelin's proxies: UUPS behind ERC1967Proxy, transparent, beacon.
    const impl1 = String((await deploy(deployer, "UpgradeableMock", "contracts/mocks", [])).target);
    const impl2 = String((await deploy(deployer, "UpgradeableMock", "contracts/mocks", [])).target);
    const init = new Interface(["function initialize()"]).encodeFunctionData("initialize");
    const uups = await deploy(deployer, "ERC1967Proxy", `${OZ}/ERC1967`, [impl1, init]);
    const asUups = new Contract(uups.target, artifact("UpgradeableMock").abi as never, deployer);
    await send(asUups, "upgradeToAndCall", impl2, "0x");
    const transparent = await deploy(deployer, "TransparentUpgradeableProxy", `${OZ}/transparent`, [impl1, me, init]);
    const proxyAdmin = getAddress(
      `0x${(await chain.node.rpc<string>("eth_getStorageAt", [transparent.target, ADMIN_SLOT, "latest"])).slice(-40)}`,
    );
    const beacon = await deploy(deployer, "UpgradeableBeacon", `${OZ}/beacon`, [impl1, me]);
    await send(beacon, "upgradeTo", impl2);
    const beaconProxy = await deploy(deployer, "BeaconProxy", `${OZ}/beacon`, [beacon.target, "0x"]);

    // The real hub: constructor, governance changes, and a guardian pause (not privileged: no finding).
    const hub = await deploy(deployer, "CordonHub", "contracts/hub", [me, [keeper.address], 3 * 86400, 86400]);
    await send(hub, "setPauseRules", 2 * 86400, 43200);
    await send(hub, "setAttestationThreshold", 1);
    await send(hub, "setGrace", 2n, 3600);
    const guarded = String((await deploy(deployer, "GuardedMock", "contracts/mocks", [hub.target])).target);
    const asset = "0x00000000000000000000000000000000000000a5";
    await send(hub, "addProtected", guarded);
    await send(hub, "setLimit", guarded, asset, {
      scope: 3,
      capacity: 5_000n,
      window: 86400,
      largeThreshold: 0,
      policy: 2,
      inflowRefills: false,
      queueDelay: 600,
    });
    await send(hub.connect(keeper) as Contract, "pause", 0x0101);
    await send(hub, "liftCooldown");
    await send(hub, "removeProtected", guarded);
    await send(hub, "grantRole", GOVERNANCE, outsider);

    const pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
    const store = new Store(":memory:", 31337);
    const watched = [access, uups, transparent, beacon, beaconProxy, hub].map((c) => String(c.target));
    const watcher = new Watcher({
      pool,
      store,
      detectors: [privilegedEventsDetector({ contracts: watched })],
      addresses: [String(other.target)],
      startBlock,
    });
    const { findings } = await watcher.tick();
    store.close();

    const [A, U, T, B, BP, H] = watched.map((a) => getAddress(a));
    const row = (f: (typeof findings)[number]) => [f.data.event, f.data.contract, f.severity, f.data.actor];
    expect(findings.map(row)).to.deep.equal([
      ["OwnershipTransferred", A, "high", me],
      ["RoleGranted", A, "critical", me],
      ["RoleGranted", A, "high", me],
      ["RoleGranted", A, "critical", me],
      ["RoleRevoked", A, "high", me],
      ["OwnershipTransferred", A, "high", me],
      ["Upgraded", U, "high", me],
      ["Upgraded", U, "high", me],
      ["Upgraded", T, "high", me],
      ["AdminChanged", T, "high", me],
      ["OwnershipTransferred", B, "high", me],
      ["Upgraded", B, "high", me],
      ["Upgraded", B, "high", me],
      ["BeaconUpgraded", BP, "high", me],
      ["RoleAdminChanged", H, "high", me],
      ["RoleAdminChanged", H, "high", me],
      ["RoleGranted", H, "critical", me],
      ["RoleGranted", H, "high", me],
      ["PauseRulesChanged", H, "high", me],
      ["PauseRulesChanged", H, "high", me],
      ["AttestationThresholdChanged", H, "high", me],
      ["GraceChanged", H, "high", me],
      ["ProtectedContractAdded", H, "high", me],
      ["LimitSet", H, "high", me],
      ["CooldownLifted", H, "high", me],
      ["ProtectedContractRemoved", H, "high", me],
      ["RoleGranted", H, "critical", me],
    ]);

    // What each says, and its figures.
    const at = (i: number) => findings[i]!;
    expect(at(0).data).to.include({ previousOwner: ZeroAddress, newOwner: me });
    expect(at(3).summary).to.include(`${me} granted DEFAULT_ADMIN_ROLE to ${outsider} on ${A}`);
    expect(at(2).data).to.include({ role: MINTER, roleName: MINTER, account: keeper.address });
    expect(at(4).summary).to.include(`${me} revoked ${MINTER} from ${keeper.address} on ${A}`);
    expect(at(5).data).to.include({ previousOwner: me, newOwner: outsider });
    expect(at(7).summary)
      .to.include(`${U} now runs implementation ${getAddress(impl2)}`)
      .and.include(`from ${me}`);
    expect(at(9).data).to.include({ previousAdmin: ZeroAddress, newAdmin: proxyAdmin });
    expect(at(12).data).to.include({ implementation: getAddress(impl2) });
    expect(at(13).summary).to.include(`${BP} now follows beacon ${B}`);
    expect(at(14).data).to.include({ role: GOVERNANCE, previousAdminRole: ZeroHash, newAdminRole: GOVERNANCE });
    expect(at(17).summary).to.include(`${me} granted GUARDIAN_ROLE to ${keeper.address} on ${H}`);
    expect(at(17).data.role).to.equal(GUARDIAN);
    expect(at(19).data).to.include({ guardianPauseDuration: 2 * 86400, guardianCooldown: 43200 });
    expect(at(20).data).to.include({ threshold: 1 });
    expect(at(21).data).to.include({ scopes: "0x2", period: 3600 });
    expect(at(22).data).to.include({ target: getAddress(guarded) });
    expect(at(23).data).to.deep.include({
      target: getAddress(guarded),
      asset: getAddress(asset),
      params: {
        scope: 3,
        capacity: "5000",
        window: 86400,
        largeThreshold: "0",
        policy: "trip",
        inflowRefills: false,
        queueDelay: 600,
      },
    });
    expect(at(24).summary).to.include(`${me} lifted the guardian cooldown of hub ${H}`);
    expect(at(25).summary).to.include(`${getAddress(guarded)} was removed from hub ${H}`);
    expect(at(26).summary).to.include(`${me} granted GOVERNANCE_ROLE to ${outsider} on ${H}`);
    expect(at(26).blockNumber).to.equal(Number(await chain.node.rpc<string>("eth_blockNumber")));
  });
});
