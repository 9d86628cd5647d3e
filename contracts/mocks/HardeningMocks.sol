// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {CordonERC7265Adapter} from "../adapters/CordonERC7265Adapter.sol";
import {CordonGuarded} from "../guarded/CordonGuarded.sol";
import {ICordonHub} from "../interfaces/ICordonHub.sol";
import {HubSync, Reasons} from "../libraries/CordonTypes.sol";
import {GuardedMock} from "./GuardedMock.sol";
import {MockERC20} from "./MockERC20.sol";

// Misbehaving protected contracts and counterparties for the hardening tests (test/hub/CordonHub.hardening.t.sol).
/// @dev A protected contract whose pause hook spends `burn` gas (a heavy but honest hook).
contract HeavyHookMock is CordonGuarded {
    uint256 public immutable burn;
    uint256 public pauseHooks;

    constructor(address hub_, uint256 burn_) CordonGuarded(hub_) {
        burn = burn_;
    }

    function stateDigest() external pure returns (bytes32) {
        return keccak256("heavy");
    }

    function checkInvariants() external pure returns (uint256) {
        return 0;
    }

    function _onCordonPause(uint64) internal override {
        uint256 start = gasleft();
        while (start - gasleft() < burn) {}
        ++pauseHooks;
    }
}

/// @dev A protected contract whose every hub call burns all the gas it is given (an unbounded loop).
contract BurnerMock {
    address public immutable cordonHub;
    uint256 private _sink;

    constructor(address hub_) {
        cordonHub = hub_;
    }

    function cordonSync(HubSync calldata) external {
        while (true) ++_sink;
    }

    function stateDigest() external view returns (bytes32) {
        uint256 x = _sink;
        while (true) x = uint256(keccak256(abi.encode(x)));
        return bytes32(x);
    }

    function checkInvariants() external view returns (uint256) {
        uint256 x = _sink;
        while (true) x = uint256(keccak256(abi.encode(x)));
        return x;
    }
}

/// @dev A protected contract whose push reverts with 1.5 MB of data.
contract HugeRevertMock {
    address public immutable cordonHub;

    constructor(address hub_) {
        cordonHub = hub_;
    }

    function cordonSync(HubSync calldata) external pure {
        assembly ("memory-safe") {
            revert(0, 1500000)
        }
    }

    function stateDigest() external pure returns (bytes32) {
        return bytes32(0);
    }

    function checkInvariants() external pure returns (uint256) {
        return 0;
    }
}

/// @dev A protected guardian that pauses another scope from inside the push it receives.
contract ReentrantPauserMock is CordonGuarded {
    bool public tried;
    bool public nestedOk;

    constructor(address hub_) CordonGuarded(hub_) {}

    function stateDigest() external pure returns (bytes32) {
        return keccak256("reentrant");
    }

    function checkInvariants() external pure returns (uint256) {
        return 0;
    }

    function _onCordonPause(uint64) internal override {
        if (tried) return;
        tried = true;
        try ICordonHub(cordonHub()).pauseScopes(1 << 9, Reasons.SECURITY_DRAIN) {
            nestedOk = true;
        } catch {}
    }
}

/// @dev A GuardedMock whose digest alone can fail.
contract DigestFailingMock is GuardedMock {
    bool public digestFails;

    constructor(address hub_) GuardedMock(hub_) {}

    function setDigestFails(bool on) external {
        digestFails = on;
    }

    function stateDigest() external view override returns (bytes32) {
        require(!digestFails, GuardedMockSyncRefused());
        return digest;
    }
}

/// @dev An ERC-20 whose `balanceOf` reverts when told to.
contract BrokenBalanceToken is MockERC20 {
    bool public broken;

    error BrokenBalanceTokenBroken();

    constructor() MockERC20("Broken", "BRK", 18) {}

    function setBroken(bool on) external {
        broken = on;
    }

    function balanceOf(address account) public view override returns (uint256) {
        require(!broken, BrokenBalanceTokenBroken());
        return super.balanceOf(account);
    }
}

/// @dev An ERC-7265 protocol that reports outflows and refuses native refunds.
contract RefundRefusingProtocol {
    CordonERC7265Adapter internal immutable adapter;

    error RefundRefusingProtocolNoRefunds();

    constructor(CordonERC7265Adapter adapter_) {
        adapter = adapter_;
    }

    function withdrawNative(uint256 amount, address to) external {
        adapter.onNativeAssetOutflow{value: amount}(to, false);
    }

    function reportOnly(address token, uint256 amount, address to) external {
        adapter.onTokenOutflow(token, amount, to, false);
    }

    function pay(address token, uint256 amount) external {
        MockERC20(token).transfer(address(adapter), amount);
    }

    /// @dev Starts (or stops) accepting refunds, then can claim what the adapter owes it.
    bool public acceptsRefunds;

    function setAcceptsRefunds(bool on) external {
        acceptsRefunds = on;
    }

    function claimRefund(address asset) external {
        adapter.claimRefund(asset);
    }

    receive() external payable {
        if (!acceptsRefunds) revert RefundRefusingProtocolNoRefunds();
    }
}
