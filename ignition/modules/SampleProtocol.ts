import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

const DAY = 24 * 60 * 60;

/**
 * The sample protocol under Cordon: a mock USDC, the guardian hub, and the sample ERC-4626 vault protected by it with
 * an outflow limit on withdrawals. Parameters (all optional): governance, guardian, guardianPauseDuration,
 * guardianCooldown, flawSwitch, capacity, window, largeThreshold, policy (0 revert, 1 queue, 2 trip), queueDelay.
 * The deployer must hold governance for the configuration calls (a Safe or timelock takes over afterwards).
 */
export default buildModule("SampleProtocol", (m) => {
  const deployer = m.getAccount(0);
  const governance = m.getParameter("governance", deployer);
  const guardian = m.getParameter("guardian", m.getAccount(1));
  const pauseDuration = m.getParameter("guardianPauseDuration", 3 * DAY);
  const cooldown = m.getParameter("guardianCooldown", DAY);
  const flawSwitch = m.getParameter("flawSwitch", "0x0000000000000000000000000000000000000000");

  const token = m.contract("MockERC20", ["USD Coin (mock)", "USDC", 18]);
  const hub = m.contract("CordonHub", [governance, [guardian], pauseDuration, cooldown]);
  const vault = m.contract("CordonVault", [token, "Cordon USDC Vault", "cvUSDC", hub, flawSwitch]);

  const added = m.call(hub, "addProtected", [vault]);
  m.call(
    hub,
    "setLimit",
    [
      vault,
      token,
      {
        scope: 1,
        capacity: m.getParameter("capacity", 10_000n * 10n ** 18n),
        window: m.getParameter("window", DAY),
        largeThreshold: m.getParameter("largeThreshold", 5_000n * 10n ** 18n),
        policy: m.getParameter("policy", 2),
        inflowRefills: false,
        queueDelay: m.getParameter("queueDelay", DAY),
      },
    ],
    { after: [added] },
  );
  return { token, hub, vault };
});
