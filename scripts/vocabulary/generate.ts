/**
 * Generates `packages/keeper/src/contracts/generated/cordon.ts`: the contracts' ABIs and vocabulary (enums, reason
 * codes, roles, the scope count and every other non-private constant) from the compiled artifacts and their build
 * info, so no TypeScript file writes by hand what the build knows. viem's `generateTypedArtifacts` does the same.
 *
 * - ABIs come from the artifacts (`artifacts/contracts/...`), and, for the OpenZeppelin contracts the keeper talks
 *   to but Cordon does not build (TimelockController, IERC20Metadata, ...), from the build artifacts OpenZeppelin
 *   ships in its npm package.
 * - Enums and constants come from the solc AST in the build info: enum members by name, constants by the value solc
 *   computed (`int_const ...`), `keccak256("...")` of a string literal, and `address(n)`.
 * - Values the contracts repeat privately are checked against the public ones (the guarded base's scope count
 *   against the hub's, the adapter's governance role against the hub's): generation fails when they drift.
 *
 * Run by the `cordon-vocabulary` Hardhat plugin after every successful build (see ./plugin.ts), or by hand:
 * `node scripts/vocabulary/generate.ts [--check]` after `npx hardhat build` (`--check` writes nothing and fails when
 * the committed file is not what the artifacts give).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { getAddress, id, toBeHex } from "ethers";

/** Cordon's contracts whose ABIs the keeper, the plugin and the tests use: `[artifact name, source under contracts/]`. */
const CORDON_CONTRACTS = [
  ["CordonHub", "hub/CordonHub.sol"],
  ["ICordonHub", "interfaces/ICordonHub.sol"],
  ["ICordonGuarded", "interfaces/ICordonGuarded.sol"],
  ["ICordonCheckpointed", "interfaces/ICordonCheckpointed.sol"],
  ["CordonGuarded", "guarded/CordonGuarded.sol"],
  ["CordonGuardedBase", "guarded/CordonGuardedBase.sol"],
  ["CordonGuardedUpgradeable", "guarded/CordonGuardedUpgradeable.sol"],
  ["OutflowLimit", "limits/OutflowLimit.sol"],
  ["CordonERC7265Adapter", "adapters/CordonERC7265Adapter.sol"],
  ["IERC7265CircuitBreaker", "interfaces/IERC7265CircuitBreaker.sol"],
] as const;

/** OpenZeppelin contracts the keeper reads or calls, from the build artifacts OpenZeppelin ships. */
const OPENZEPPELIN_CONTRACTS = [
  "TimelockController",
  "IERC20Metadata",
  "IERC4626",
  "IAccessControl",
  "Ownable",
  "IERC1967",
];

/** Sources whose enums and constants are the vocabulary (`contracts/` without test doubles and the sample). */
const VOCABULARY_SOURCE = /^project\/contracts\/(?!mocks\/|sample\/).*\.sol$/;

export const GENERATED_FILE = "packages/keeper/src/contracts/generated/cordon.ts";

interface AbiItem {
  type: string;
  name?: string;
  inputs?: AbiParam[];
}
interface AbiParam {
  type: string;
  name: string;
  components?: AbiParam[];
}
interface Artifact {
  contractName: string;
  abi: AbiItem[];
  buildInfoId?: string;
  inputSourceName?: string;
}
interface AstNode {
  nodeType: string;
  name?: string;
  [key: string]: unknown;
}

export class VocabularyError extends Error {
  override name = "VocabularyError";
}

/** The generated module's text (unformatted), or undefined when the artifacts are not there (no build yet). */
export function generateVocabulary(root: string, artifactsDir = path.join(root, "artifacts")): string | undefined {
  const artifacts = new Map<string, Artifact>();
  for (const [name, source] of CORDON_CONTRACTS) {
    const file = path.join(artifactsDir, "contracts", source, `${name}.json`);
    if (!existsSync(file)) return undefined;
    artifacts.set(name, JSON.parse(readFileSync(file, "utf8")) as Artifact);
  }
  const require = createRequire(path.join(root, "package.json"));
  const openzeppelin = new Map<string, Artifact>();
  for (const name of OPENZEPPELIN_CONTRACTS) {
    const file = require.resolve(`@openzeppelin/contracts/build/contracts/${name}.json`);
    openzeppelin.set(name, JSON.parse(readFileSync(file, "utf8")) as Artifact);
  }

  const asts = readAsts(artifactsDir, [...artifacts.values()]);
  const enums: { name: string; scope: string | undefined; members: string[] }[] = [];
  const constants = new Map<
    string,
    { name: string; value: Value | undefined; visibility: string; hex: boolean; doc?: string }[]
  >();
  const librariesOfConstants = new Set<string>();
  for (const [source, ast] of [...asts].sort(([a], [b]) => a.localeCompare(b))) {
    if (!VOCABULARY_SOURCE.test(source)) continue;
    for (const node of ast.nodes as AstNode[]) {
      if (node.nodeType === "EnumDefinition") enums.push(enumOf(node, undefined));
      if (node.nodeType !== "ContractDefinition") continue;
      const contract = node.name!;
      const members = node.nodes as AstNode[];
      for (const member of members) if (member.nodeType === "EnumDefinition") enums.push(enumOf(member, contract));
      const declared = members
        .filter((m) => m.nodeType === "VariableDeclaration" && m.constant === true)
        .map((m) => ({
          name: m.name!,
          value: evaluate(m.value as AstNode),
          visibility: m.visibility as string,
          hex: String((m.value as AstNode).value ?? "").startsWith("0x"),
          doc: docOf(m),
        }));
      if (declared.length > 0) constants.set(contract, declared);
      if (node.contractKind === "library" && declared.length === members.length) librariesOfConstants.add(contract);
    }
  }
  checkAgreement(constants);

  const out: string[] = [];
  out.push(
    "// Generated by scripts/vocabulary/generate.ts from the compiled contracts (artifacts/ and their build info) and",
    "// OpenZeppelin's shipped build artifacts. Do not edit: `npx hardhat build` rewrites it, and CI fails when the",
    "// committed copy differs from what the build gives.",
    "",
  );
  out.push("// ── ABIs ──────────────────────────────────────────────────────────────────────────────────────────────");
  for (const [name, artifact] of [...artifacts, ...openzeppelin]) {
    const origin = openzeppelin.has(name)
      ? `OpenZeppelin's \`${name}\` (@openzeppelin/contracts/build/contracts/${name}.json)`
      : `\`${name}\` (contracts/${CORDON_CONTRACTS.find(([n]) => n === name)![1]})`;
    out.push(`/** The ABI of ${origin}. */`);
    out.push(`export const ${abiName(name)} = ${JSON.stringify(artifact.abi)} as const;`, "");
  }

  out.push("// ── Enums: member names by index ──────────────────────────────────────────────────────────────────────");
  for (const e of enums) {
    // An interface's enum is the protocol's (`QueueStatus`); a library's is qualified (`OutflowLimitPolicy`).
    const exported = e.scope === undefined || /^I[A-Z]/.test(e.scope) ? e.name : `${e.scope}${e.name}`;
    out.push(`/** \`${e.scope === undefined ? "" : `${e.scope}.`}${e.name}\`: member names in declaration order. */`);
    out.push(`export const ${exported} = ${JSON.stringify(e.members)} as const;`);
    out.push(`export type ${exported} = (typeof ${exported})[number];`, "");
  }

  out.push(
    "// ── Constants (public and internal; private ones only where checked above) ───────────────────────────────",
  );
  for (const [contract, list] of constants) {
    const visible = list.filter((c) => c.visibility !== "private");
    if (visible.length === 0) continue;
    const exported = librariesOfConstants.has(contract) ? contract : `${contract}Constants`;
    out.push(`/** The constants of \`${contract}\`. */`);
    out.push(`export const ${exported} = {`);
    for (const c of visible) {
      if (c.value === undefined) {
        throw new VocabularyError(
          `${contract}.${c.name}: its value is not a literal, keccak256 of a string or address(n); extend evaluate()`,
        );
      }
      if (c.doc !== undefined) out.push(`  /** ${c.doc} */`);
      out.push(`  ${c.name}: ${render(c.value, c.hex)},`);
    }
    out.push("} as const;", "");
  }
  return out.join("\n");
}

/** Writes the generated module, formatted with the repository's prettier config; true when it changed. */
export async function writeVocabulary(root: string, artifactsDir?: string): Promise<boolean | undefined> {
  const text = await formattedVocabulary(root, artifactsDir);
  if (text === undefined) return undefined;
  const file = path.join(root, GENERATED_FILE);
  if (existsSync(file) && readFileSync(file, "utf8") === text) return false;
  await mkdir(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return true;
}

export async function formattedVocabulary(root: string, artifactsDir?: string): Promise<string | undefined> {
  const raw = generateVocabulary(root, artifactsDir);
  if (raw === undefined) return undefined;
  const prettier = await import("prettier");
  const file = path.join(root, GENERATED_FILE);
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(raw, { ...options, filepath: file });
}

type Value = bigint | string;

function render(value: Value, hex: boolean): string {
  if (typeof value === "string") return JSON.stringify(value);
  const digits = hex ? `0x${value.toString(16).padStart(4, "0")}` : String(value);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? digits : `${digits}n`;
}

/** `CordonHub` -> `cordonHubAbi`, `ICordonHub` -> `iCordonHubAbi`, `IERC20Metadata` -> `ierc20MetadataAbi`. */
function abiName(contract: string): string {
  const head = /^[A-Z]+(?=[A-Z][a-z]|\d|$)/.exec(contract)?.[0] ?? contract[0]!;
  return `${head.toLowerCase()}${contract.slice(head.length)}Abi`;
}

function enumOf(node: AstNode, scope: string | undefined) {
  return { name: node.name!, scope, members: (node.members as AstNode[]).map((m) => m.name!) };
}

function docOf(node: AstNode): string | undefined {
  const doc = node.documentation as { text?: string } | undefined;
  const text = doc?.text
    ?.replace(/@(notice|dev)\s*/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return text === undefined || text === "" ? undefined : text.replaceAll("*/", "*\\/");
}

/** The value of a constant's initializer: what solc computed, keccak256 of a string literal, or address(n). */
function evaluate(node: AstNode | undefined): Value | undefined {
  if (node === undefined) return undefined;
  const typeString = (node.typeDescriptions as { typeString?: string } | undefined)?.typeString ?? "";
  const computed = /^int_const (-?\d+)$/.exec(typeString);
  if (computed !== null) return BigInt(computed[1]!);
  if (node.nodeType === "Literal" && node.kind === "number") {
    return BigInt(String(node.value).replaceAll("_", ""));
  }
  if (node.nodeType === "BinaryOperation") {
    const left = evaluate(node.leftExpression as AstNode);
    const right = evaluate(node.rightExpression as AstNode);
    if (typeof left !== "bigint" || typeof right !== "bigint") return undefined;
    switch (node.operator) {
      case "<<":
        return left << right;
      case "-":
        return left - right;
      case "+":
        return left + right;
      case "*":
        return left * right;
      case "|":
        return left | right;
      default:
        return undefined;
    }
  }
  if (node.nodeType === "TupleExpression") {
    const components = node.components as AstNode[];
    return components.length === 1 ? evaluate(components[0]) : undefined;
  }
  if (node.nodeType === "FunctionCall") {
    const callee = node.expression as AstNode;
    const args = node.arguments as AstNode[];
    if (callee.nodeType === "Identifier" && callee.name === "keccak256" && args.length === 1) {
      const arg = args[0]!;
      if (arg.nodeType === "Literal" && arg.kind === "string") return id(String(arg.value));
    }
    if (node.kind === "typeConversion" && typeString === "address" && args.length === 1) {
      const n = evaluate(args[0]);
      if (typeof n === "bigint") return getAddress(toBeHex(n, 20));
    }
  }
  if (node.nodeType === "MemberAccess" && node.memberName === "max") {
    const inner = node.expression as AstNode;
    const typeName = ((inner.arguments as AstNode[] | undefined)?.[0]?.typeName as AstNode | undefined)?.name;
    const bits = /^uint(\d+)$/.exec(typeName ?? "");
    if (bits !== null) return (1n << BigInt(bits[1]!)) - 1n;
  }
  return undefined;
}

/** Reads the ASTs of every source in the build infos the artifacts name. */
function readAsts(artifactsDir: string, artifacts: Artifact[]): Map<string, AstNode> {
  const asts = new Map<string, AstNode>();
  const ids = new Set(artifacts.map((a) => a.buildInfoId).filter((v): v is string => v !== undefined));
  for (const buildInfo of ids) {
    const file = path.join(artifactsDir, "build-info", `${buildInfo}.output.json`);
    if (!existsSync(file)) throw new VocabularyError(`the build info ${file} is missing: run npx hardhat build`);
    const output = JSON.parse(readFileSync(file, "utf8")) as {
      output: { sources: Record<string, { ast: AstNode }> };
    };
    for (const [source, { ast }] of Object.entries(output.output.sources)) asts.set(source, ast);
  }
  for (const artifact of artifacts) {
    if (artifact.inputSourceName !== undefined && !asts.has(artifact.inputSourceName)) {
      throw new VocabularyError(`no AST for ${artifact.inputSourceName} in its build info: run npx hardhat build`);
    }
  }
  return asts;
}

/** Values the contracts keep privately must equal the public ones they mirror. */
function checkAgreement(constants: Map<string, { name: string; value: Value | undefined }[]>): void {
  const value = (contract: string, name: string) => constants.get(contract)?.find((c) => c.name === name)?.value;
  const pairs: [string, string, string, string][] = [
    ["CordonGuardedBase", "_SCOPE_COUNT", "CordonHub", "SCOPE_COUNT"],
    ["CordonERC7265Adapter", "_GOVERNANCE_ROLE", "CordonHub", "GOVERNANCE_ROLE"],
  ];
  for (const [c1, n1, c2, n2] of pairs) {
    const a = value(c1, n1);
    const b = value(c2, n2);
    if (a === undefined || b === undefined || a !== b) {
      throw new VocabularyError(`${c1}.${n1} (${String(a)}) must equal ${c2}.${n2} (${String(b)})`);
    }
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  const check = process.argv.includes("--check");
  const text = await formattedVocabulary(root);
  if (text === undefined) {
    console.error("no artifacts: run npx hardhat build first");
    process.exit(1);
  }
  const file = path.join(root, GENERATED_FILE);
  const current = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (check) {
    if (current !== text) {
      console.error(`${GENERATED_FILE} is not what the build gives: run npx hardhat build and commit it`);
      process.exit(1);
    }
    console.log(`${GENERATED_FILE} is current`);
  } else {
    await writeVocabulary(root);
    console.log(current === text ? `${GENERATED_FILE} unchanged` : `wrote ${GENERATED_FILE}`);
  }
}
