import { defineDetectorKind } from "../../config/kinds.js";
import { rpcDivergenceDetector } from "../rpc-divergence.js";

export default defineDetectorKind({
  kind: "rpc-divergence",
  docs: "An endpoint diverging from the quorum or lagging behind it. Polls `RpcPool.health()`.",
  options: {},
  build: (c, { id }) => rpcDivergenceDetector({ name: id, severity: c.severity }),
});
