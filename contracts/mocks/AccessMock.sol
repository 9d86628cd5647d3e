// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/**
 * @dev OpenZeppelin's AccessControl and Ownable as they are, for the watcher's privileged-events detector: the
 * deployer is owner and default admin.
 */
contract AccessMock is AccessControl, Ownable {
    constructor() Ownable(msg.sender) {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }
}
