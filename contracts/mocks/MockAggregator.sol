// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/**
 * @dev A Chainlink AggregatorV3-style price feed whose answer, decimals and update time tests set directly, for the
 * watcher's oracle detector. Each `setAnswer` starts a new round.
 */
contract MockAggregator {
    uint8 public decimals;
    int256 private _answer;
    uint256 private _updatedAt;
    uint80 private _roundId;

    constructor(uint8 decimals_, int256 answer_) {
        decimals = decimals_;
        setAnswer(answer_);
    }

    /// @notice Sets the answer and starts a new round updated now.
    function setAnswer(int256 answer_) public {
        _answer = answer_;
        _updatedAt = block.timestamp;
        ++_roundId;
    }

    /// @notice Sets when the current round was last updated (e.g. in the past, for a stale feed).
    function setUpdatedAt(uint256 updatedAt_) external {
        _updatedAt = updatedAt_;
    }

    function setDecimals(uint8 decimals_) external {
        decimals = decimals_;
    }

    /// @notice The AggregatorV3Interface read: the round, its answer, and when it started and was updated.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return (_roundId, _answer, _updatedAt, _updatedAt, _roundId);
    }
}
