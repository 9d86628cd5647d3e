// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {CordonGuarded} from "../guarded/CordonGuarded.sol";
import {ICordonCheckpointed} from "../interfaces/ICordonCheckpointed.sol";

/**
 * @dev A protected contract with settable digest and invariant code, hook counters, and one guarded action per
 * scope, for hub tests.
 */
contract GuardedMock is CordonGuarded, ICordonCheckpointed {
    bytes32 public digest;
    uint256 public invariantCode;
    bool public revertOnCheck;

    uint256 public pauseHooks;
    uint256 public recoveryHooks;
    uint256 public resumeHooks;
    uint256 public shutdownHooks;
    uint256 public cancelledAmount;
    uint256 public actions;

    error GuardedMockSyncRefused();

    constructor(address hub_) CordonGuarded(hub_) {}

    function setDigest(bytes32 digest_) external {
        digest = digest_;
    }

    function setInvariantCode(uint256 code) external {
        invariantCode = code;
    }

    function setRevertOnCheck(bool on) external {
        revertOnCheck = on;
    }

    function act(uint8 scope) external whenScopeOpen(scope) {
        ++actions;
    }

    function send(address asset, address to, uint256 amount) external returns (bool) {
        return _sendOutflow(asset, to, amount);
    }

    function exit(address asset, address to, uint256 amount) external returns (bool) {
        return _sendExit(asset, to, amount);
    }

    function inflow(address asset, uint256 amount) external {
        _recordInflow(asset, amount);
    }

    function stateDigest() external view virtual returns (bytes32) {
        require(!revertOnCheck, GuardedMockSyncRefused());
        return digest;
    }

    function checkInvariants() external view returns (uint256) {
        require(!revertOnCheck, GuardedMockSyncRefused());
        return invariantCode;
    }

    function _onCordonPause(uint64) internal override {
        ++pauseHooks;
    }

    function _onCordonRecovery(uint64) internal override {
        ++recoveryHooks;
    }

    function _onCordonResume(uint64) internal override {
        ++resumeHooks;
    }

    function _onCordonShutdown(uint64) internal override {
        ++shutdownHooks;
    }

    function _onQueuedOutflowCancelled(uint256, QueuedOutflow storage queued) internal override {
        cancelledAmount += queued.amount;
    }
}
