/** A test chain: a `hardhat node` (or anvil) process behind fault-injecting proxies, with funded wallets. */
import { JsonRpcProvider, Wallet } from "ethers";

import { startAnvil } from "./anvil-node.js";
import { FaultProxy } from "./fault-proxy.js";
import { type HardhatNode, type NodeOptions, startHardhatNode } from "./hardhat-node.js";

/** Hardhat's public test keys, from its well-known test mnemonic: never real keys. */
export const TEST_KEYS = {
  deployer: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcb5b52bfcd9cc6f3a",
  keeper: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  outsider: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
} as const;

export interface TestChain {
  node: HardhatNode;
  proxies: FaultProxy[];
  /** Talks to the node directly (no proxy), with no request caching. */
  provider: JsonRpcProvider;
  /** A wallet for `key` on the node, funded with 100 ETH. */
  wallet(key: string): Promise<Wallet>;
  stop(): Promise<void>;
}

export async function startTestChain(proxyNames: string[], options: NodeOptions = {}): Promise<TestChain> {
  return await chainOn(await startHardhatNode(options), proxyNames, "hardhat_setBalance");
}

/** The same on an anvil node (the second node implementation; its accounts come from the same test mnemonic). */
export async function startAnvilChain(proxyNames: string[]): Promise<TestChain> {
  return await chainOn(await startAnvil(), proxyNames, "anvil_setBalance");
}

async function chainOn(node: HardhatNode, proxyNames: string[], setBalance: string): Promise<TestChain> {
  const proxies: FaultProxy[] = [];
  for (const name of proxyNames) proxies.push(await new FaultProxy(node.url, name).start());
  const provider = new JsonRpcProvider(node.url, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  return {
    node,
    proxies,
    provider,
    wallet: async (key: string) => {
      const wallet = new Wallet(key, provider);
      await node.rpc(setBalance, [wallet.address, "0x56bc75e2d63100000"]);
      return wallet;
    },
    stop: async () => {
      for (const proxy of proxies) await proxy.stop();
      provider.destroy();
      await node.stop();
    },
  };
}
