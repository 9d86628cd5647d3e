// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/**
 * @title ICordonCheckpointed
 * @notice What a protected contract exposes so the hub can checkpoint its accounting state and gate recovery on it.
 */
interface ICordonCheckpointed {
    /**
     * @notice A digest of the contract's accounting state (balances, supplies, the books it keeps).
     * @dev Must be a pure function of storage: two calls at the same block return the same digest, so that
     * governance and guardians can attest to it and `verify-state` can recompute it from proven storage.
     */
    function stateDigest() external view returns (bytes32);

    /**
     * @notice Checks the contract's invariants.
     * @return code 0 when every invariant holds, otherwise a contract-defined code naming the first that fails.
     * @dev Must not revert; the hub treats a revert as a failing invariant.
     */
    function checkInvariants() external view returns (uint256 code);
}
