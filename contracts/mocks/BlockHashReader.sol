// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/**
 * @dev A view that reads an ancestor's block hash, for the proven-call tests (test/proof/header-links.test.ts): a
 * proven call must take it from a header linked by parent hash to the trusted one.
 */
contract BlockHashReader {
    function hashBack(uint256 back) external view returns (bytes32) {
        return blockhash(block.number - back);
    }
}
