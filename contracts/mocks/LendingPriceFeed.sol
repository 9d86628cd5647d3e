// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @dev A price source the lending book reads from in its digest and invariant: state in another contract.
contract LendingPriceFeed {
    mapping(address asset => uint256) public priceOf;

    function setPrice(address asset, uint256 price) external {
        priceOf[asset] = price;
    }
}
