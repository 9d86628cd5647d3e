// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/**
 * @dev A token stand-in for the watcher benchmark (`npm run bench:watcher`): one transaction emits many ERC-20
 * `Transfer` logs out of a protocol contract's address, so a chain with 100,000 relevant logs takes a thousand
 * transactions rather than a hundred thousand. It keeps no balances: the watcher only reads the logs.
 */
contract TransferFlood {
    /// @notice The ERC-20 event, with the standard signature, so the watcher's transfer detectors decode it.
    event Transfer(address indexed from, address indexed to, uint256 value);

    /// @notice Emits `count` transfers out of `from`, to distinct recipients, of `value`, `value + 1`, ...
    function flood(address from, uint256 count, uint256 value) external {
        for (uint256 i = 0; i < count; ++i) {
            address to = address(uint160(uint256(keccak256(abi.encode(block.number, i)))));
            emit Transfer(from, to, value + i);
        }
    }
}
