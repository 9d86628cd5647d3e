import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { Store, type StoredBlock } from "@cordon/keeper/store/store.js";

const block = (n: number, fork = "a"): StoredBlock => ({
  number: n,
  hash: `0x${fork}${n.toString(16).padStart(63, "0")}`,
  parentHash: `0x${fork}${(n - 1).toString(16).padStart(63, "0")}`,
});

describe("Store (node:sqlite)", function () {
  let dir: string;
  let file: string;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "cordon-store-"));
    file = path.join(dir, "watcher.db");
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the cursor and recent blocks across a restart", function () {
    const store = new Store(file, 31337);
    expect(store.cursor()).to.equal(undefined);
    store.advance([block(1), block(2), block(3)]);
    store.close();

    const reopened = new Store(file, 31337);
    expect(reopened.cursor()).to.deep.equal(block(3));
    expect(reopened.blocksDownFrom(3).map((b) => b.number)).to.deep.equal([3, 2, 1]);
    expect(new Store(file, 1).cursor(), "another chain has its own cursor").to.equal(undefined);
    reopened.close();
  });

  it("stores a batch's findings with its cursor move, or neither", function () {
    const store = new Store(file, 31337);
    store.advance([block(1)]);
    expect(() =>
      store.advance([block(2)], () => {
        store.addFinding({
          blockNumber: 2,
          blockHash: block(2).hash,
          detector: "drain",
          severity: "high",
          summary: "x",
          data: {},
        });
        throw new Error("crash in the middle");
      }),
    ).to.throw("crash in the middle");
    expect(store.cursor()?.number).to.equal(1);
    expect(store.findingsFrom(0)).to.have.length(0);
    store.close();
  });

  it("rewinds after a reorg: later blocks forgotten, their findings retracted", function () {
    const store = new Store(file, 31337);
    store.advance([block(1), block(2), block(3)], () => {
      store.addFinding({
        blockNumber: 2,
        blockHash: block(2).hash,
        detector: "d",
        severity: "low",
        summary: "two",
        data: { amount: 5n },
      });
      store.addFinding({
        blockNumber: 3,
        blockHash: block(3).hash,
        detector: "d",
        severity: "low",
        summary: "three",
        data: {},
      });
    });
    const retracted = store.rewind(block(1));
    expect(retracted.map((f) => f.summary)).to.deep.equal(["two", "three"]);
    expect(store.cursor()?.number).to.equal(1);
    expect(store.block(2)).to.equal(undefined);
    expect(store.findingsFrom(0)).to.have.length(0);
    expect(store.findingsFrom(0, true).every((f) => f.retracted)).to.equal(true);
    expect(store.findingsFrom(0, true)[0]?.data).to.deep.equal({ amount: "5" });
    store.close();
  });

  it("records an intended action once per key, even across a crash and restart", function () {
    const store = new Store(file, 31337);
    const first = store.intend("pause:hub:1:100", { kind: "pause", scope: 1 });
    expect(first.created).to.equal(true);
    store.update("pause:hub:1:100", { status: "sent", txHash: "0xabc", nonce: 7, attempt: true });
    store.close();

    const restarted = new Store(file, 31337);
    const again = restarted.intend("pause:hub:1:100", { kind: "pause", scope: 1 });
    expect(again.created).to.equal(false);
    expect(again.entry).to.include({ status: "sent", txHash: "0xabc", nonce: 7, attempts: 1 });
    expect(restarted.unfinished().map((e) => e.key)).to.deep.equal(["pause:hub:1:100"]);
    restarted.update("pause:hub:1:100", { status: "mined" });
    expect(restarted.unfinished()).to.have.length(0);
    restarted.close();
  });
});
