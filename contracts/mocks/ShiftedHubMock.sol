// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {CordonHub} from "../hub/CordonHub.sol";

/// @dev Seven words of storage laid out before the hub's own.
abstract contract HubStoragePadding {
    uint256[7] private _padding;
}

/**
 * @dev CordonHub with every one of its storage variables seven slots further on, as any change to the hub's (or
 * OpenZeppelin's) layout would move them: a verifier that reads the hub through slot numbers written into its code
 * reads the wrong words; one that executes the hub's views does not care (test/governance/verify.test.ts).
 */
contract ShiftedHubMock is HubStoragePadding, CordonHub {
    constructor(
        address governance,
        address[] memory guardians,
        uint40 guardianPauseDuration,
        uint40 guardianCooldown
    ) CordonHub(governance, guardians, guardianPauseDuration, guardianCooldown) {}
}
