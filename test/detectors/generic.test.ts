/**
 * The generic detectors (`event`, `view`, `calls`) against a `hardhat node` behind three endpoints: conditions on
 * decoded arguments, 256-bit amounts compared exactly (above 2^64 and next to 2^256-1), a condition that cannot be
 * evaluated reported and never acted on, a view's change over a window of blocks, and calls read from
 * quorum-agreed blocks.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import type { Contract, Wallet } from "ethers";

import { eventFragment, functionFragment } from "@cordon/keeper/detectors/abi-spec.js";
import { callsDetector } from "@cordon/keeper/detectors/calls.js";
import { eventDetector } from "@cordon/keeper/detectors/event.js";
import { Address, compileCondition, ConditionError, Int256, UInt256 } from "@cordon/keeper/detectors/expression.js";
import kinds from "@cordon/keeper/detectors/kinds/event.js";
import type { DetectorFinding } from "@cordon/keeper/detectors/types.js";
import { viewDetector } from "@cordon/keeper/detectors/view.js";
import { type BlockRange, toLog } from "@cordon/keeper/follower/follower.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { artifact, deploy, send } from "../support/deploy.js";
import { blockRange } from "../support/range.js";

const MAX = (1n << 256n) - 1n;
const TRANSFER = "event Transfer(address indexed from, address indexed to, uint256 value)";
const SINK = "0x000000000000000000000000000000000000dEaD";
const PAUSE = { kind: "pause", reason: 1 } as const;

describe("generic detectors (event, view, calls)", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let pool: RpcPool;
  let deployer: Wallet;
  let holder: Wallet;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    deployer = await chain.wallet(TEST_KEYS.deployer);
    holder = await chain.wallet(TEST_KEYS.outsider);
    pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
  });

  after(async function () {
    await chain?.stop();
  });

  const token = () => deploy(deployer, "MockERC20", "contracts/mocks", ["Big", "BIG", 18]);

  /** Blocks `from..to` as the follower hands them over, with the token's logs. */
  async function range(contract: Contract, from: number, to: number): Promise<BlockRange> {
    const last = await blockRange(chain.node, to);
    const logs = await chain.node.rpc<Record<string, unknown>[]>("eth_getLogs", [
      { address: String(contract.target), fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` },
    ]);
    return { ...last, from, logs: logs.map(toLog) };
  }

  describe("event", function () {
    it("compares 256-bit amounts exactly: above 2^64, and next to 2^256-1", async function () {
      const small = await token();
      const first = await send(small, "mint", holder.address, (1n << 64n) - 1n);
      await send(small, "mint", holder.address, 1n << 64n);
      const last = await send(small, "mint", holder.address, (1n << 64n) + 1n);
      const above = eventDetector({
        name: "p/above-2^64",
        contract: String(small.target),
        event: eventFragment(TRANSFER),
        condition: 'value > uint256("18446744073709551616") && to == "' + holder.address.toLowerCase() + '"',
        severity: "high",
        response: PAUSE,
      });
      const findings = await above.evaluate({ pool, range: await range(small, first, last) });
      expect(findings.map((f) => (f.data.args as { value: string }).value)).to.deep.equal([String((1n << 64n) + 1n)]);
      expect(findings[0]).to.deep.include({ severity: "high", response: PAUSE, blockNumber: last });
      expect(findings[0]!.data.args).to.deep.equal({
        from: "0x0000000000000000000000000000000000000000",
        to: holder.address,
        value: String((1n << 64n) + 1n),
      });

      const huge = await token();
      const block = await send(huge, "mint", holder.address, MAX - 1n);
      const nearMax = (expression: string) =>
        eventDetector({ contract: String(huge.target), event: eventFragment(TRANSFER), condition: expression });
      const r = await range(huge, block, block);
      expect(await nearMax(`value == uint256("${MAX - 1n}")`).evaluate({ pool, range: r })).to.have.length(1);
      expect(await nearMax(`value >= uint256("${MAX}")`).evaluate({ pool, range: r })).to.have.length(0);
      expect(
        await nearMax(`value > uint256("${MAX - 2n}") && value < uint256("${MAX}")`).evaluate({ pool, range: r }),
      ).to.have.length(1);
      expect(await nearMax(`value + 1 == uint256("${MAX}")`).evaluate({ pool, range: r })).to.have.length(1);
      expect(await nearMax("value / 1000000000000000000 > 1000").evaluate({ pool, range: r })).to.have.length(1);
    });

    it("reports a condition that overflows as such, and never acts on it", async function () {
      const huge = await token();
      const block = await send(huge, "mint", holder.address, MAX);
      const detector = eventDetector({
        contract: String(huge.target),
        event: eventFragment(TRANSFER),
        condition: "value * 2 > 0",
        response: PAUSE,
      });
      const [finding, ...rest] = (await detector.evaluate({
        pool,
        range: await range(huge, block, block),
      })) as DetectorFinding[];
      expect(rest).to.deep.equal([]);
      expect(finding!.response).to.equal(undefined);
      expect(finding!.summary).to.include("could not be evaluated").and.include("above 2^256-1");
      expect(finding!.data.conditionError).to.include("uint256 out of range");
    });

    it("is built from the config: the ABI from a JSON file, the summary from a template", async function () {
      const erc20 = await token();
      const block = await send(erc20, "mint", holder.address, 5001n * 10n ** 18n);
      const dir = mkdtempSync(path.join(tmpdir(), "cordon-generic-"));
      try {
        writeFileSync(path.join(dir, "token.json"), JSON.stringify({ abi: artifact("MockERC20").abi }));
        const config = kinds.schema.parse({
          kind: "event",
          contract: "token",
          abi: "./token.json",
          event: "Transfer",
          condition: 'value > uint256("5000e18")',
          summary: "{value} to {to} in block {block}",
        });
        expect(kinds.validate!(config, { configDir: dir })).to.deep.equal([]);
        const detector = await kinds.build(config, {
          id: "p/mints",
          name: "mints",
          protocol: { name: "p", hub: SINK, contracts: {} },
          addresses: { contract: String(erc20.target) },
          response: undefined,
          hasAction: false,
          configDir: dir,
          keepers: [],
        });
        expect(detector.addresses).to.deep.equal([String(erc20.target)]);
        const [finding] = await detector.evaluate({ pool, range: await range(erc20, block, block) });
        expect(finding!.summary).to.equal(`${5001n * 10n ** 18n} to ${holder.address} in block ${block}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("conditions", function () {
    const names = { value: "uint256", to: "address", memo: "string" };
    const errorOf = (expression: string) => {
      try {
        compileCondition(expression, names);
      } catch (error) {
        expect(error).to.be.instanceOf(ConditionError);
        return (error as Error).message;
      }
      throw new Error(`"${expression}" compiled`);
    };

    it("refuses a bad expression, an unknown name, a wrong type and a non-bool, each saying so", function () {
      expect(errorOf("value >")).to.match(/Unexpected token/);
      expect(errorOf("valeu > 1")).to.include("unknown name: valeu").and.include("value (uint256)");
      expect(errorOf('value > "1000"')).to.include("no such overload: uint256 > string");
      expect(errorOf("to == 5")).to.include("address == int");
      expect(errorOf("value + 1")).to.include("not a bool");
    });

    it("compares addresses whatever their case, and mixes int literals with 256-bit values", function () {
      const to = new Address("0x000000000000000000000000000000000000dead");
      const check = (expression: string, values: Record<string, unknown>) =>
        compileCondition(expression, { ...names, change: "int256" }).evaluate(values);
      expect(check('to == "0x000000000000000000000000000000000000DEAD" && value < 10', { to, value: new UInt256(9n) }))
        .to.be.true;
      expect(
        check('to in ["0x00000000000000000000000000000000000000aa", "0x000000000000000000000000000000000000DeaD"]', {
          to,
        }),
      ).to.be.true;
      expect(check('-change > uint256("18446744073709551616")', { change: new Int256(-(1n << 65n)) })).to.be.true;
      expect(check("value % 1000 == 7 && value / 1000 > 2", { value: new UInt256(3007n) })).to.be.true;
    });
  });

  describe("view", function () {
    it("finds a drop over a window of blocks once, from quorum reads pinned to each block", async function () {
      const erc20 = await token();
      const balanceOf = functionFragment("function balanceOf(address account) view returns (uint256)");
      const detector = viewDetector({
        name: "p/balance",
        contract: String(erc20.target),
        function: balanceOf,
        args: [holder.address],
        windowBlocks: 3,
        // Down 30% or more from where it was at the start of the window, with 256-bit balances.
        condition: "change < 0 && value * 100 <= first * 70",
        response: PAUSE,
      });
      const big = 10n ** 40n; // far above 2^64
      const step = async (block: number) => detector.evaluate({ pool, range: await blockRange(chain.node, block) });
      expect(await step(await send(erc20, "mint", holder.address, big))).to.deep.equal([]);
      const spend = (amount: bigint) => send(erc20.connect(holder) as Contract, "transfer", SINK, amount);
      expect(await step(await spend(big / 10n))).to.deep.equal([]); // -10%
      expect(await step(await spend(big / 10n))).to.deep.equal([]); // -20% over the window
      const [drop, ...rest] = await step(await spend(big / 10n)); // the window now starts at 90%: -22%, no
      expect(drop, "the window moved on: 90% -> 70% is under 30%").to.equal(undefined);
      expect(rest).to.deep.equal([]);
      const [crossing] = await step(await spend(big / 5n)); // 80% -> 50% within 3 blocks: -37.5%
      expect(crossing?.response).to.deep.equal(PAUSE);
      expect(crossing?.data).to.include({
        value: String((big * 5n) / 10n),
        first: String((big * 8n) / 10n),
        change: String(-(big * 3n) / 10n),
      });
      expect((crossing?.data.agreed as string[]).length).to.equal(3);
      expect(await step(await spend(1n)), "70% -> 50% is under 30% again").to.deep.equal([]);
    });

    it("compares with the previous reading", async function () {
      const erc20 = await token();
      const detector = viewDetector({
        contract: String(erc20.target),
        function: functionFragment("function totalSupply() view returns (uint256)"),
        condition: "value < previous * 90 / 100",
      });
      const step = async (block: number) => detector.evaluate({ pool, range: await blockRange(chain.node, block) });
      const mint = async (amount: bigint) => step(await send(erc20, "mint", holder.address, amount));
      expect(await mint(1n << 200n)).to.deep.equal([]);
      expect(await mint(1n)).to.deep.equal([]); // the supply only grows (the mock has no burn): never 10% down
      // previous * 90 above 2^256-1 is an error, reported once and not acted on, never a wrapped number.
      expect(await mint(MAX / 2n)).to.deep.equal([]);
      const [overflow] = await mint(1n); // previous is now above 2^255: previous * 90 overflows
      expect(overflow?.summary).to.include("could not be evaluated").and.include("above 2^256-1");
      expect(overflow?.response).to.equal(undefined);
      expect(await mint(1n), "the same failure is not repeated").to.deep.equal([]);
    });
  });

  describe("calls", function () {
    it("reports matching calls from quorum-agreed blocks, with their decoded arguments", async function () {
      const erc20 = await token();
      await send(erc20, "mint", holder.address, 10n ** 30n);
      const asHolder = erc20.connect(holder) as Contract;
      const from = await send(asHolder, "transfer", SINK, 5n);
      await send(asHolder, "approve", SINK, 10n ** 25n);
      const to = await send(asHolder, "transfer", SINK, 10n ** 24n);
      const detector = callsDetector({
        name: "p/big-transfers",
        contract: String(erc20.target),
        functions: [
          functionFragment("function transfer(address to, uint256 amount) returns (bool)"),
          functionFragment("function approve(address spender, uint256 amount) returns (bool)"),
        ],
        condition: `amount > uint256("1e20") && sender == "${holder.address}" && !reverted`,
        response: PAUSE,
      });
      const last = await blockRange(chain.node, to);
      const findings = await detector.evaluate({ pool, range: { ...last, from } });
      expect(findings.map((f) => [f.data.function, (f.data.args as { amount: string }).amount])).to.deep.equal([
        ["approve(address,uint256)", String(10n ** 25n)],
        ["transfer(address,uint256)", String(10n ** 24n)],
      ]);
      expect(findings[1]).to.deep.include({ blockNumber: to, blockHash: last.head.hash, response: PAUSE });
      expect(findings[1]!.data).to.include({ sender: holder.address, reverted: false });
    });

    it("does not take an endpoint's word for a block's transactions: they must make its transactionsRoot", async function () {
      const erc20 = await token();
      await send(erc20, "mint", holder.address, 10n ** 30n);
      const block = await send(erc20.connect(holder) as Contract, "transfer", SINK, 10n ** 24n);
      const detector = callsDetector({
        contract: String(erc20.target),
        functions: [functionFragment("function transfer(address to, uint256 amount) returns (bool)")],
        condition: 'amount > uint256("1e20")',
      });
      // Every endpoint but one hides the transactions of every block it serves; the honest one is still heard.
      const hide = (method: string, _: unknown[], result: unknown) =>
        method.startsWith("eth_getBlockBy") && result !== null ? { ...(result as object), transactions: [] } : result;
      chain.proxies[0]!.fault = { kind: "rewrite", rewrite: hide };
      chain.proxies[1]!.fault = { kind: "rewrite", rewrite: hide };
      try {
        const findings = await detector.evaluate({ pool, range: await blockRange(chain.node, block) });
        expect(findings.map((f) => f.data.tx)).to.have.length(1);
      } finally {
        chain.proxies[0]!.fault = { kind: "none" };
        chain.proxies[1]!.fault = { kind: "none" };
      }
    });

    it("refuses a range whose head is not the chain the blocks chain to", async function () {
      const erc20 = await token();
      const block = await send(erc20, "mint", holder.address, 1n);
      const detector = callsDetector({
        contract: String(erc20.target),
        functions: [functionFragment("function mint(address to, uint256 amount)")],
      });
      const real = await blockRange(chain.node, block);
      const forged = { ...real, head: { ...real.head, hash: `0x${"ab".repeat(32)}` } };
      let error: unknown;
      try {
        await detector.evaluate({ pool, range: forged });
      } catch (e) {
        error = e;
      }
      expect((error as Error | undefined)?.message).to.include("changed while they were read");
      expect(await detector.evaluate({ pool, range: real })).to.have.length(1);
    });
  });
});
