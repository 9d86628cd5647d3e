// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/**
 * @title OutflowLimit
 * @notice A refilling token bucket for outflows of one asset, packed with its pause flags into a single storage slot.
 *
 * The bucket has the semantics of OpenZeppelin's `RateLimiter.RefillingBucket`: it holds `capacity`, an empty bucket
 * refills linearly to full in `window` seconds, and `used` decays by `floor(elapsed * capacity / window)` since the
 * last update. Under differential fuzzing it agrees with OpenZeppelin's bucket on every consumption.
 *
 * What differs is the storage: OpenZeppelin keeps the shared configuration and the per-key state in two slots, and a
 * guarded function must read a third slot for `Pausable`. Here everything the hot path needs (whether outflows are
 * closed, the policy on breach, the large-transfer threshold, the window, the last update, the used amount and the
 * capacity) lives in one word, so a guarded outflow costs one cold read and one write.
 *
 * Layout of the word, from the least significant bit:
 *
 *   [0]        OUTFLOW_CLOSED   normal outflows are closed (protocol not Active, or the limit's scope is paused)
 *   [1]        EXIT_CLOSED      the withdraw-only exit path is closed (protocol Paused)
 *   [2..3]     policy           what a breach does: 0 revert, 1 queue, 2 trip the breaker
 *   [4]        INFLOW_REFILLS   inflows give outflow capacity back
 *   [5..15]    largeFraction    an outflow above capacity * largeFraction / 2048 is always a breach (0: off)
 *   [16..39]   window           seconds for an empty bucket to refill (0: the limit is not configured)
 *   [40..71]   lastUpdate       timestamp of the last write of `used`
 *   [72..163]  used             used amount at `lastUpdate`
 *   [164..255] capacity         maximum amount that can leave at once
 *
 * Amounts are limited to 92 bits (about 4.9e27, e.g. 4.9 billion tokens of 18 decimals) per window.
 */
library OutflowLimit {
    /// @dev One packed word; see the layout above. Only touch it through this library.
    struct Limit {
        uint256 _packed;
    }

    /// @dev What happens to an outflow beyond the limit.
    enum Policy {
        Revert,
        Queue,
        Trip
    }

    /// @dev The result of {consume}.
    enum Status {
        Ok,
        Closed,
        OverLimit,
        Large,
        NotConfigured
    }

    uint256 internal constant MAX_AMOUNT = (1 << 92) - 1;
    uint256 internal constant MAX_WINDOW = (1 << 24) - 1;
    uint256 internal constant LARGE_DENOMINATOR = 2048;

    uint256 private constant _OUTFLOW_CLOSED = 1;
    uint256 private constant _EXIT_CLOSED = 1 << 1;
    uint256 private constant _INFLOW_REFILLS = 1 << 4;
    uint256 private constant _POLICY_SHIFT = 2;
    uint256 private constant _LARGE_SHIFT = 5;
    uint256 private constant _WINDOW_SHIFT = 16;
    uint256 private constant _LAST_SHIFT = 40;
    uint256 private constant _USED_SHIFT = 72;
    uint256 private constant _CAPACITY_SHIFT = 164;
    uint256 private constant _MASK_11 = (1 << 11) - 1;
    uint256 private constant _MASK_24 = (1 << 24) - 1;
    uint256 private constant _MASK_32 = (1 << 32) - 1;
    uint256 private constant _MASK_92 = (1 << 92) - 1;
    /// @dev Bits [0..39]: flags, policy, large fraction and window, which a consumption keeps as they are.
    uint256 private constant _CONFIG_BITS = (1 << 40) - 1;

    /// @dev `capacity` is zero or above {MAX_AMOUNT}.
    error OutflowLimitInvalidCapacity(uint256 capacity, uint256 max);
    /// @dev `window` is zero or above {MAX_WINDOW} seconds.
    error OutflowLimitInvalidWindow(uint256 window, uint256 max);
    /// @dev `largeThreshold` is outside `[min, max]`: it is kept in 1/2048ths of capacity, so the smallest one it can
    /// hold is `capacity / 2048` (rounded up; for a capacity below 2048, the smallest whose stored fraction is still
    /// worth at least 1) and the largest is the capacity. Use 0 to turn the rule off.
    error OutflowLimitInvalidLargeThreshold(uint256 largeThreshold, uint256 min, uint256 max);

    /**
     * @dev Sets the limit's parameters. The used amount is first brought up to date under the old parameters, then
     * kept (capped at the new capacity), so a change never hands out capacity that was already spent. The closed
     * flags are kept.
     *
     * `largeThreshold` is stored as a fraction of `capacity` in 1/2048ths, rounded down, so the effective threshold
     * (see {largeThreshold}) is at most the one asked for: a change of rounding only ever queues more.
     *
     * Requirements:
     * - `capacity` in `[1, MAX_AMOUNT]`, `window` in `[1, MAX_WINDOW]`.
     * - `largeThreshold` is 0 or in `[min, capacity]`, `min` being `ceil(capacity / 2048)` (see `_minLargeThreshold`
     *   for capacities below 2048).
     */
    function configure(
        Limit storage self,
        uint256 capacity_,
        uint256 window_,
        uint256 largeThreshold_,
        Policy policy_,
        bool inflowRefills_
    ) internal {
        require(capacity_ != 0 && capacity_ <= MAX_AMOUNT, OutflowLimitInvalidCapacity(capacity_, MAX_AMOUNT));
        require(window_ != 0 && window_ <= MAX_WINDOW, OutflowLimitInvalidWindow(window_, MAX_WINDOW));
        uint256 minThreshold = _minLargeThreshold(capacity_);
        require(
            largeThreshold_ == 0 || (largeThreshold_ >= minThreshold && largeThreshold_ <= capacity_),
            OutflowLimitInvalidLargeThreshold(largeThreshold_, minThreshold, capacity_)
        );

        uint256 word = self._packed;
        uint256 used_ = isConfigured(self) ? _usedAt(word, block.timestamp) : 0;
        if (used_ > capacity_) used_ = capacity_;

        uint256 fraction = 0;
        if (largeThreshold_ != 0) {
            // largeThreshold <= capacity < 2^92, so the product fits. The fraction is in [1, 2048]: at least 1 since
            // largeThreshold >= capacity / 2048, and 2048 only for a threshold equal to the capacity, which adds
            // nothing to the limit itself and is stored as "off".
            fraction = (largeThreshold_ * LARGE_DENOMINATOR) / capacity_;
            if (fraction > _MASK_11) fraction = 0;
        }

        self._packed =
            (word & (_OUTFLOW_CLOSED | _EXIT_CLOSED)) |
            (uint256(policy_) << _POLICY_SHIFT) |
            (inflowRefills_ ? _INFLOW_REFILLS : 0) |
            (fraction << _LARGE_SHIFT) |
            (window_ << _WINDOW_SHIFT) |
            (_timestamp() << _LAST_SHIFT) |
            (used_ << _USED_SHIFT) |
            (capacity_ << _CAPACITY_SHIFT);
    }

    /**
     * @dev Draws `amount` from the bucket if the path is open and the amount fits; otherwise changes nothing and says
     * why. `exitPath` selects the withdraw-only path, which stays open in Recovery and Shutdown.
     *
     * A zero `amount` succeeds without a write when the path is open (as OpenZeppelin's bucket does).
     */
    function consume(Limit storage self, uint256 amount, bool exitPath) internal returns (Status) {
        return tryConsume(self, amount, exitPath) ? Status.Ok : refusal(self, amount, exitPath);
    }

    /**
     * @dev {consume} without the reason: true if `amount` was drawn (or is zero on an open path). The hot path of
     * every guarded outflow: straight-line assembly with a single branch, near the floor of one cold read and one
     * write. It computes exactly what {state} computes (see `_decay`); the differential fuzz tests hold it to
     * OpenZeppelin's bucket. {refusal} explains a false.
     */
    function tryConsume(Limit storage self, uint256 amount, bool exitPath) internal returns (bool ok) {
        assembly ("memory-safe") {
            let word := sload(self.slot)
            let capacity_ := shr(164, word) // [164..255]
            // Elapsed seconds since [40..71] lastUpdate, modulo 2^32 (right across the 2106 wrap of the field).
            let elapsed := and(sub(timestamp(), and(shr(40, word), 0xffffffff)), 0xffffffff)
            // 32 bits times 92 bits cannot overflow. [16..39] window; an unconfigured limit has window 0, and the EVM
            // divides by zero as 0: it then has capacity 0 and refuses any non-zero amount below.
            let refilled := div(mul(elapsed, capacity_), and(shr(16, word), 0xffffff))
            let used_ := and(shr(72, word), 0xfffffffffffffffffffffff) // [72..163], 92 bits
            used_ := mul(gt(used_, refilled), sub(used_, refilled)) // saturating used_ - refilled
            // [5..15] largeFraction: amount * 2048 > capacity * fraction. Only meaningful when amount fits the
            // bucket (then both products fit); when it does not, the outflow is refused anyway.
            let fraction := and(shr(5, word), 0x7ff)
            let refused := or(
                or(and(word, shl(exitPath, 1)), gt(amount, sub(capacity_, used_))), // closed path, or no room
                and(iszero(iszero(fraction)), gt(mul(amount, 2048), mul(capacity_, fraction))) // large
            )
            ok := iszero(refused)
            if ok {
                // A zero amount is accepted without a write, as OpenZeppelin's bucket does.
                if amount {
                    // Keep [0..39], write lastUpdate, used (<= capacity: fits 92 bits) and capacity.
                    sstore(
                        self.slot,
                        or(
                            or(and(word, 0xffffffffff), shl(40, and(timestamp(), 0xffffffff))),
                            or(shl(72, add(used_, amount)), shl(164, capacity_))
                        )
                    )
                }
            }
        }
    }

    /// @dev Why {tryConsume} refuses `amount` now: the first of Closed, NotConfigured, OverLimit, Large that applies.
    function refusal(Limit storage self, uint256 amount, bool exitPath) internal view returns (Status) {
        uint256 word = self._packed;
        if (word & (exitPath ? _EXIT_CLOSED : _OUTFLOW_CLOSED) != 0) return Status.Closed;
        uint256 window_ = (word >> _WINDOW_SHIFT) & _MASK_24;
        if (window_ == 0) return Status.NotConfigured;
        uint256 capacity_ = word >> _CAPACITY_SHIFT;
        if (amount > capacity_ - _decay(word, capacity_, window_, block.timestamp)) return Status.OverLimit;
        return Status.Large;
    }

    /**
     * @dev Books `amount` against the bucket even beyond its capacity (used saturates at capacity). Used when an
     * outflow is let through by a decision made elsewhere, e.g. a queued outflow that is settled.
     */
    function forceConsume(Limit storage self, uint256 amount) internal {
        uint256 word = self._packed;
        uint256 capacity_ = word >> _CAPACITY_SHIFT;
        uint256 window_ = (word >> _WINDOW_SHIFT) & _MASK_24;
        if (window_ == 0 || amount == 0) return;
        uint256 used_ = _decay(word, capacity_, window_, block.timestamp);
        uint256 room = capacity_ - used_;
        used_ = amount >= room ? capacity_ : used_ + amount;
        self._packed =
            (word & _CONFIG_BITS) |
            (_timestamp() << _LAST_SHIFT) |
            (used_ << _USED_SHIFT) |
            (capacity_ << _CAPACITY_SHIFT);
    }

    /**
     * @dev Gives `amount` of outflow capacity back for an inflow, if the limit is configured so; returns whether it
     * did. Used never goes below zero.
     */
    function refill(Limit storage self, uint256 amount) internal returns (bool) {
        uint256 word = self._packed;
        if (word & _INFLOW_REFILLS == 0 || amount == 0) return false;
        uint256 capacity_ = word >> _CAPACITY_SHIFT;
        uint256 used_ = _decay(word, capacity_, (word >> _WINDOW_SHIFT) & _MASK_24, block.timestamp);
        used_ = amount >= used_ ? 0 : used_ - amount;
        self._packed =
            (word & _CONFIG_BITS) |
            (_timestamp() << _LAST_SHIFT) |
            (used_ << _USED_SHIFT) |
            (capacity_ << _CAPACITY_SHIFT);
        return true;
    }

    /// @dev Opens or closes the normal outflow path and the exit path.
    function setClosed(Limit storage self, bool outflowClosed, bool exitClosed) internal {
        self._packed =
            (self._packed & ~(_OUTFLOW_CLOSED | _EXIT_CLOSED)) |
            (outflowClosed ? _OUTFLOW_CLOSED : 0) |
            (exitClosed ? _EXIT_CLOSED : 0);
    }

    /// @dev Empties the bucket's used amount (a full bucket), keeping the configuration.
    function reset(Limit storage self) internal {
        uint256 word = self._packed;
        self._packed =
            (word & _CONFIG_BITS) |
            (_timestamp() << _LAST_SHIFT) |
            ((word >> _CAPACITY_SHIFT) << _CAPACITY_SHIFT);
    }

    /// @dev The used and available amounts now.
    function state(Limit storage self) internal view returns (uint256 used_, uint256 available_) {
        uint256 word = self._packed;
        uint256 window_ = (word >> _WINDOW_SHIFT) & _MASK_24;
        if (window_ == 0) return (0, 0);
        uint256 capacity_ = word >> _CAPACITY_SHIFT;
        used_ = _decay(word, capacity_, window_, block.timestamp);
        available_ = capacity_ - used_;
    }

    /**
     * @dev Seconds until `amount` fits in the bucket, or `type(uint256).max` if it never will (above capacity or not
     * configured). Zero if it fits now.
     */
    function waitFor(Limit storage self, uint256 amount) internal view returns (uint256) {
        uint256 word = self._packed;
        uint256 window_ = (word >> _WINDOW_SHIFT) & _MASK_24;
        uint256 capacity_ = word >> _CAPACITY_SHIFT;
        if (window_ == 0 || amount > capacity_) return type(uint256).max;
        // The bucket accepts `amount` once floor(elapsed * capacity / window) >= storedUsed + amount - capacity, with
        // `elapsed` counted from the last update (floors of two intervals do not add up, so counting from now could
        // overstate the wait by a second). storedUsed + amount < 2^93 and window < 2^24: the product fits.
        uint256 storedUsed = (word >> _USED_SHIFT) & _MASK_92;
        if (storedUsed + amount <= capacity_) return 0;
        uint256 needed = ((storedUsed + amount - capacity_) * window_ + capacity_ - 1) / capacity_;
        uint256 elapsed = (_timestamp() - ((word >> _LAST_SHIFT) & _MASK_32)) & _MASK_32;
        return needed > elapsed ? needed - elapsed : 0;
    }

    function capacity(Limit storage self) internal view returns (uint256) {
        return self._packed >> _CAPACITY_SHIFT;
    }

    function window(Limit storage self) internal view returns (uint256) {
        return (self._packed >> _WINDOW_SHIFT) & _MASK_24;
    }

    function policy(Limit storage self) internal view returns (Policy) {
        return Policy((self._packed >> _POLICY_SHIFT) & 3);
    }

    function inflowRefills(Limit storage self) internal view returns (bool) {
        return self._packed & _INFLOW_REFILLS != 0;
    }

    function isConfigured(Limit storage self) internal view returns (bool) {
        return (self._packed >> _WINDOW_SHIFT) & _MASK_24 != 0;
    }

    function isClosed(Limit storage self, bool exitPath) internal view returns (bool) {
        return self._packed & (exitPath ? _EXIT_CLOSED : _OUTFLOW_CLOSED) != 0;
    }

    /// @dev The effective large-transfer threshold: outflows strictly above it always breach (0: rule off).
    function largeThreshold(Limit storage self) internal view returns (uint256) {
        uint256 word = self._packed;
        return ((word >> _CAPACITY_SHIFT) * ((word >> _LARGE_SHIFT) & _MASK_11)) / LARGE_DENOMINATOR;
    }

    /**
     * @dev The smallest large-transfer threshold whose stored fraction keeps an effective threshold of at least 1
     * (an effective 0 would read as "off" while every outflow is treated as large). For a capacity of 2048 or more
     * that is `ceil(capacity / 2048)`; below, the fraction must reach `k = ceil(2048 / capacity)`, which takes a
     * threshold of `ceil(k * capacity / 2048)`.
     */
    function _minLargeThreshold(uint256 capacity_) private pure returns (uint256) {
        if (capacity_ >= LARGE_DENOMINATOR) return (capacity_ + LARGE_DENOMINATOR - 1) / LARGE_DENOMINATOR;
        uint256 k = (LARGE_DENOMINATOR + capacity_ - 1) / capacity_;
        return (k * capacity_ + LARGE_DENOMINATOR - 1) / LARGE_DENOMINATOR;
    }

    /// @dev `used` at `timestamp`, from the stored used amount decayed by the refill since the last update.
    function _usedAt(uint256 word, uint256 timestamp) private pure returns (uint256) {
        return _decay(word, word >> _CAPACITY_SHIFT, (word >> _WINDOW_SHIFT) & _MASK_24, timestamp);
    }

    function _decay(
        uint256 word,
        uint256 capacity_,
        uint256 window_,
        uint256 timestamp
    ) private pure returns (uint256) {
        uint256 used_ = (word >> _USED_SHIFT) & _MASK_92;
        if (used_ == 0) return 0;
        unchecked {
            // lastUpdate was written from an earlier block.timestamp, so the difference is the elapsed time; masking it
            // to 32 bits keeps it right across the 2106 wrap of the stored timestamp. 32 + 92 bits: the product cannot
            // overflow. window is non-zero for configured limits (callers check).
            uint256 elapsed = (timestamp - ((word >> _LAST_SHIFT) & _MASK_32)) & _MASK_32;
            uint256 refilled = (elapsed * capacity_) / window_;
            return refilled >= used_ ? 0 : used_ - refilled;
        }
    }

    function _timestamp() private view returns (uint256) {
        // Timestamps fit in 32 bits until 2106.
        return block.timestamp & _MASK_32;
    }
}
