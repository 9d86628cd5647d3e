/**
 * `npx hardhat cordon watch import <dir>`: an OpenZeppelin Monitor config directory as a keeper config
 * (@cordon/keeper's keeper/import), with the process's streams.
 */
import { importCommand } from "@cordon/keeper/keeper/import.js";

export default async function watchImport(args: {
  dir: string;
  out: string;
  hub: string;
  force: boolean;
}): Promise<void> {
  const code = importCommand(
    { dir: args.dir, out: args.out, ...(args.hub === "" ? {} : { hub: args.hub }), force: args.force },
    { stdout: process.stdout, stderr: process.stderr },
  );
  if (code !== 0) process.exitCode = code;
}
