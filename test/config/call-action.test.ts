/**
 * The `call` action and a protocol without a hub in the keeper config: what a valid entry resolves to (its calldata,
 * its `done` check encoded by type, contract names resolved in its arguments), and each mistake reported at load with
 * its line and path: a signature that is not one, a wrong argument count or type, an unknown name, and the hub's
 * actions and detectors on a protocol that has no hub, naming `protocols.<name>.hub`.
 */
import { expect } from "chai";
import { AbiCoder, Interface } from "ethers";

import { ConfigError, parseConfig } from "@cordon/keeper/config/load.js";

const TOKEN = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const POOL = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const CONFIGURATOR = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9";
const DATA = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9";

function config(action: string, extra = "", detectors = "[drain]"): string {
  return `
networks:
  local:
    chainId: 31337
    endpoints: [{ name: a, url: "http://127.0.0.1:8545" }]
keys:
  admin: { env: ADMIN_KEY }
protocols:
  aave:
    network: local
    contracts: { usdc: "${TOKEN}", pool: "${POOL}", configurator: "${CONFIGURATOR}", data: "${DATA}" }
    detectors: ${detectors}
detectors:
  drain: { kind: large-transfer, token: usdc, from: pool, threshold: 1000e6, action: act }
${extra}
actions:
  act:
${action}
`;
}

function problemsOf(text: string): string {
  try {
    parseConfig(text, "keeper.yml");
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as Error).message;
  }
  expect.fail("the config was accepted");
}

describe("keeper config: call actions, and protocols without a hub", function () {
  it("resolves a call: its calldata, its done check on another contract, names in its arguments", function () {
    const parsed = parseConfig(
      config(`    kind: call
    contract: configurator
    function: setPoolPause(bool)
    args: [true]
    done: { call: "getPaused(address)", args: [usdc], contract: data, equals: true }
    requires: EMERGENCY_ADMIN on the ACLManager
    key: admin`),
      "keeper.yml",
    );
    const protocol = parsed.networks[0]!.protocols[0]!;
    expect(protocol.hub).to.equal(undefined);
    expect(
      protocol.detectors.map((d) => d.name),
      "no hub-events detector without a hub",
    ).to.deep.equal(["drain"]);
    const response = protocol.detectors[0]!.action!.response;
    expect(response.kind).to.equal("call");
    if (response.kind !== "call") return;
    expect(response.target).to.equal(CONFIGURATOR);
    expect(response.data).to.equal(
      new Interface(["function setPoolPause(bool)"]).encodeFunctionData("setPoolPause", [true]),
    );
    expect(response.done!.target).to.equal(DATA);
    expect(response.done!.data).to.equal(
      new Interface(["function getPaused(address)"]).encodeFunctionData("getPaused", [TOKEN]),
    );
    expect(response.done!.equals).to.equal(AbiCoder.defaultAbiCoder().encode(["bool"], [true]));
    expect(response.description).to.equal(`setPoolPause(true) on ${CONFIGURATOR}`);
  });

  it("encodes done by the fragment's return type, and 256-bit amounts exactly", function () {
    const parsed = parseConfig(
      config(`    kind: call
    contract: pool
    function: "function setCap(address asset, uint256 cap)"
    args: [usdc, 115792089237316195423570985008687907853269984665640564039457584007913129639935]
    done: { call: "function capOf(address) view returns (uint256)", args: [usdc], equals: "0" }
    key: admin`),
      "keeper.yml",
    );
    const response = parsed.networks[0]!.protocols[0]!.detectors[0]!.action!.response;
    if (response.kind !== "call") return expect.fail("not a call");
    const [asset, cap] = new Interface(["function setCap(address,uint256)"]).decodeFunctionData(
      "setCap",
      response.data,
    );
    expect(asset).to.equal(TOKEN);
    expect(cap).to.equal(2n ** 256n - 1n);
    expect(response.done!.equals).to.equal(AbiCoder.defaultAbiCoder().encode(["uint256"], [0]));
  });

  it("reports a bad signature, a wrong count, a wrong type and an unknown name at their lines", function () {
    const bad = (action: string) => problemsOf(config(action));
    expect(bad(`    kind: call\n    contract: pool\n    function: "pause(("\n    key: admin`)).to.match(
      /keeper\.yml:\d+ actions\.act\.function: "pause\(\(" is not a function signature/,
    );
    expect(bad(`    kind: call\n    contract: pool\n    function: setPoolPause(bool)\n    key: admin`)).to.match(
      /actions\.act\.args: setPoolPause\(bool\) takes 1 argument, 0 given/,
    );
    expect(
      bad(`    kind: call\n    contract: pool\n    function: setPoolPause(bool)\n    args: [maybe]\n    key: admin`),
    ).to.match(/actions\.act\.args\.0: "maybe" is not true or false \(the argument's type is bool\)/);
    expect(
      bad(`    kind: call\n    contract: pool\n    function: freeze(address)\n    args: [dai]\n    key: admin`),
    ).to.match(
      /actions\.act\.args\.0: "dai" is neither an address nor a name in the protocol's contracts \(usdc, pool/,
    );
    expect(bad(`    kind: call\n    contract: vault\n    function: pause()\n    key: admin`)).to.match(
      /actions\.act\.contract: "vault" is neither an address nor a name in protocols\.aave\.contracts/,
    );
    expect(
      bad(
        `    kind: call\n    contract: pool\n    function: pause()\n    done: { call: paused(), equals: maybe }\n    key: admin`,
      ),
    ).to.match(/actions\.act\.done\.equals: cannot tell the type of "maybe"/);
  });

  it("refuses the hub's actions and detectors on a protocol without a hub, naming the field", function () {
    expect(problemsOf(config(`    kind: pause\n    key: admin`))).to.match(
      /keeper\.yml:\d+ actions\.act\.kind: kind pause acts on the protocol's CordonHub, and protocols\.aave\.hub is not set/,
    );
    expect(problemsOf(config(`    kind: pause-scopes\n    scopes: [1]\n    key: admin`))).to.include(
      "set protocols.aave.hub, or use an action of kind call",
    );
    const call = `    kind: call\n    contract: pool\n    function: pause()\n    key: admin`;
    expect(problemsOf(config(call, "  hub-watch: { kind: hub-events }", "[drain, hub-watch]"))).to.match(
      /protocols\.aave\.detectors\.1: detector hub-watch \(kind hub-events\) watches the protocol's CordonHub, and protocols\.aave\.hub is not set/,
    );
    expect(problemsOf(config(call, "  inv: { kind: invariant, target: pool }", "[drain, inv]"))).to.include(
      "detector inv (kind invariant) answers with the CordonHub's permissionless trip, and protocols.aave.hub is not set",
    );
    // With an action of its own, the invariant detector needs no hub.
    const ok = parseConfig(
      config(call, "  inv: { kind: invariant, target: pool, action: act }", "[drain, inv]"),
      "k.yml",
    );
    expect(ok.networks[0]!.protocols[0]!.detectors.map((d) => d.name)).to.deep.equal(["drain", "inv"]);
  });
});

describe("examples/keeper-deployed.yml", function () {
  it("loads: two protocols without a hub, each paused by a call", async function () {
    const { loadConfig } = await import("@cordon/keeper/config/load.js");
    const parsed = loadConfig("examples/keeper-deployed.yml");
    const protocols = parsed.networks[0]!.protocols;
    expect(protocols.map((p) => [p.name, p.hub])).to.deep.equal([
      ["aave", undefined],
      ["vault", undefined],
    ]);
    const descriptions = protocols.map((p) => {
      const response = p.detectors[0]!.action!.response;
      return response.kind === "call" ? response.description.split(" on ")[0] : response.kind;
    });
    expect(descriptions).to.deep.equal(["setPoolPause(true)", "pause()"]);
  });
});
