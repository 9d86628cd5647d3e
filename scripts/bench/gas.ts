/**
 * `npm run bench:gas`: measures on the EVM what Cordon's guard adds to a withdraw, next to OpenZeppelin's
 * `Pausable` + `RateLimiter` doing the same job, and what a protocol-wide pause costs for 1, 10 and 50 protected
 * contracts, at the hub's maximum configuration (64 contracts of 8 limited assets), and with one protected contract
 * whose hooks burn all the gas they are given, beside pausing as many OpenZeppelin `Pausable` contracts in one
 * multicall. Every figure is the `gasUsed` of a real transaction receipt on Hardhat's in-process chain.
 *
 * Each measured withdraw is its own transaction, so every slot it touches is cold (first access in the transaction),
 * and each vault has already been used once, so no slot goes from zero to non-zero. The three vaults differ only in
 * their guard (contracts/mocks/BenchVaults.sol).
 *
 * Writes bench/out/gas.json and prints a table. With CORDON_GAS_SNAPSHOT=check it also compares the figures to the
 * committed bench/gas-snapshot.json and fails on any difference (`npm run gas`); with CORDON_GAS_SNAPSHOT=update it
 * rewrites that file (`npm run gas:snapshot`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

import { network } from "hardhat";

const { ethers } = await network.create();

const E18 = 10n ** 18n;
const DAY = 86_400;
const Policy = { Revert: 0, Queue: 1, Trip: 2 } as const;
const TARGET_HOT_PATH = 5_600;
/** The same outflow limit everywhere: large enough never to breach, so only the guard's cost is measured. */
const LIMIT = {
  scope: 1,
  capacity: 1_000_000n * E18,
  window: DAY,
  largeThreshold: 0,
  policy: Policy.Revert,
  inflowRefills: false,
  queueDelay: 0,
};
const TARGET_RATIO = 1.6;
/** The most gas one transaction may have (EIP-7825, enforced by Hardhat's EVM): the big pauses get all of it. */
const TX_GAS_CAP = 16_777_216;

const [governance, guardian, user] = await ethers.getSigners();
if (governance === undefined || guardian === undefined || user === undefined) throw new Error("need 3 signers");

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was not mined");
  return receipt.gasUsed;
}

console.log("Measuring a guarded withdraw against the same withdraw unguarded and guarded by OpenZeppelin...");
const token = await ethers.deployContract("MockERC20", ["Bench", "BNC", 18]);
const hub = await ethers.deployContract("CordonHub", [governance.address, [guardian.address], 3 * DAY, DAY]);
const unguarded = await ethers.deployContract("BenchVaultUnguarded", [await token.getAddress()]);
const cordon = await ethers.deployContract("BenchVaultCordon", [await token.getAddress(), await hub.getAddress()]);
const oz = await ethers.deployContract("BenchVaultOZ", [await token.getAddress(), DAY, 1_000_000n * E18]);
await (await hub.addProtected(await cordon.getAddress())).wait();
await (await hub.setLimit(await cordon.getAddress(), await token.getAddress(), LIMIT)).wait();

await (await token.mint(user.address, 10_000_000n * E18)).wait();
const vaults = { unguarded, cordon, oz };
for (const vault of Object.values(vaults)) {
  await (await token.connect(user).approve(await vault.getAddress(), ethers.MaxUint256)).wait();
  await (await vault.connect(user).deposit(1_000_000n * E18)).wait();
  await (await vault.connect(user).withdraw(E18)).wait(); // first use: limit and balances become non-zero
}

const samples = 5;
const withdrawGas: Record<keyof typeof vaults, bigint[]> = { unguarded: [], cordon: [], oz: [] };
for (let i = 0; i < samples; i++) {
  for (const [name, vault] of Object.entries(vaults) as [keyof typeof vaults, (typeof vaults)[keyof typeof vaults]][]) {
    withdrawGas[name].push(await gasOf(vault.connect(user).withdraw(10n * E18)));
  }
}
/** Governance's unpause of a guardian's pause starts the guardian cooldown (a day here): let it run out. */
async function afterGuardianCooldown(): Promise<void> {
  await ethers.provider.send("evm_increaseTime", [DAY + 1]);
  await ethers.provider.send("evm_mine", []);
}

const median = (xs: bigint[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[Math.floor(xs.length / 2)]!;
const base = median(withdrawGas.unguarded);
const cordonHotPath = Number(median(withdrawGas.cordon) - base);
const ozBaseline = Number(median(withdrawGas.oz) - base);
const ratio = ozBaseline / cordonHotPath;

console.log("Measuring a protocol-wide pause for 1, 10 and 50 protected contracts (sample vaults with a limit)...");
const pauseCost: Record<string, number> = {};
for (const n of [1, 10, 50]) {
  const pauseHub = await ethers.deployContract("CordonHub", [governance.address, [guardian.address], 3 * DAY, DAY]);
  for (let i = 0; i < n; i++) {
    const vault = await ethers.deployContract("CordonVault", [
      await token.getAddress(),
      `Vault ${i}`,
      `V${i}`,
      await pauseHub.getAddress(),
      ethers.ZeroAddress,
    ]);
    await (await pauseHub.addProtected(await vault.getAddress())).wait();
    await (await pauseHub.setLimit(await vault.getAddress(), await token.getAddress(), LIMIT)).wait();
    if ((i + 1) % 10 === 0 || i + 1 === n) process.stdout.write(`\r  ${n} contracts: deployed ${i + 1}/${n}`);
  }
  // The first pause writes many slots from zero; later incidents reuse them, so both are reported.
  pauseCost[`protocol_pause_${n}`] = Number(await gasOf(pauseHub.connect(guardian).pause(0x0101)));
  await (await pauseHub.connect(governance).unpause(0x0401)).wait();
  await afterGuardianCooldown();
  pauseCost[`protocol_pause_${n}_later_incident`] = Number(await gasOf(pauseHub.connect(guardian).pause(0x0101)));
  process.stdout.write(
    `\r  ${n} contracts: first pause ${pauseCost[`protocol_pause_${n}`]} gas, ` +
      `a later one ${pauseCost[`protocol_pause_${n}_later_incident`]} gas\n`,
  );
}

console.log("Measuring OpenZeppelin Pausable contracts paused in one multicall, for the same counts...");
const multicall = await ethers.deployContract("BenchPauseMulticall");
const ozPause: Record<string, number> = {};
for (const n of [1, 10, 50]) {
  const targets: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = await ethers.deployContract("BenchPausable", [await multicall.getAddress()]);
    targets.push(await p.getAddress());
  }
  ozPause[`oz_pause_${n}`] = Number(await gasOf(multicall.pauseAll(targets)));
  await (await multicall.unpauseAll(targets)).wait();
  ozPause[`oz_pause_${n}_later`] = Number(await gasOf(multicall.pauseAll(targets)));
}

console.log("Measuring the maximum configuration and a pause with one contract that burns its gas...");
const MAX_PROTECTED = 64;
const MAX_ASSETS = 8;
const maxHub = await ethers.deployContract("CordonHub", [governance.address, [guardian.address], 3 * DAY, DAY]);
for (let i = 0; i < MAX_PROTECTED; i++) {
  const mock = await ethers.deployContract("GuardedMock", [await maxHub.getAddress()]);
  await (await maxHub.addProtected(await mock.getAddress())).wait();
  for (let j = 0; j < MAX_ASSETS; j++) {
    const asset = ethers.getAddress(`0x${(0xa000 + j).toString(16).padStart(40, "0")}`);
    await (await maxHub.setLimit(await mock.getAddress(), asset, LIMIT)).wait();
  }
}
const maxConfig = Number(await gasOf(maxHub.connect(guardian).pause(0x0101, { gasLimit: TX_GAS_CAP })));
await (await maxHub.connect(governance).unpause(0x0401)).wait();
await afterGuardianCooldown();
const maxConfigLater = Number(await gasOf(maxHub.connect(guardian).pause(0x0101, { gasLimit: TX_GAS_CAP })));

const burnHub = await ethers.deployContract("CordonHub", [governance.address, [guardian.address], 3 * DAY, DAY]);
const burner = await ethers.deployContract("BurnerMock", [await burnHub.getAddress()]);
await (await burnHub.addProtected(await burner.getAddress(), { gasLimit: 5_000_000 })).wait();
for (let i = 1; i < 50; i++) {
  const vault = await ethers.deployContract("CordonVault", [
    await token.getAddress(),
    `Vault ${i}`,
    `V${i}`,
    await burnHub.getAddress(),
    ethers.ZeroAddress,
  ]);
  await (await burnHub.addProtected(await vault.getAddress())).wait();
  await (await burnHub.setLimit(await vault.getAddress(), await token.getAddress(), LIMIT)).wait();
}
const burnPause = Number(await gasOf(burnHub.connect(guardian).pause(0x0101, { gasLimit: TX_GAS_CAP })));

const perContractCordon = Math.round(pauseCost["protocol_pause_50_later_incident"]! / 50);
/** The first pause writes what no later one has to: it must meet the same target. */
const perContractCordonFirst = Math.round(pauseCost["protocol_pause_50"]! / 50);
const perContractOz = Math.round(ozPause["oz_pause_50_later"]! / 50);
const TARGET_PAUSE_50 = 1_500_000;
const TARGET_MAX_CONFIG = 15_000_000;

const result = {
  cordon_hot_path: cordonHotPath,
  oz_baseline: ozBaseline,
  ratio: Number(ratio.toFixed(3)),
  withdraw_unguarded: Number(base),
  withdraw_cordon: Number(median(withdrawGas.cordon)),
  withdraw_oz: Number(median(withdrawGas.oz)),
  ...pauseCost,
  ...ozPause,
  protocol_pause_per_contract_50: perContractCordon,
  protocol_pause_per_contract_50_first_incident: perContractCordonFirst,
  oz_pause_per_contract_50: perContractOz,
  protocol_pause_max_config_64x8: maxConfig,
  protocol_pause_max_config_64x8_later_incident: maxConfigLater,
  protocol_pause_50_one_burner: burnPause,
  targets: {
    cordon_hot_path_max: TARGET_HOT_PATH,
    ratio_min: TARGET_RATIO,
    protocol_pause_per_contract_max: perContractOz,
    protocol_pause_50_max: TARGET_PAUSE_50,
    max_config_max: TARGET_MAX_CONFIG,
  },
  met_hot_path: cordonHotPath <= TARGET_HOT_PATH && ratio >= TARGET_RATIO,
  met_pause:
    perContractCordon <= perContractOz &&
    perContractCordonFirst <= perContractOz &&
    pauseCost["protocol_pause_50_later_incident"]! <= TARGET_PAUSE_50 &&
    pauseCost["protocol_pause_50"]! <= TARGET_PAUSE_50 &&
    maxConfig <= TARGET_MAX_CONFIG,
  met: cordonHotPath <= TARGET_HOT_PATH && ratio >= TARGET_RATIO,
  samples,
};
mkdirSync("bench/out", { recursive: true });
writeFileSync("bench/out/gas.json", JSON.stringify(result, null, 2) + "\n");

const rows: [string, string, string][] = [
  ["withdraw, unguarded", `${result.withdraw_unguarded}`, "baseline"],
  ["withdraw, Cordon (scope + limit)", `${result.withdraw_cordon}`, ""],
  ["withdraw, OZ Pausable + RateLimiter", `${result.withdraw_oz}`, ""],
  ["cordon_hot_path (added)", `${cordonHotPath}`, `target <= ${TARGET_HOT_PATH}`],
  ["oz_baseline (added)", `${ozBaseline}`, ""],
  ["ratio oz_baseline / cordon_hot_path", ratio.toFixed(3), `target >= ${TARGET_RATIO}`],
  ...Object.entries(pauseCost).map(([k, v]) => [k, `${v}`, ""] as [string, string, string]),
  ...Object.entries(ozPause).map(([k, v]) => [k, `${v}`, "OZ Pausable, one multicall"] as [string, string, string]),
  ["protocol_pause_per_contract_50", `${perContractCordon}`, `target <= ${perContractOz} (OZ per contract)`],
  [
    "protocol_pause_per_contract_50_first_incident",
    `${perContractCordonFirst}`,
    `target <= ${perContractOz} (OZ per contract)`,
  ],
  ["oz_pause_per_contract_50", `${perContractOz}`, ""],
  ["protocol_pause_max_config_64x8", `${maxConfig}`, `target <= ${TARGET_MAX_CONFIG}`],
  ["protocol_pause_max_config_64x8_later_incident", `${maxConfigLater}`, ""],
  ["protocol_pause_50_one_burner", `${burnPause}`, "49 vaults + 1 contract burning its bounds"],
];
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`\n${"measure".padEnd(w0)}  ${"gas".padStart(w1)}  note`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
console.log(
  `\nHot-path targets ${result.met ? "met" : "NOT met"}; pause targets ${result.met_pause ? "met" : "NOT met"}. ` +
    "Written to bench/out/gas.json.",
);
if (!result.met || !result.met_pause) process.exitCode = 1;

const SNAPSHOT = "bench/gas-snapshot.json";
const mode = process.env.CORDON_GAS_SNAPSHOT;
const measured = Object.fromEntries(
  Object.entries(result).filter(([, v]) => typeof v === "number" && Number.isInteger(v)),
) as Record<string, number>;
if (mode === "update") {
  writeFileSync(SNAPSHOT, JSON.stringify(measured, null, 2) + "\n");
  console.log(`Snapshot written to ${SNAPSHOT}.`);
} else if (mode === "check") {
  if (!existsSync(SNAPSHOT)) throw new Error(`${SNAPSHOT} is missing: run \`npm run gas:snapshot\` and commit it.`);
  const expected = JSON.parse(readFileSync(SNAPSHOT, "utf8")) as Record<string, number>;
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(measured)])].sort();
  const drift = keys.filter((k) => expected[k] !== measured[k]);
  for (const k of drift) console.error(`gas drift: ${k} expected ${expected[k]} measured ${measured[k]}`);
  if (drift.length > 0) {
    console.error(`Gas differs from ${SNAPSHOT}. If the change is intended, run \`npm run gas:snapshot\` and commit.`);
    process.exitCode = 1;
  } else {
    console.log(`Gas matches ${SNAPSHOT}.`);
  }
}
