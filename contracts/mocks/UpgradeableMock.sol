// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";

/**
 * @dev A UUPS implementation for proxy tests (ERC1967Proxy, TransparentUpgradeableProxy, BeaconProxy). Only its
 * deployer may upgrade a proxy that uses it.
 */
contract UpgradeableMock is Initializable, UUPSUpgradeable {
    address public immutable upgrader;
    uint256 public initializedAt;

    error UpgradeableMockUnauthorized(address caller);

    constructor() {
        upgrader = msg.sender;
        _disableInitializers();
    }

    /// @notice What a proxy calls on construction (OpenZeppelin's proxies refuse to be left uninitialized).
    function initialize() external initializer {
        initializedAt = block.number;
    }

    function _authorizeUpgrade(address) internal view override {
        require(msg.sender == upgrader, UpgradeableMockUnauthorized(msg.sender));
    }
}
