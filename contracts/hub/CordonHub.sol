// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {ICordonCheckpointed} from "../interfaces/ICordonCheckpointed.sol";
import {ICordonGuarded} from "../interfaces/ICordonGuarded.sol";
import {ICordonHub} from "../interfaces/ICordonHub.sol";
import {HubState, HubSync, Reasons} from "../libraries/CordonTypes.sol";

/**
 * @title CordonHub
 * @notice The guardian hub of one protocol. See {ICordonHub} for the state machine and the pause rules.
 *
 * Roles are carried by OpenZeppelin `AccessControlEnumerable` rather than `AccessManager`: the hub has two fixed
 * roles with fixed powers, and protected contracts must not make an external call per user transaction to ask a
 * manager whether a function is open (the hub pushes the state to them instead). Delays on governance actions belong
 * to the TimelockController or Safe that holds the governance role. Enumeration lets tasks list guardians and count
 * them for the attestation threshold.
 */
contract CordonHub is ICordonHub, AccessControlEnumerable, EIP712 {
    /// @notice Governance: unpause, recovery, resume, shutdown, rules, guardians, protected contracts, limits.
    bytes32 public constant GOVERNANCE_ROLE = keccak256("CORDON_GOVERNANCE_ROLE");
    /// @notice Guardians: pause (bounded) and checkpoint.
    bytes32 public constant GUARDIAN_ROLE = keccak256("CORDON_GUARDIAN_ROLE");

    /// @notice The longest a guardian pause may be set to last, whatever governance sets.
    uint256 public constant MAX_GUARDIAN_PAUSE_DURATION = 30 days;
    /// @notice The most protected contracts one hub pushes to.
    uint256 public constant MAX_PROTECTED = 64;
    /// @notice How many checkpoints are kept (older ones are overwritten).
    uint256 public constant CHECKPOINT_HISTORY = 64;
    /// @notice Scopes are bits 0..207 of a mask.
    uint256 public constant SCOPE_COUNT = 208;

    // solhint-disable-next-line gas-small-strings
    bytes32 private constant _ATTESTATION_TYPEHASH = keccak256(
        "Attestation(uint256 checkpointId,uint64 incidentId,bytes32 digest)"
    );
    uint256 private constant _SCOPE_MASK = (1 << SCOPE_COUNT) - 1;
    /// @dev Invariant code recorded for a contract whose check reverts.
    uint256 private constant _CHECK_REVERTED = type(uint256).max;

    // ── slot: the state machine ─────────────────────────────────────────────────────────────────────────────────
    HubState private _state; //             ─╮ protocol-wide state (Active, Paused, Recovery, Shutdown)
    bool private _stateExpires; //           │ the protocol-wide pause ends at `_expiry` (a guardian pause)
    bool private _incidentOpen; //           │ an incident is open
    uint40 private _expiry; //               │ end of the running episode (0: none)
    uint40 private _cooldownUntil; //        │ guardians may not pause before this
    uint64 private _incidentId; //           │ current or last incident
    uint64 private _pauseEpoch; //          ─╯ bumped on every new pause; voids queued outflows from before

    uint256 private _heldScopes; //          scopes paused by governance, no end
    uint256 private _expiringScopes; //      scopes paused by guardians or trips, end at `_expiry`
    uint256 private _graceActiveScopes; //   scopes in their grace period after a resume, end at `_graceUntil`

    uint40 private _guardianPauseDuration; // ─╮
    uint40 private _guardianCooldown; //       │
    uint40 private _gracePeriod; //            │
    uint8 private _attestationThreshold; //    │
    uint40 private _graceUntil; //            ─╯ end of the running grace period (0: none)
    uint256 private _graceScopes;

    address[] private _protected;
    mapping(address target => uint256 indexPlusOne) private _protectedIndex;

    mapping(uint256 slot => Checkpoint) private _checkpoints;
    uint256 private _latestCheckpointId;

    /// @dev Only governance.
    modifier onlyGovernance() {
        _checkRole(GOVERNANCE_ROLE);
        _;
    }

    /**
     * @param governance the Safe or TimelockController that governs the protocol
     * @param guardians the keepers' pause-only keys and the security council
     * @param guardianPauseDuration how long a guardian pause lasts unless confirmed (at most 30 days)
     * @param guardianCooldown how long guardians must wait after an unconfirmed pause ends
     */
    constructor(
        address governance,
        address[] memory guardians,
        uint40 guardianPauseDuration,
        uint40 guardianCooldown
    ) EIP712("CordonHub", "1") {
        _setRoleAdmin(GOVERNANCE_ROLE, GOVERNANCE_ROLE);
        _setRoleAdmin(GUARDIAN_ROLE, GOVERNANCE_ROLE);
        _grantRole(GOVERNANCE_ROLE, governance);
        for (uint256 i = 0; i < guardians.length; ++i) {
            _grantRole(GUARDIAN_ROLE, guardians[i]);
        }
        _setPauseRules(guardianPauseDuration, guardianCooldown);
    }

    // ───────────────────────────────────────────── pausing ─────────────────────────────────────────────

    /// @inheritdoc ICordonHub
    function pause(uint16 reason) external {
        _pause(true, 0, reason, _callerIsGovernance(), false);
    }

    /// @inheritdoc ICordonHub
    function pauseScopes(uint256 scopes, uint16 reason) external {
        _validateScopes(scopes);
        _pause(false, scopes, reason, _callerIsGovernance(), false);
    }

    /// @inheritdoc ICordonHub
    function tripOnInvariant(address target) external {
        _requireProtected(target);
        uint256 code = _invariantCode(target);
        if (code == 0) revert CordonInvariantsHold(target);
        _settle();
        _requirePausable();
        emit InvariantTripped(_openIncidentIfNeeded(Reasons.SECURITY_INVARIANT), target, code, msg.sender);
        _pause(true, 0, Reasons.SECURITY_INVARIANT, false, true);
    }

    /// @inheritdoc ICordonHub
    function tripFromProtected(uint256 scopes, uint16 reason) external {
        _requireProtected(msg.sender);
        _validateScopes(scopes);
        _settle();
        _requirePausable();
        emit LimitTripped(_openIncidentIfNeeded(reason), msg.sender, scopes, reason);
        _pause(false, scopes, reason, false, true);
    }

    /// @inheritdoc ICordonHub
    function settleExpiry() external {
        if (_settle()) _push();
    }

    // ───────────────────────────────────────────── checkpoints ─────────────────────────────────────────────

    /// @inheritdoc ICordonHub
    function checkpoint(uint16 reason) external returns (uint256) {
        if (!hasRole(GUARDIAN_ROLE, msg.sender)) _checkRole(GOVERNANCE_ROLE);
        return _takeCheckpoint(reason);
    }

    // ───────────────────────────────────────────── governance ─────────────────────────────────────────────

    /// @inheritdoc ICordonHub
    function unpause(uint16 reason) external onlyGovernance {
        _settle();
        HubState from = _state;
        uint256 scopes = _heldScopes | _expiringScopes | _graceActiveScopes;
        if (!(from == HubState.Paused || (from == HubState.Active && scopes != 0))) {
            revert CordonInvalidTransition(from, HubState.Active);
        }
        _requireInvariantsHold();
        _state = HubState.Active;
        _clearEpisode();
        _clearGrace();
        _heldScopes = 0;
        if (from == HubState.Paused) emit StateChanged(_incidentId, from, HubState.Active, msg.sender, reason, 0);
        if (scopes != 0) emit ScopesUnpaused(_incidentId, scopes, msg.sender, reason);
        _closeIncidentIfOpen();
        _push();
    }

    /// @inheritdoc ICordonHub
    function unpauseScopes(uint256 scopes, uint16 reason) external onlyGovernance {
        _validateScopes(scopes);
        _settle();
        _requireInvariantsHold();
        _heldScopes &= ~scopes;
        _expiringScopes &= ~scopes;
        _graceActiveScopes &= ~scopes;
        if (_expiringScopes == 0 && !_stateExpires) _clearEpisode();
        if (_graceActiveScopes == 0) _clearGrace();
        emit ScopesUnpaused(_incidentId, scopes, msg.sender, reason);
        _closeIncidentIfOpen();
        _push();
    }

    /// @inheritdoc ICordonHub
    function enterRecovery(uint256 checkpointId, uint16 reason) external onlyGovernance {
        _settle();
        HubState from = _state;
        if (from != HubState.Active && from != HubState.Paused) revert CordonInvalidTransition(from, HubState.Recovery);
        uint64 incident = _openIncidentIfNeeded(reason);
        if (checkpointId == 0) checkpointId = _takeCheckpoint(reason);
        Checkpoint memory cp = _getCheckpoint(checkpointId);
        // Confirmed: what guardians paused is now held by governance, with no end and no cooldown.
        _heldScopes |= _expiringScopes | _graceActiveScopes;
        _clearEpisode();
        _clearGrace();
        _state = HubState.Recovery;
        emit StateChanged(incident, from, HubState.Recovery, msg.sender, reason, 0);
        emit RecoveryEntered(incident, checkpointId, cp.digest);
        _push();
    }

    /// @inheritdoc ICordonHub
    function resume(uint256 checkpointId, Attestation[] calldata attestations, uint16 reason) external onlyGovernance {
        HubState from = _state;
        if (from != HubState.Recovery) revert CordonInvalidTransition(from, HubState.Active);
        uint256 latest = _latestCheckpointId;
        if (checkpointId != latest || _getCheckpoint(latest).incidentId != _incidentId) {
            revert CordonStaleCheckpoint(checkpointId, latest);
        }
        bytes32 expected = _getCheckpoint(checkpointId).digest;
        (bytes32 digest, uint256 code, address failing) = _currentDigest();
        if (code != 0) revert CordonInvariantFailing(failing, code);
        if (digest != expected) revert CordonDigestMismatch(expected, digest);
        uint256 valid = _countAttestations(checkpointId, digest, attestations);
        if (valid < _attestationThreshold) revert CordonNotEnoughAttestations(valid, _attestationThreshold);

        uint64 incident = _incidentId;
        _state = HubState.Active;
        _heldScopes = 0;
        uint256 grace = _graceScopes;
        if (grace != 0 && _gracePeriod != 0) {
            uint40 until = uint40(block.timestamp) + _gracePeriod;
            _graceActiveScopes = grace;
            _graceUntil = until;
            emit ScopesPaused(incident, grace, msg.sender, Reasons.MAINTENANCE_PLANNED, until);
        }
        emit Resumed(incident, checkpointId, digest, valid);
        emit StateChanged(incident, from, HubState.Active, msg.sender, reason, 0);
        _closeIncidentIfOpen();
        _push();
    }

    /// @inheritdoc ICordonHub
    function shutdown(uint16 reason) external onlyGovernance {
        _settle();
        HubState from = _state;
        if (from == HubState.Shutdown) revert CordonInvalidTransition(from, HubState.Shutdown);
        uint64 incident = _openIncidentIfNeeded(reason);
        _heldScopes |= _expiringScopes | _graceActiveScopes;
        _clearEpisode();
        _clearGrace();
        _state = HubState.Shutdown;
        emit StateChanged(incident, from, HubState.Shutdown, msg.sender, reason, 0);
        _push();
    }

    /// @inheritdoc ICordonHub
    function setPauseRules(uint40 guardianPauseDuration, uint40 guardianCooldown) external onlyGovernance {
        _setPauseRules(guardianPauseDuration, guardianCooldown);
    }

    /// @inheritdoc ICordonHub
    function liftCooldown() external onlyGovernance {
        // Settle first: an expired episode not yet settled would otherwise start its cooldown after the lift.
        if (_settle()) _push();
        _cooldownUntil = 0;
        emit CooldownLifted(msg.sender);
    }

    /// @inheritdoc ICordonHub
    function setAttestationThreshold(uint256 threshold) external onlyGovernance {
        uint256 guardians = getRoleMemberCount(GUARDIAN_ROLE);
        if (threshold > guardians || threshold > type(uint8).max) revert CordonInvalidThreshold(threshold, guardians);
        _attestationThreshold = uint8(threshold); // checked just above
        emit AttestationThresholdChanged(threshold);
    }

    /// @inheritdoc ICordonHub
    function setGrace(uint256 scopes, uint40 period) external onlyGovernance {
        if (scopes & ~_SCOPE_MASK != 0) revert CordonInvalidScopes(scopes);
        if (period > MAX_GUARDIAN_PAUSE_DURATION)
            revert CordonPauseDurationTooLong(period, MAX_GUARDIAN_PAUSE_DURATION);
        _graceScopes = scopes;
        _gracePeriod = period;
        emit GraceChanged(scopes, period);
    }

    /// @inheritdoc ICordonHub
    function addProtected(address target) external onlyGovernance {
        if (_protectedIndex[target] != 0) revert CordonAlreadyProtected(target);
        if (_protected.length >= MAX_PROTECTED) revert CordonTooManyProtected(MAX_PROTECTED);
        _protected.push(target);
        _protectedIndex[target] = _protected.length;
        emit ProtectedContractAdded(target);
        _syncOne(target, currentSync());
    }

    /// @inheritdoc ICordonHub
    function removeProtected(address target) external onlyGovernance {
        uint256 index = _protectedIndex[target];
        if (index == 0) revert CordonNotProtected(target);
        address last = _protected[_protected.length - 1];
        _protected[index - 1] = last;
        _protectedIndex[last] = index;
        _protected.pop();
        delete _protectedIndex[target];
        emit ProtectedContractRemoved(target);
    }

    /// @inheritdoc ICordonHub
    function setLimit(
        address target,
        address asset,
        ICordonGuarded.LimitParams calldata params
    ) external onlyGovernance {
        _requireProtected(target);
        ICordonGuarded(target).cordonSetLimit(asset, params);
        emit LimitSet(target, asset, params);
    }

    /// @inheritdoc ICordonHub
    function cancelQueued(address target, uint256[] calldata ids) external onlyGovernance {
        _requireProtected(target);
        for (uint256 i = 0; i < ids.length; ++i) {
            ICordonGuarded(target).cordonCancelQueued(ids[i]);
        }
    }

    /// @inheritdoc ICordonHub
    function approveQueued(address target, uint256[] calldata ids) external onlyGovernance {
        _requireProtected(target);
        for (uint256 i = 0; i < ids.length; ++i) {
            ICordonGuarded(target).cordonApproveQueued(ids[i]);
        }
    }

    // ───────────────────────────────────────────── views ─────────────────────────────────────────────

    /// @inheritdoc ICordonHub
    function state() external view returns (HubState) {
        return currentSync().state;
    }

    /// @inheritdoc ICordonHub
    function currentSync() public view returns (HubSync memory sync) {
        sync = HubSync({
            state: _state,
            stateExpires: _stateExpires,
            expiry: _expiry,
            graceExpiry: _graceUntil,
            heldScopes: _heldScopes,
            expiringScopes: _expiringScopes,
            graceScopes: _graceActiveScopes,
            incidentId: _incidentId,
            pauseEpoch: _pauseEpoch
        });
        if (_expiry != 0 && block.timestamp >= _expiry) {
            if (sync.stateExpires && sync.state == HubState.Paused) sync.state = HubState.Active;
            sync.stateExpires = false;
            sync.expiringScopes = 0;
            sync.expiry = 0;
        }
        if (_graceUntil != 0 && block.timestamp >= _graceUntil) {
            sync.graceScopes = 0;
            sync.graceExpiry = 0;
        }
    }

    /// @inheritdoc ICordonHub
    function isScopePaused(uint8 scope) external view returns (bool) {
        HubSync memory sync = currentSync();
        if (sync.state != HubState.Active) return true;
        return ((sync.heldScopes | sync.expiringScopes | sync.graceScopes) >> scope) & 1 == 1;
    }

    /// @inheritdoc ICordonHub
    function cooldownUntil() external view returns (uint40) {
        uint40 expiry = _expiry;
        // An episode that has expired but was not settled yet starts its cooldown at its expiry.
        if (expiry != 0 && block.timestamp >= expiry) return expiry + _guardianCooldown;
        return _cooldownUntil;
    }

    /// @inheritdoc ICordonHub
    function incidentId() external view returns (uint64) {
        return _incidentId;
    }

    /// @inheritdoc ICordonHub
    function getCheckpoint(uint256 id) external view returns (Checkpoint memory) {
        return _getCheckpoint(id);
    }

    /// @inheritdoc ICordonHub
    function latestCheckpointId() external view returns (uint256) {
        return _latestCheckpointId;
    }

    /// @inheritdoc ICordonHub
    function protectedContracts() external view returns (address[] memory) {
        return _protected;
    }

    /// @inheritdoc ICordonHub
    function currentDigest() external view returns (bytes32 digest, uint256 invariantCode, address failing) {
        return _currentDigest();
    }

    /// @inheritdoc ICordonHub
    function attestationHash(uint256 checkpointId) public view returns (bytes32) {
        Checkpoint memory cp = _getCheckpoint(checkpointId);
        return _hashTypedDataV4(keccak256(abi.encode(_ATTESTATION_TYPEHASH, checkpointId, cp.incidentId, cp.digest)));
    }

    /// @inheritdoc ICordonHub
    function pauseRules()
        external
        view
        returns (
            uint40 guardianPauseDuration,
            uint40 guardianCooldown,
            uint256 attestationThreshold,
            uint256 graceScopes,
            uint40 gracePeriod
        )
    {
        return (_guardianPauseDuration, _guardianCooldown, _attestationThreshold, _graceScopes, _gracePeriod);
    }

    // ───────────────────────────────────────────── internals ─────────────────────────────────────────────

    /**
     * @dev The one pause path. `governance` pauses are held with no end; others belong to the running guardian
     * episode (or start one). `evidence` (an invariant or limit trip) skips the guardian role and cooldown checks.
     */
    function _pause(bool protocolWide, uint256 scopes, uint16 reason, bool governance, bool evidence) private {
        if (!governance && !evidence) _checkRole(GUARDIAN_ROLE);
        _settle();
        _requirePausable();
        uint64 incident = _openIncidentIfNeeded(reason);

        uint40 expiry = 0;
        if (!governance) {
            if (_expiry == 0) {
                if (!evidence && block.timestamp < _cooldownUntil) revert CordonGuardianCooldown(_cooldownUntil);
                // A new episode. Rule 2: later pauses within it never move this end.
                _expiry = uint40(block.timestamp) + _guardianPauseDuration;
            }
            expiry = _expiry;
        }
        unchecked {
            // One bump per pause call; 2^64 pauses cannot happen.
            ++_pauseEpoch;
        }

        if (protocolWide) {
            HubState from = _state;
            if (from == HubState.Active) {
                _state = HubState.Paused;
                _stateExpires = !governance;
            } else if (governance) {
                _stateExpires = false; // governance holds a guardian's pause
            }
            emit StateChanged(incident, from, HubState.Paused, msg.sender, reason, governance ? 0 : expiry);
        } else {
            if (governance) {
                _heldScopes |= scopes;
                _expiringScopes &= ~scopes;
                _graceActiveScopes &= ~scopes; // held now, with no end
            } else {
                _expiringScopes |= scopes & ~_heldScopes;
            }
            emit ScopesPaused(incident, scopes, msg.sender, reason, expiry);
        }
        if (_expiringScopes == 0 && !_stateExpires) _clearEpisode();
        _takeCheckpoint(reason);
        _push();
    }

    /// @dev Ends an expired guardian episode and an expired grace period in storage. Returns whether one ended.
    function _settle() private returns (bool settled) {
        uint40 expiry = _expiry;
        if (expiry != 0 && block.timestamp >= expiry) {
            bool protocolWide = _stateExpires && _state == HubState.Paused;
            uint256 scopes = _expiringScopes;
            // Rule 3: the cooldown runs from the expiry, not from whenever someone settles it.
            uint40 cooldown = expiry + _guardianCooldown;
            _cooldownUntil = cooldown;
            _clearEpisode();
            emit PauseExpired(_incidentId, expiry, scopes, protocolWide, cooldown);
            if (protocolWide) {
                _state = HubState.Active;
                emit StateChanged(_incidentId, HubState.Paused, HubState.Active, msg.sender, Reasons.PAUSE_EXPIRED, 0);
            }
            settled = true;
        }
        uint40 graceUntil = _graceUntil;
        if (graceUntil != 0 && block.timestamp >= graceUntil) {
            // The grace period after a resume is planned, not a guardian pause: no cooldown follows it.
            emit PauseExpired(_incidentId, graceUntil, _graceActiveScopes, false, 0);
            _clearGrace();
            settled = true;
        }
        if (settled) _closeIncidentIfOpen();
    }

    function _clearEpisode() private {
        _expiry = 0;
        _stateExpires = false;
        _expiringScopes = 0;
    }

    function _clearGrace() private {
        _graceUntil = 0;
        _graceActiveScopes = 0;
    }

    function _openIncidentIfNeeded(uint16 reason) private returns (uint64 incident) {
        incident = _incidentId;
        if (!_incidentOpen) {
            unchecked {
                ++incident; // 2^64 incidents cannot happen
            }
            _incidentId = incident;
            _incidentOpen = true;
            emit IncidentOpened(incident, msg.sender, reason);
        }
    }

    function _closeIncidentIfOpen() private {
        if (
            _incidentOpen &&
            _state == HubState.Active &&
            _heldScopes == 0 &&
            _expiringScopes == 0 &&
            _graceActiveScopes == 0
        ) {
            _incidentOpen = false;
            emit IncidentClosed(_incidentId, msg.sender);
        }
    }

    function _requirePausable() private view {
        HubState current = _state;
        if (current == HubState.Recovery || current == HubState.Shutdown) {
            revert CordonInvalidTransition(current, HubState.Paused);
        }
    }

    function _setPauseRules(uint40 duration, uint40 cooldown) private {
        if (duration == 0) revert CordonPauseDurationZero();
        if (duration > MAX_GUARDIAN_PAUSE_DURATION) {
            revert CordonPauseDurationTooLong(duration, MAX_GUARDIAN_PAUSE_DURATION);
        }
        if (cooldown > MAX_GUARDIAN_PAUSE_DURATION) {
            revert CordonPauseDurationTooLong(cooldown, MAX_GUARDIAN_PAUSE_DURATION);
        }
        _guardianPauseDuration = duration;
        _guardianCooldown = cooldown;
        emit PauseRulesChanged(duration, cooldown);
    }

    function _callerIsGovernance() private view returns (bool) {
        return hasRole(GOVERNANCE_ROLE, msg.sender);
    }

    function _validateScopes(uint256 scopes) private pure {
        if (scopes == 0 || scopes & ~_SCOPE_MASK != 0) revert CordonInvalidScopes(scopes);
    }

    function _requireProtected(address target) private view {
        if (_protectedIndex[target] == 0) revert CordonNotProtected(target);
    }

    function _requireInvariantsHold() private view {
        (, uint256 code, address failing) = _currentDigest();
        if (code != 0) revert CordonInvariantFailing(failing, code);
    }

    /// @dev Pushes the current state to every protected contract; a failing push is reported, not fatal.
    function _push() private {
        HubSync memory sync = currentSync();
        uint256 n = _protected.length;
        for (uint256 i = 0; i < n; ++i) {
            _syncOne(_protected[i], sync);
        }
    }

    /// @dev A low-level call: a high-level one would revert outside any catch if `target` had lost its code (an
    /// EIP-7702 account whose delegation was cleared), and one broken contract must never block a pause.
    function _syncOne(address target, HubSync memory sync) private {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = target.call(abi.encodeCall(ICordonGuarded.cordonSync, (sync)));
        if (!ok) emit SyncFailed(target, reason);
    }

    function _takeCheckpoint(uint16 reason) private returns (uint256 id) {
        unchecked {
            id = ++_latestCheckpointId; // 2^256 checkpoints cannot happen
        }
        bytes32 combined = bytes32(0);
        uint256 firstCode = 0;
        uint256 n = _protected.length;
        for (uint256 i = 0; i < n; ++i) {
            address target = _protected[i];
            bytes32 digest = _digestOf(target);
            uint256 code = _invariantCode(target);
            if (firstCode == 0) firstCode = code;
            combined = keccak256(abi.encode(combined, target, digest));
            emit ContractCheckpointed(id, target, digest, code);
        }
        _checkpoints[id % CHECKPOINT_HISTORY] = Checkpoint({
            blockNumber: uint64(block.number),
            timestamp: uint40(block.timestamp),
            incidentId: _incidentId,
            reason: reason,
            invariantCode: firstCode,
            digest: combined
        });
        emit CheckpointTaken(id, _incidentId, combined, firstCode, reason);
    }

    function _getCheckpoint(uint256 id) private view returns (Checkpoint memory) {
        uint256 latest = _latestCheckpointId;
        uint256 oldest = latest >= CHECKPOINT_HISTORY ? latest - CHECKPOINT_HISTORY + 1 : 1;
        if (id == 0 || id > latest || id < oldest) revert CordonUnknownCheckpoint(id, oldest, latest);
        return _checkpoints[id % CHECKPOINT_HISTORY];
    }

    function _currentDigest() private view returns (bytes32 combined, uint256 firstCode, address failing) {
        uint256 n = _protected.length;
        for (uint256 i = 0; i < n; ++i) {
            address target = _protected[i];
            combined = keccak256(abi.encode(combined, target, _digestOf(target)));
            if (firstCode == 0) {
                uint256 code = _invariantCode(target);
                if (code != 0) (firstCode, failing) = (code, target);
            }
        }
    }

    function _digestOf(address target) private view returns (bytes32) {
        (bool ok, bytes32 digest) = _staticWord(target, ICordonCheckpointed.stateDigest.selector);
        return ok ? digest : bytes32(0);
    }

    function _invariantCode(address target) private view returns (uint256) {
        (bool ok, bytes32 code) = _staticWord(target, ICordonCheckpointed.checkInvariants.selector);
        return ok ? uint256(code) : _CHECK_REVERTED;
    }

    /**
     * @dev Calls the parameterless view function `selector` of `target`, which returns one word. `ok` is false when
     * the call reverts or answers with less than a word (a catch-all fallback): a try/catch cannot survive such an
     * answer, since decoding it reverts in this contract, and one bad protected contract would block every pause.
     * Only the first word of the answer is copied, so a huge answer cannot exhaust the gas either.
     */
    function _staticWord(address target, bytes4 selector) private view returns (bool ok, bytes32 word) {
        assembly ("memory-safe") {
            mstore(0x00, selector)
            ok := staticcall(gas(), target, 0x00, 0x04, 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f))
            word := mload(0x00)
        }
    }

    /// @dev Counts distinct guardians with a valid signature. Signers must be in ascending order (no duplicates).
    function _countAttestations(
        uint256 checkpointId,
        bytes32 digest,
        Attestation[] calldata attestations
    ) private view returns (uint256 valid) {
        if (attestations.length == 0) return 0;
        bytes32 hash = _hashTypedDataV4(
            keccak256(abi.encode(_ATTESTATION_TYPEHASH, checkpointId, _incidentId, digest))
        );
        address previous = address(0);
        for (uint256 i = 0; i < attestations.length; ++i) {
            address signer = attestations[i].signer;
            if (signer <= previous) continue; // duplicates and disorder count once
            previous = signer;
            if (!hasRole(GUARDIAN_ROLE, signer)) continue;
            if (SignatureChecker.isValidSignatureNow(signer, hash, attestations[i].signature)) ++valid;
        }
    }
}
