/** `npx hardhat cordon watch <file>`: the keeper command (src/keeper/command.ts) with the process's streams. */
import { watchCommand } from "@cordon/keeper/keeper/command.js";

export default async function watch(args: { file: string; check: boolean; replay: string }): Promise<void> {
  const code = await watchCommand(
    { config: args.file, check: args.check, replay: args.replay },
    { stdout: process.stdout, stderr: process.stderr, env: process.env },
  );
  if (code !== 0) process.exitCode = code;
}
