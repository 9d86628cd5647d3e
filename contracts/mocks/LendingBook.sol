// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {CordonGuarded} from "../guarded/CordonGuarded.sol";
import {ICordonCheckpointed} from "../interfaces/ICordonCheckpointed.sol";

import {LendingPriceFeed} from "./LendingPriceFeed.sol";

/**
 * @dev A protected contract that is not the sample vault, for the proven-state tests (test/proof/): markets in a
 * mapping of structs that nest a struct, a mapping and an array, and a digest and invariant that read another
 * contract (the price feed). Its storage layout is written nowhere in Cordon: a verifier must execute it to know what
 * it reads. It is bound to its hub like any protected contract (the hub refuses to protect one bound elsewhere), and
 * Cordon's own state sits in its ERC-7201 namespace, away from the book's slots.
 */
contract LendingBook is ICordonCheckpointed, CordonGuarded {
    uint256 public constant INVARIANT_DEBT_MISMATCH = 1;
    uint256 public constant INVARIANT_UNDERCOLLATERALISED = 2;

    struct Rates {
        uint96 borrowIndex; // ──╮ one slot
        uint96 supplyIndex; //   │
        uint64 updatedAt; // ────╯
    }

    struct Position {
        uint128 collateral; // ──╮ one slot
        uint128 debt; // ────────╯
    }

    struct Market {
        address asset;
        Rates rates;
        mapping(address account => Position) positions;
        address[] accounts;
        uint256 totalDebt;
    }

    LendingPriceFeed public immutable feed;
    uint256 public marketCount;
    mapping(uint256 marketId => Market) private _markets;
    mapping(address account => mapping(uint256 marketId => bool)) private _known;

    constructor(LendingPriceFeed feed_, address hub_) CordonGuarded(hub_) {
        feed = feed_;
    }

    function addMarket(address asset) external returns (uint256 id) {
        id = marketCount;
        ++marketCount;
        Market storage market = _markets[id];
        market.asset = asset;
        market.rates = Rates({borrowIndex: 1e18, supplyIndex: 1e18, updatedAt: uint64(block.timestamp)});
    }

    function open(uint256 id, uint128 collateral, uint128 debt) external {
        Market storage market = _markets[id];
        Position storage p = market.positions[msg.sender];
        p.collateral += collateral;
        p.debt += debt;
        market.totalDebt += debt;
        if (!_known[msg.sender][id]) {
            _known[msg.sender][id] = true;
            market.accounts.push(msg.sender);
        }
    }

    /// @dev A bug for the tests: debt recorded on a position and not in the market's total.
    function sneakDebt(uint256 id, address account, uint128 debt) external {
        _markets[id].positions[account].debt += debt;
    }

    function accrue(uint256 id, uint96 borrowIndex) external {
        Rates storage rates = _markets[id].rates;
        rates.borrowIndex = borrowIndex;
        rates.updatedAt = uint64(block.timestamp);
    }

    function position(uint256 id, address account) external view returns (Position memory) {
        return _markets[id].positions[account];
    }

    /// @inheritdoc ICordonCheckpointed
    function stateDigest() external view returns (bytes32 digest) {
        for (uint256 id = 0; id < marketCount; ++id) {
            Market storage market = _markets[id];
            digest = keccak256(
                abi.encode(digest, market.asset, market.rates, market.totalDebt, feed.priceOf(market.asset))
            );
            for (uint256 i = 0; i < market.accounts.length; ++i) {
                address account = market.accounts[i];
                Position memory p = market.positions[account];
                digest = keccak256(abi.encode(digest, account, p.collateral, p.debt));
            }
        }
    }

    /// @inheritdoc ICordonCheckpointed
    function checkInvariants() external view returns (uint256 code) {
        for (uint256 id = 0; id < marketCount; ++id) {
            Market storage market = _markets[id];
            uint256 price = feed.priceOf(market.asset);
            uint256 debt;
            for (uint256 i = 0; i < market.accounts.length; ++i) {
                Position memory p = market.positions[market.accounts[i]];
                debt += p.debt;
                if (uint256(p.collateral) * price < uint256(p.debt) * 1e18) return INVARIANT_UNDERCOLLATERALISED;
            }
            if (debt != market.totalDebt) return INVARIANT_DEBT_MISMATCH;
        }
        return 0;
    }

    /// @dev The block context a call sees, to compare a local EVM's with a node's.
    function context() external view returns (uint256 number, uint256 timestamp, uint256 chainId, address coinbase) {
        return (block.number, block.timestamp, block.chainid, block.coinbase);
    }
}
