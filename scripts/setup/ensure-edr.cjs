#!/usr/bin/env node
// Makes sure Hardhat's EVM (EDR) can load its native binding after `npm install`.
//
// `@nomicfoundation/edr` ships its binary in one optional package per platform. When the registry in use lacks some of
// those packages, npm drops the whole optional set, the one for this machine included, and Hardhat fails with HHE27.
// This step loads EDR; only if the binding is missing does it install this platform's package, at EDR's exact version,
// without touching package.json or the lockfile. On a complete registry it does nothing.
//
// `node scripts/setup/ensure-edr.cjs [project]` does the same for another project folder (the packaging test's consumer
// fixture); it is this repository's development workaround, never part of what Cordon's packages run.
"use strict";

const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const project = path.resolve(process.argv[2] ?? path.join(__dirname, "..", ".."));
const projectRequire = createRequire(path.join(project, "package.json"));

function platformPackage() {
  const { platform, arch } = process;
  if (platform === "linux") {
    const report = process.report?.getReport?.();
    const glibc = report?.header?.glibcVersionRuntime !== undefined;
    return `@nomicfoundation/edr-linux-${arch === "arm64" ? "arm64" : "x64"}-${glibc ? "gnu" : "musl"}`;
  }
  if (platform === "darwin") return `@nomicfoundation/edr-darwin-${arch === "arm64" ? "arm64" : "x64"}`;
  if (platform === "win32") return "@nomicfoundation/edr-win32-x64-msvc";
  return undefined;
}

function bindingLoads() {
  try {
    projectRequire("@nomicfoundation/edr");
    return true;
  } catch {
    return false;
  }
}

function main() {
  let version;
  try {
    // EDR's `exports` hide its package.json, so read it from the folder its entry point lives in.
    const dir = path.dirname(projectRequire.resolve("@nomicfoundation/edr"));
    version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
  } catch {
    return; // EDR is not installed (e.g. `npm install --omit=dev`): nothing to fix.
  }
  if (bindingLoads()) return;

  const pkg = platformPackage();
  if (pkg === undefined) {
    console.warn(`[cordon] EDR has no native package for ${process.platform}-${process.arch}; Hardhat will not run.`);
    return;
  }
  console.log(`[cordon] EDR's native binding is missing; installing ${pkg}@${version} (not saved to package.json).`);
  const npm = process.env.npm_execpath;
  const [cmd, args] = npm ? [process.execPath, [npm]] : [process.platform === "win32" ? "npm.cmd" : "npm", []];
  execFileSync(
    cmd,
    [...args, "install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", `${pkg}@${version}`],
    {
      cwd: project,
      stdio: "inherit",
      env: { ...process.env, npm_config_engine_strict: "false" },
    },
  );
  // The fresh package is only visible to a new process, so check in one.
  execFileSync(process.execPath, ["-e", "require('@nomicfoundation/edr')"], {
    cwd: project,
    stdio: "inherit",
  });
  console.log(`[cordon] ${pkg}@${version} installed; Hardhat's EVM loads.`);
}

main();
