/**
 * The generic detectors' conditions in the keeper config: type-checked when the config loads, so a bad expression,
 * an unknown name or a wrong type is reported with the file, the line, the path, the value and what to write.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { ConfigError, parseConfig } from "@cordon/keeper/config/load.js";

const HUB = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const TOKEN = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

/** A config whose `detectors` section is `detectors` (lines 11 onwards). */
function config(detectors: string, names: string): string {
  return `networks:
  local:
    chainId: 31337
    endpoints: [{ name: a, url: "http://127.0.0.1:8545" }]
protocols:
  p:
    network: local
    hub: "${HUB}"
    contracts: { token: "${TOKEN}" }
    detectors: [${names}]
detectors:
${detectors}`;
}

function problemsOf(text: string, file = "keeper.yml"): string {
  try {
    parseConfig(text, file);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as Error).message;
  }
  expect.fail("the config was accepted");
}

const TRANSFER = '"event Transfer(address indexed from, address indexed to, uint256 value)"';

describe("keeper config: conditions", function () {
  it("accepts the three generic kinds with valid conditions", function () {
    const loaded = parseConfig(
      config(
        `  big: { kind: event, contract: token, event: ${TRANSFER}, condition: 'value > uint256("5000e18")', severity: high }
  supply:
    kind: view
    contract: token
    function: "function totalSupply() view returns (uint256)"
    windowBlocks: 10
    condition: "value < first * 90 / 100 || change < -1000"
  mints: { kind: calls, contract: token, functions: ["function mint(address to, uint256 amount)"], condition: "amount > 0 && !reverted" }
`,
        "big, supply, mints",
      ),
      "keeper.yml",
    );
    expect(loaded.networks[0]!.protocols[0]!.detectors.map((d) => d.config.kind)).to.deep.equal([
      "event",
      "view",
      "calls",
      "hub-events",
    ]);
  });

  it("names the line, the path and the value of a bad expression, an unknown name and a wrong type, all at once", function () {
    const message = problemsOf(
      config(
        `  syntax: { kind: event, contract: token, event: ${TRANSFER}, condition: "value >" }
  unknown: { kind: event, contract: token, event: ${TRANSFER}, condition: "amount > 5" }
  type:
    kind: view
    contract: token
    function: "function totalSupply() view returns (uint256)"
    condition: 'value > "5"'
  calls: { kind: calls, contract: token, functions: ["function mint(address to, uint256 amount)"], condition: "to == 5" }
`,
        "syntax, unknown, type, calls",
      ),
    );
    expect(message).to.include("4 problems");
    expect(message).to.match(
      /keeper\.yml:12 detectors\.syntax\.condition: "value >" is not a condition on the arguments of Transfer\(address,address,uint256\): Unexpected token/,
    );
    expect(message).to.match(
      /keeper\.yml:13 detectors\.unknown\.condition: "amount > 5" .*unknown name: amount.*value \(uint256\)/,
    );
    expect(message).to.match(/keeper\.yml:18 detectors\.type\.condition: .*no such overload: uint256 > string/);
    expect(message).to.match(/keeper\.yml:19 detectors\.calls\.condition: "to == 5" .*address == int/);
    expect(message).to.include("Write a CEL expression over those names");
  });

  it("names a signature that does not parse, an event the ABI lacks, a missing ABI file and a summary's unknown name", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "cordon-conditions-"));
    try {
      const transfer = {
        type: "event",
        name: "Transfer",
        anonymous: false,
        inputs: [
          { name: "from", type: "address", indexed: true },
          { name: "to", type: "address", indexed: true },
          { name: "value", type: "uint256", indexed: false },
        ],
      };
      writeFileSync(path.join(dir, "erc20.json"), JSON.stringify([transfer]));
      const message = problemsOf(
        config(
          `  sig: { kind: event, contract: token, event: "event Transfer(address from" }
  missing: { kind: event, contract: token, abi: ./erc20.json, event: Approval }
  nofile: { kind: calls, contract: token, abi: ./nowhere.json, functions: [transfer] }
  summary: { kind: event, contract: token, abi: ./erc20.json, event: Transfer, summary: "{amount} moved" }
  view: { kind: view, contract: token, function: "function balanceOf(address a) view returns (uint256)", condition: "value > 0" }
`,
          "sig, missing, nofile, summary, view",
        ),
        path.join(dir, "keeper.yml"),
      );
      expect(message).to.match(
        /keeper\.yml:12 detectors\.sig\.event: "event Transfer\(address from" is not an event signature/,
      );
      expect(message).to.match(
        /keeper\.yml:13 detectors\.missing\.event: the ABI has no event "Approval": its events: Transfer\(address,address,uint256\)/,
      );
      expect(message).to.match(/keeper\.yml:14 detectors\.nofile\.abi: cannot read the ABI file .*nowhere\.json/);
      expect(message).to.match(
        /keeper\.yml:15 detectors\.summary\.summary: \{amount\} is not known here: the template can use \{from\}/,
      );
      expect(message).to.match(
        /keeper\.yml:16 detectors\.view\.args: balanceOf\(address\) takes 1 argument, and 0 are given/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
