// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @dev The protocol's emergency state. `Shutdown` is terminal.
enum HubState {
    Active,
    Paused,
    Recovery,
    Shutdown
}

/**
 * @dev Reason codes carried by every transition. The high byte is the cause class the downtime report groups by; the
 * low byte says what happened. Teams may add their own low bytes under a class.
 */
library Reasons {
    uint16 internal constant CLASS_SECURITY = 0x0100;
    uint16 internal constant CLASS_NETWORK = 0x0200;
    uint16 internal constant CLASS_CONGESTION = 0x0300;
    uint16 internal constant CLASS_MAINTENANCE = 0x0400;

    uint16 internal constant SECURITY_DRAIN = 0x0101;
    uint16 internal constant SECURITY_INVARIANT = 0x0102;
    uint16 internal constant SECURITY_ORACLE = 0x0103;
    uint16 internal constant SECURITY_PRIVILEGED = 0x0104;
    uint16 internal constant SECURITY_LIMIT_TRIP = 0x0105;
    uint16 internal constant NETWORK_HALT = 0x0201;
    uint16 internal constant NETWORK_RPC_DIVERGENCE = 0x0202;
    uint16 internal constant CONGESTION_FEES = 0x0301;
    uint16 internal constant MAINTENANCE_PLANNED = 0x0401;
    uint16 internal constant MAINTENANCE_UPGRADE = 0x0402;
    /// @dev No cause of its own: an unconfirmed guardian pause ended by itself at its bound.
    uint16 internal constant PAUSE_EXPIRED = 0x00ff;
}

/**
 * @dev What the hub pushes to every protected contract on each transition. Scopes are bits 0..207 of the masks.
 *
 * `expiringScopes` (and the protocol-wide pause, when `stateExpires`) end by themselves at `expiry` unless governance
 * confirms them first; `graceScopes` reopen by themselves at `graceExpiry` (the grace period after a resume); a scope
 * in both stays closed until both have ended. `heldScopes` are held by governance with no end.
 */
struct HubSync {
    HubState state;
    bool stateExpires;
    uint40 expiry;
    uint40 graceExpiry;
    uint256 heldScopes;
    uint256 expiringScopes;
    uint256 graceScopes;
    uint64 incidentId;
    uint64 pauseEpoch;
}
