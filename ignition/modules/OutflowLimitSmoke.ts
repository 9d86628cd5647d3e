import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * A smoke deployment: one outflow limit (1,000 tokens per day, revert on breach) behind a harness. The guardian hub
 * and the sample vault replace it in the real demo.
 */
export default buildModule("OutflowLimitSmoke", (m) => {
  const capacity = m.getParameter("capacity", 1_000n * 10n ** 18n);
  const window = m.getParameter("window", 24 * 60 * 60);
  const limit = m.contract("OutflowLimitHarness");
  m.call(limit, "configure", [capacity, window, 0, 0, false]);
  return { limit };
});
