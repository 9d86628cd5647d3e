// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ICordonCheckpointed} from "../interfaces/ICordonCheckpointed.sol";

/// @dev A digest over 50 storage slots, for `npm run bench:verify`.
contract FiftySlots is ICordonCheckpointed {
    uint256[50] private _words;

    constructor() {
        for (uint256 i = 0; i < 50; ++i) _words[i] = uint256(keccak256(abi.encode(i))) | 1;
    }

    function set(uint256 i, uint256 value) external {
        _words[i] = value;
    }

    /// @inheritdoc ICordonCheckpointed
    function stateDigest() external view returns (bytes32) {
        return keccak256(abi.encode(_words));
    }

    /// @inheritdoc ICordonCheckpointed
    function checkInvariants() external view returns (uint256) {
        for (uint256 i = 0; i < 50; ++i) if (_words[i] == 0) return 1;
        return 0;
    }
}
