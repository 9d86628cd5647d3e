// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";

import {CordonGuardedUpgradeable} from "../guarded/CordonGuardedUpgradeable.sol";

/**
 * @dev A protocol contract behind an ERC-1967 UUPS proxy that adopts Cordon: its own layout starts at slot 0 (an
 * owner, a counter, balances), Cordon's state lives in its ERC-7201 namespaces.
 */
contract UpgradeableGuardedMockV1 is UUPSUpgradeable, CordonGuardedUpgradeable {
    address public owner;
    uint256 public counter;
    mapping(address account => uint256) public balances;

    error UpgradeableGuardedMockUnauthorized(address caller);

    constructor() {
        _disableInitializers();
    }

    function initialize(address hub_, address owner_) external initializer {
        __CordonGuarded_init(hub_);
        owner = owner_;
    }

    function act(uint8 scope) external whenScopeOpen(scope) {
        ++counter;
        ++balances[msg.sender];
    }

    function send(address asset, address to, uint256 amount) external returns (bool) {
        return _sendOutflow(asset, to, amount);
    }

    function version() external pure virtual returns (uint256) {
        return 1;
    }

    function _authorizeUpgrade(address) internal view override {
        require(msg.sender == owner, UpgradeableGuardedMockUnauthorized(msg.sender));
    }
}

/// @dev The next version: appends a variable, changes nothing else.
contract UpgradeableGuardedMockV2 is UpgradeableGuardedMockV1 {
    uint256 public added;

    function setAdded(uint256 value) external {
        added = value;
    }

    function version() external pure override returns (uint256) {
        return 2;
    }
}
