// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {CordonGuardedBase} from "./CordonGuardedBase.sol";

/**
 * @title CordonGuarded
 * @notice What a protocol contract deployed without a proxy inherits to be protected by a {CordonHub}: the hub is
 * fixed at construction (an immutable, so the hub checks cost no storage read). Everything else is in
 * {CordonGuardedBase}, whose state lives in ERC-7201 namespaced storage. Behind a proxy, inherit
 * {CordonGuardedUpgradeable} instead.
 */
abstract contract CordonGuarded is CordonGuardedBase {
    address private immutable _hub;

    constructor(address hub_) {
        _hub = hub_;
    }

    /// @inheritdoc CordonGuardedBase
    function cordonHub() public view override returns (address) {
        return _hub;
    }
}
