/** The slices of Cordon's and ERC-20's ABIs the watcher uses, as human-readable fragments. */
import { Interface } from "ethers/abi";

export const hubInterface = new Interface([
  "function pause(uint16 reason)",
  "function pauseScopes(uint256 scopes, uint16 reason)",
  "function tripOnInvariant(address target)",
  "function state() view returns (uint8)",
  "function isScopePaused(uint8 scope) view returns (bool)",
  "function incidentId() view returns (uint64)",
  "function currentSync() view returns ((uint8 state, bool stateExpires, uint40 expiry, uint40 graceExpiry, uint256 heldScopes, uint256 expiringScopes, uint256 graceScopes, uint64 incidentId, uint64 pauseEpoch))",
  "error CordonGuardianCooldown(uint40 until)",
  "error CordonInvalidTransition(uint8 from, uint8 to)",
  "error CordonInvariantsHold(address target)",
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
]);

export const checkpointedInterface = new Interface([
  "function checkInvariants() view returns (uint256)",
  "function stateDigest() view returns (bytes32)",
]);

export const erc20Interface = new Interface([
  "event Transfer(address indexed from, address indexed to, uint256 value)",
]);

export const TRANSFER_TOPIC = erc20Interface.getEvent("Transfer")!.topicHash;
