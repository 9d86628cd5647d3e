// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/**
 * @title IERC7265CircuitBreaker
 * @notice The token-flow part of the ERC-7265 circuit-breaker interface (draft), as protocols written against it call
 * it. The native asset is `address(1)`.
 */
interface IERC7265CircuitBreaker {
    /// @notice Emitted when a protected contract reports an inflow.
    event AssetInflow(address indexed token, uint256 indexed amount);
    /// @notice Emitted when an outflow is settled or locked.
    event AssetWithdraw(address indexed asset, address indexed recipient, uint256 amount);
    /// @notice Emitted when locked funds are claimed.
    event LockedFundsClaimed(address indexed asset, address indexed recipient);

    /**
     * @notice Records an inflow of `amount` of `token` into the calling protected contract.
     * @dev Requirements: the caller is a protected contract.
     */
    function onTokenInflow(address token, uint256 amount) external;

    /**
     * @notice Settles an outflow the protected contract has already transferred to this breaker: pays `recipient`,
     * or locks the funds for delayed claim when the limit is breached. With `revertOnRateLimit` a breach reverts.
     * @dev Requirements: the caller is a protected contract; the breaker holds `amount` of `token` for it.
     */
    function onTokenOutflow(address token, uint256 amount, address recipient, bool revertOnRateLimit) external;

    /// @notice Records an inflow of `amount` of the native asset.
    function onNativeAssetInflow(uint256 amount) external;

    /// @notice {onTokenOutflow} for the native asset sent with the call.
    function onNativeAssetOutflow(address recipient, bool revertOnRateLimit) external payable;

    /// @notice Pays `recipient` every locked outflow of `asset` that is claimable now.
    function claimLockedFunds(address asset, address recipient) external;

    /// @notice The amount of `asset` locked for `recipient`.
    function lockedFunds(address recipient, address asset) external view returns (uint256);

    /// @notice Whether `account` is a protected contract.
    function isProtectedContract(address account) external view returns (bool);

    /// @notice Whether `asset`'s outflows are currently closed or its limit is exhausted.
    function isRateLimitTriggered(address asset) external view returns (bool);

    /// @notice Whether the protocol is not Active (paused, in recovery or shut down).
    function isRateLimited() external view returns (bool);

    /// @notice Whether the protocol is not shut down.
    function isOperational() external view returns (bool);
}
