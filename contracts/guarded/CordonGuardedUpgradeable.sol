// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

import {CordonGuardedBase} from "./CordonGuardedBase.sol";

/**
 * @title CordonGuardedUpgradeable
 * @notice {CordonGuarded} for contracts behind a proxy, in the shape of `@openzeppelin/contracts-upgradeable`: no
 * constructor and no immutable; the hub is set once by `__CordonGuarded_init(hub)` from the inheritor's initializer.
 * All of Cordon's state (the guard words, limits, queue) and the hub live in ERC-7201 namespaces
 * (`cordon.storage.CordonGuarded` and `cordon.storage.CordonGuardedUpgradeable`), so the inheritor's own layout starts
 * at slot 0 untouched and an upgrade keeps every Cordon word where it was.
 */
abstract contract CordonGuardedUpgradeable is Initializable, CordonGuardedBase {
    /// @custom:storage-location erc7201:cordon.storage.CordonGuardedUpgradeable
    struct CordonGuardedUpgradeableStorage {
        address hub;
    }

    // keccak256(abi.encode(uint256(keccak256("cordon.storage.CordonGuardedUpgradeable")) - 1))
    //     & ~bytes32(uint256(0xff))
    bytes32 private constant _UPGRADEABLE_SLOT = 0xe74d8b87841c2c87263529ad7ee39a5aaa29839dbeeea399f54058f7b8e8a100;

    /// @dev Sets the hub this contract obeys. Call it from the inheritor's initializer.
    // solhint-disable-next-line func-name-mixedcase
    function __CordonGuarded_init(address hub_) internal onlyInitializing {
        _upgradeableStorage().hub = hub_;
    }

    /// @inheritdoc CordonGuardedBase
    function cordonHub() public view override returns (address) {
        return _upgradeableStorage().hub;
    }

    function _upgradeableStorage() private pure returns (CordonGuardedUpgradeableStorage storage $) {
        assembly ("memory-safe") {
            $.slot := _UPGRADEABLE_SLOT
        }
    }
}
