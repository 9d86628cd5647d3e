import { defineDetectorKind } from "../../config/kinds.js";

export default defineDetectorKind({
  kind: "rpc-divergence",
  docs: "An endpoint diverging from the quorum or lagging behind it. Polls `RpcPool.health()`.",
  options: {},
  build: async (c, { id }) =>
    (await import("../rpc-divergence.js")).rpcDivergenceDetector({ name: id, severity: c.severity }),
});
