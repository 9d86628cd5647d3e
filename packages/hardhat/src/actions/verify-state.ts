/**
 * `npx hardhat cordon verify-state [--rpc url,url] [--checkpoint id]`: proves the hub's checkpoint and the protected
 * contracts' state by verified execution of their views (every read checked with `eth_getProof`) against a block a
 * quorum of endpoints agrees on (src/governance/verify.ts),
 * prints what each endpoint got right and wrong, and exits 1 when the state differs from the checkpoint or an
 * endpoint lied.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { CordonError } from "@cordon/keeper/errors.js";
import { renderVerification, verificationJson, verifyState } from "@cordon/keeper/governance/verify.js";
import { connect, run } from "./common.js";

export default async function verify(
  args: { rpc: string; checkpoint: string; blockHash: string; json: boolean },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await run(async () => {
    const { deployment, network } = await connect(hre);
    const endpoints: { name: string; url: string }[] = [];
    const config = hre.config.networks[network];
    if (config?.type === "http") endpoints.push({ name: network, url: await config.url.getUrl() });
    args.rpc
      .split(",")
      .map((url) => url.trim())
      .filter((url) => url !== "")
      .forEach((url, i) => endpoints.push({ name: `rpc${i + 1}`, url }));
    if (endpoints.length === 0) {
      throw new CordonError(`network ${network} is simulated in-process: there is no endpoint to verify`, {
        details: "use an http network, or give the endpoints with --rpc url1,url2,url3",
      });
    }
    if (args.checkpoint !== "" && !/^\d+$/.test(args.checkpoint)) {
      throw new CordonError(`--checkpoint must be a checkpoint id (a whole number), not "${args.checkpoint}"`, {
        details: "see `npx hardhat cordon status` for the latest checkpoint",
      });
    }
    if (args.blockHash !== "" && !/^0x[0-9a-fA-F]{64}$/.test(args.blockHash)) {
      throw new CordonError(`--block-hash must be a 32-byte hex block hash, not "${args.blockHash}"`);
    }
    // Origins only: a provider's API key usually sits in the path or the query.
    if (!args.json) for (const e of endpoints) process.stdout.write(`${e.name} = ${new URL(e.url).origin}\n`);
    const result = await verifyState({
      endpoints,
      hub: deployment.hub,
      checkpoint: args.checkpoint === "" ? undefined : BigInt(args.checkpoint),
      blockHash: args.blockHash === "" ? undefined : args.blockHash,
    });
    if (args.json) {
      const origins = Object.fromEntries(endpoints.map((e) => [e.name, new URL(e.url).origin]));
      process.stdout.write(`${JSON.stringify({ ...(verificationJson(result) as object), origins }, null, 2)}\n`);
    } else process.stdout.write(renderVerification(result));
    return result.matches && result.liars.size === 0 ? 0 : 1;
  });
}
