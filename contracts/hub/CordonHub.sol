// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
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
contract CordonHub is ICordonHub, AccessControlEnumerable, EIP712, ReentrancyGuardTransient {
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
    /// @notice The shortest guardian cooldown governance may set: an unconfirmed pause is always followed by an open
    /// window, never by a back-to-back guardian pause.
    uint256 public constant MIN_GUARDIAN_COOLDOWN = 1 minutes;
    /// @notice The longest governance may seal the exit path in Recovery before a resume; exits reopen by themselves.
    uint256 public constant MAX_SEAL_DURATION = 1 days;
    /// @notice The gas each push ({ICordonGuarded-cordonSync}) is given; a protected contract's push and hooks must fit
    /// in it. A transition refuses to start a push with less at hand ({CordonPushGasTooLow}), so no caller can pick a
    /// gas that leaves a contract unpushed while the hub moves on.
    uint256 public constant PUSH_GAS = 300_000;
    /// @notice The gas each checkpoint call (`stateDigest`, `checkInvariants`, `cordonHub`) is given, on the same
    /// terms.
    uint256 public constant CHECK_GAS = 100_000;
    /// @notice The most bytes of a failed push's revert data the hub copies into {SyncFailed}.
    uint256 public constant MAX_REASON_BYTES = 256;
    /// @notice The trip-cooldown key of invariant trips (limit trips use their scope, 0..207).
    uint256 public constant INVARIANT_TRIP_KEY = 208;

    // solhint-disable-next-line gas-small-strings
    bytes32 private constant _ATTESTATION_TYPEHASH = keccak256(
        "Attestation(uint256 checkpointId,uint64 incidentId,bytes32 digest)"
    );
    uint256 private constant _SCOPE_MASK = (1 << SCOPE_COUNT) - 1;
    /// @dev Invariant code recorded for a contract whose check reverts.
    uint256 private constant _CHECK_REVERTED = type(uint256).max;
    /// @dev Gas spent between the availability check and the call itself (the cold account access and a few opcodes).
    uint256 private constant _CALL_OVERHEAD = 3_000;

    /// @dev Who pauses: governance (held, no end), a guardian (bounded, cooldown after) or a trip (bounded, no
    /// cooldown).
    enum Actor {
        Governance,
        Guardian,
        Trip
    }

    // ── slot: the state machine ─────────────────────────────────────────────────────────────────────────────────
    HubState private _state; //             ─╮ protocol-wide state (Active, Paused, Recovery, Shutdown)
    bool private _stateExpires; //           │ the protocol-wide pause ends at `_expiry` (a guardian pause)
    bool private _incidentOpen; //           │ an incident is open
    uint40 private _expiry; //               │ end of the running episode (0: none)
    uint40 private _cooldownUntil; //        │ guardians may not pause before this
    uint64 private _incidentId; //           │ current or last incident
    uint64 private _pauseEpoch; //           │ bumped on every new pause; voids queued outflows from before
    bool private _episodeByGuardian; //     ─╯ a guardian paused in the running episode: a cooldown follows it

    uint256 private _heldScopes; //          scopes paused by governance, no end
    uint256 private _expiringScopes; //      scopes paused by guardians or trips, end at `_expiry`
    uint256 private _graceActiveScopes; //   scopes in their grace period after a resume, end at `_graceUntil`

    uint40 private _guardianPauseDuration; // ─╮
    uint40 private _guardianCooldown; //       │
    uint40 private _gracePeriod; //            │
    uint8 private _attestationThreshold; //    │
    uint40 private _graceUntil; //             │ end of the running grace period (0: none)
    uint40 private _tripCooldown; //           │ after a trip's episode, the same scope cannot trip for this long
    uint40 private _sealUntil; //             ─╯ in Recovery, the exit path is sealed until then (for a resume)
    uint256 private _graceScopes;

    address[] private _protected;
    /// @dev A copy of `_protected` kept as contract code (its addresses packed, 20 bytes each, after a STOP byte), so
    /// a push reads the whole list with one account access instead of one storage slot per contract. Rewritten by
    /// {addProtected} and {removeProtected}; 0 while nothing is protected.
    address private _protectedCode;
    mapping(address target => uint256 indexPlusOne) private _protectedIndex;

    mapping(uint256 slot => Checkpoint) private _checkpoints;
    uint256 private _latestCheckpointId;

    /// @dev Scopes each protected contract may trip: those its limits belong to (set through {setLimit}).
    mapping(address target => uint256 scopes) private _tripScopes;
    /// @dev When a scope (or, at {INVARIANT_TRIP_KEY}, an invariant) may trip again.
    mapping(uint256 key => uint40 readyAt) private _tripReadyAt;

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
        _tripCooldown = guardianCooldown;
        emit TripCooldownChanged(guardianCooldown);
    }

    // ───────────────────────────────────────────── pausing ─────────────────────────────────────────────

    /// @inheritdoc ICordonHub
    function pause(uint16 reason) external nonReentrant {
        _pause(true, 0, reason, _callerIsGovernance() ? Actor.Governance : Actor.Guardian);
    }

    /// @inheritdoc ICordonHub
    function pauseScopes(uint256 scopes, uint16 reason) external nonReentrant {
        _validateScopes(scopes);
        _pause(false, scopes, reason, _callerIsGovernance() ? Actor.Governance : Actor.Guardian);
    }

    /// @inheritdoc ICordonHub
    function tripOnInvariant(address target) external nonReentrant {
        _requireProtected(target);
        uint256 code = _invariantCode(target);
        if (code == 0) revert CordonInvariantsHold(target);
        _settle();
        _requirePausable();
        _requireTripReady(INVARIANT_TRIP_KEY);
        emit InvariantTripped(_openIncidentIfNeeded(Reasons.SECURITY_INVARIANT), target, code, msg.sender);
        _pause(true, 0, Reasons.SECURITY_INVARIANT, Actor.Trip);
        _tripReadyAt[INVARIANT_TRIP_KEY] = _tripReadyFrom();
    }

    /// @inheritdoc ICordonHub
    function tripFromProtected(uint256 scopes, uint16 reason) external nonReentrant {
        _requireProtected(msg.sender);
        _validateScopes(scopes);
        uint256 allowed = _tripScopes[msg.sender];
        if (scopes & ~allowed != 0) revert CordonTripScopesNotAllowed(msg.sender, scopes, allowed);
        _settle();
        _requirePausable();
        for (uint256 key = 0; scopes >> key != 0; ++key) {
            if ((scopes >> key) & 1 == 1) _requireTripReady(key);
        }
        emit LimitTripped(_openIncidentIfNeeded(reason), msg.sender, scopes, reason);
        _pause(false, scopes, reason, Actor.Trip);
        uint40 readyAt = _tripReadyFrom();
        for (uint256 key = 0; scopes >> key != 0; ++key) {
            if ((scopes >> key) & 1 == 1) _tripReadyAt[key] = readyAt;
        }
    }

    /// @inheritdoc ICordonHub
    function settleExpiry() external nonReentrant {
        if (_settle()) _push();
    }

    // ───────────────────────────────────────────── checkpoints ─────────────────────────────────────────────

    /// @inheritdoc ICordonHub
    function checkpoint(uint16 reason) external nonReentrant returns (uint256) {
        // In Recovery the latest checkpoint is the one a resume must name: only governance takes it.
        if (_state == HubState.Recovery || !hasRole(GUARDIAN_ROLE, msg.sender)) _checkRole(GOVERNANCE_ROLE);
        return _takeCheckpoint(reason);
    }

    // ───────────────────────────────────────────── governance ─────────────────────────────────────────────

    /// @inheritdoc ICordonHub
    function unpause(uint16 reason) external onlyGovernance nonReentrant {
        _settle();
        HubState from = _state;
        uint256 scopes = _heldScopes | _expiringScopes | _graceActiveScopes;
        if (!(from == HubState.Paused || (from == HubState.Active && scopes != 0))) {
            revert CordonInvalidTransition(from, HubState.Active);
        }
        _requireInvariantsHold();
        _state = HubState.Active;
        _endEpisodeEarly();
        _clearGrace();
        _heldScopes = 0;
        if (from == HubState.Paused) emit StateChanged(_incidentId, from, HubState.Active, msg.sender, reason, 0);
        if (scopes != 0) emit ScopesUnpaused(_incidentId, scopes, msg.sender, reason);
        _closeIncidentIfOpen();
        _push();
    }

    /// @inheritdoc ICordonHub
    function unpauseScopes(uint256 scopes, uint16 reason) external onlyGovernance nonReentrant {
        _validateScopes(scopes);
        _settle();
        _requireInvariantsHold();
        _heldScopes &= ~scopes;
        _expiringScopes &= ~scopes;
        _graceActiveScopes &= ~scopes;
        if (_expiringScopes == 0 && !_stateExpires) _endEpisodeEarly();
        if (_graceActiveScopes == 0) _clearGrace();
        emit ScopesUnpaused(_incidentId, scopes, msg.sender, reason);
        _closeIncidentIfOpen();
        _push();
    }

    /// @inheritdoc ICordonHub
    function enterRecovery(uint256 checkpointId, uint16 reason) external onlyGovernance nonReentrant {
        _settle();
        HubState from = _state;
        if (from != HubState.Active && from != HubState.Paused) revert CordonInvalidTransition(from, HubState.Recovery);
        uint64 incident = _openIncidentIfNeeded(reason);
        if (checkpointId == 0) checkpointId = _takeCheckpoint(reason);
        Checkpoint memory cp = _getCheckpoint(checkpointId);
        if (cp.incidentId != incident) revert CordonCheckpointOfOtherIncident(checkpointId, cp.incidentId, incident);
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
    function resume(
        uint256 checkpointId,
        Attestation[] calldata attestations,
        uint16 reason
    ) external onlyGovernance nonReentrant {
        HubState from = _state;
        if (from != HubState.Recovery) revert CordonInvalidTransition(from, HubState.Active);
        uint256 latest = _latestCheckpointId;
        if (checkpointId != latest || _getCheckpoint(latest).incidentId != _incidentId) {
            revert CordonStaleCheckpoint(checkpointId, latest);
        }
        bytes32 expected = _getCheckpoint(checkpointId).digest;
        (bytes32 digest, uint256 code, address failing, address unreadable) = _currentDigest();
        if (code != 0) revert CordonInvariantFailing(failing, code);
        // A digest that cannot be read would read as zero on both sides and pass the gate below.
        if (unreadable != address(0)) revert CordonDigestUnreadable(unreadable);
        if (digest != expected) revert CordonDigestMismatch(expected, digest);
        uint256 valid = _countAttestations(checkpointId, digest, attestations);
        if (valid < _attestationThreshold) revert CordonNotEnoughAttestations(valid, _attestationThreshold);

        uint64 incident = _incidentId;
        _state = HubState.Active;
        _heldScopes = 0;
        _sealUntil = 0;
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
    function shutdown(uint16 reason) external onlyGovernance nonReentrant {
        _settle();
        HubState from = _state;
        if (from == HubState.Shutdown) revert CordonInvalidTransition(from, HubState.Shutdown);
        uint64 incident = _openIncidentIfNeeded(reason);
        _heldScopes |= _expiringScopes | _graceActiveScopes;
        _clearEpisode();
        _clearGrace();
        _sealUntil = 0;
        _state = HubState.Shutdown;
        emit StateChanged(incident, from, HubState.Shutdown, msg.sender, reason, 0);
        _push();
    }

    /// @inheritdoc ICordonHub
    function setPauseRules(uint40 guardianPauseDuration, uint40 guardianCooldown) external onlyGovernance {
        _setPauseRules(guardianPauseDuration, guardianCooldown);
    }

    /// @inheritdoc ICordonHub
    function sealExits(
        uint40 duration,
        uint16 reason
    ) external onlyGovernance nonReentrant returns (uint256 checkpointId) {
        HubState from = _state;
        if (from != HubState.Recovery) revert CordonInvalidTransition(from, HubState.Recovery);
        if (duration == 0) revert CordonPauseDurationZero();
        if (duration > MAX_SEAL_DURATION) revert CordonPauseDurationTooLong(duration, MAX_SEAL_DURATION);
        uint40 until = uint40(block.timestamp) + duration;
        _sealUntil = until;
        checkpointId = _takeCheckpoint(reason);
        emit ExitsSealed(_incidentId, until, checkpointId, msg.sender, reason);
        _push();
    }

    /// @inheritdoc ICordonHub
    function setTripCooldown(uint40 cooldown) external onlyGovernance {
        if (cooldown > MAX_GUARDIAN_PAUSE_DURATION) {
            revert CordonPauseDurationTooLong(cooldown, MAX_GUARDIAN_PAUSE_DURATION);
        }
        _tripCooldown = cooldown;
        emit TripCooldownChanged(cooldown);
    }

    /// @inheritdoc ICordonHub
    function liftTripCooldown(uint256 scopes, bool invariantTrips) external onlyGovernance {
        if (scopes & ~_SCOPE_MASK != 0) revert CordonInvalidScopes(scopes);
        for (uint256 key = 0; scopes >> key != 0; ++key) {
            if ((scopes >> key) & 1 == 1) delete _tripReadyAt[key];
        }
        if (invariantTrips) delete _tripReadyAt[INVARIANT_TRIP_KEY];
        emit TripCooldownLifted(msg.sender, scopes, invariantTrips);
    }

    /// @inheritdoc ICordonHub
    function liftCooldown() external onlyGovernance nonReentrant {
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
    function addProtected(address target) external onlyGovernance nonReentrant {
        if (_protectedIndex[target] != 0) revert CordonAlreadyProtected(target);
        if (_protected.length >= MAX_PROTECTED) revert CordonTooManyProtected(MAX_PROTECTED);
        // A contract that obeys another hub would never be paused by this one, silently.
        (bool ok, bytes32 word) = _staticWord(target, ICordonGuarded.cordonHub.selector);
        address bound = ok ? address(uint160(uint256(word))) : address(0);
        if (bound != address(this)) revert CordonWrongHub(target, bound);
        _protected.push(target);
        _protectedIndex[target] = _protected.length;
        _writeProtectedCode();
        emit ProtectedContractAdded(target);
        _syncOne(target, abi.encodeCall(ICordonGuarded.cordonSync, (currentSync())));
    }

    /// @inheritdoc ICordonHub
    function removeProtected(address target) external onlyGovernance nonReentrant {
        uint256 index = _protectedIndex[target];
        if (index == 0) revert CordonNotProtected(target);
        // Release it: a contract the hub no longer pushes to must not stay frozen in its last state.
        HubSync memory release;
        release.incidentId = _incidentId;
        release.pauseEpoch = _pauseEpoch;
        _syncOne(target, abi.encodeCall(ICordonGuarded.cordonSync, (release)));
        delete _tripScopes[target];
        address last = _protected[_protected.length - 1];
        _protected[index - 1] = last;
        _protectedIndex[last] = index;
        _protected.pop();
        delete _protectedIndex[target];
        _writeProtectedCode();
        emit ProtectedContractRemoved(target);
    }

    /// @inheritdoc ICordonHub
    function setLimit(
        address target,
        address asset,
        ICordonGuarded.LimitParams calldata params
    ) external onlyGovernance nonReentrant {
        _requireProtected(target);
        ICordonGuarded(target).cordonSetLimit(asset, params);
        // The contract may trip the scope of each of its limits, and no other.
        _tripScopes[target] |= 1 << params.scope;
        emit LimitSet(target, asset, params);
    }

    /// @inheritdoc ICordonHub
    function cancelQueued(address target, uint256[] calldata ids) external onlyGovernance nonReentrant {
        _requireProtected(target);
        for (uint256 i = 0; i < ids.length; ++i) {
            ICordonGuarded(target).cordonCancelQueued(ids[i]);
        }
    }

    /// @inheritdoc ICordonHub
    function approveQueued(address target, uint256[] calldata ids) external onlyGovernance nonReentrant {
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
        // In Recovery, `stateExpires` and `expiry` carry governance's seal of the exit path (it ends by itself).
        if (sync.state == HubState.Recovery && block.timestamp < _sealUntil) {
            sync.stateExpires = true;
            sync.expiry = _sealUntil;
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
        // An episode that has expired but was not settled yet starts its cooldown at its expiry (if a guardian
        // paused in it: a trip's episode starts none).
        if (expiry != 0 && block.timestamp >= expiry && _episodeByGuardian) return expiry + _guardianCooldown;
        return _cooldownUntil;
    }

    /// @inheritdoc ICordonHub
    function tripRules() external view returns (uint40 tripCooldown, uint40 sealedUntil) {
        return (_tripCooldown, _sealUntil);
    }

    /// @inheritdoc ICordonHub
    function tripReadyAt(uint256 key) external view returns (uint40) {
        return _tripReadyAt[key];
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
        (digest, invariantCode, failing, ) = _currentDigest();
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
     * @dev The one pause path. Governance pauses are held with no end; others belong to the running episode (or start
     * one), which ends by itself. Only a guardian's pause is subject to the guardian cooldown, and only an episode a
     * guardian paused in starts one when it ends unconfirmed: a trip (evidence anyone may bring) never touches the
     * guardians' clock. A guardian pausing during an episode a trip started gets its full duration, once.
     */
    function _pause(bool protocolWide, uint256 scopes, uint16 reason, Actor actor) private {
        bool governance = actor == Actor.Governance;
        if (actor == Actor.Guardian) _checkRole(GUARDIAN_ROLE);
        _settle();
        _requirePausable();
        uint64 incident = _openIncidentIfNeeded(reason);

        uint40 expiry = 0;
        if (!governance) {
            bool guardian = actor == Actor.Guardian;
            if (guardian && !_episodeByGuardian && block.timestamp < _cooldownUntil) {
                revert CordonGuardianCooldown(_cooldownUntil);
            }
            uint40 end = uint40(block.timestamp) + _guardianPauseDuration;
            if (_expiry == 0) {
                // A new episode. Rule 2: later pauses within it never move this end...
                _expiry = end;
                _episodeByGuardian = guardian;
            } else if (guardian && !_episodeByGuardian) {
                // ...except that the first guardian pause in an episode a trip started lasts its own full duration.
                if (end > _expiry) _expiry = end;
                _episodeByGuardian = true;
            }
            expiry = _expiry;
        }
        unchecked {
            // One bump per pause call; 2^64 pauses cannot happen.
            ++_pauseEpoch;
        }
        _applyPause(protocolWide, scopes, reason, governance, incident, expiry);
        // No checkpoint here: reading every contract's digest and invariants would double what a pause costs per
        // contract. A guardian takes one ({checkpoint}) in the next transaction; Recovery still needs one of this
        // incident.
        _push();
    }

    /// @dev Records what {_pause} pauses: the protocol-wide state or the scopes, held or in the episode.
    function _applyPause(
        bool protocolWide,
        uint256 scopes,
        uint16 reason,
        bool governance,
        uint64 incident,
        uint40 expiry
    ) private {
        if (protocolWide) {
            HubState from = _state;
            if (from == HubState.Active) {
                _state = HubState.Paused;
                _stateExpires = !governance;
            } else if (governance) {
                _stateExpires = false; // governance holds a guardian's pause
            }
            emit StateChanged(incident, from, HubState.Paused, msg.sender, reason, expiry);
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
    }

    /// @dev Ends an expired episode and an expired grace period in storage. Returns whether one ended.
    function _settle() private returns (bool settled) {
        uint40 expiry = _expiry;
        if (expiry != 0 && block.timestamp >= expiry) {
            bool protocolWide = _stateExpires && _state == HubState.Paused;
            uint256 scopes = _expiringScopes;
            // Rule 3: the cooldown runs from the expiry, not from whenever someone settles it; a trip's episode
            // starts none.
            uint40 cooldown = _cooldownUntil;
            if (_episodeByGuardian) {
                cooldown = expiry + _guardianCooldown;
                _cooldownUntil = cooldown;
            }
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

    /// @dev Governance ends the running episode before its expiry: guardians who paused in it still wait out their
    /// cooldown (from now), so they cannot re-pause over governance's decision; governance may lift it.
    function _endEpisodeEarly() private {
        if (_expiry != 0 && _episodeByGuardian) {
            uint40 until = uint40(block.timestamp) + _guardianCooldown;
            _cooldownUntil = until;
            emit CooldownStarted(_incidentId, until);
        }
        _clearEpisode();
    }

    /// @dev Reverts with {CordonTripCooldown} while trip key `key` cools down after its last trip.
    function _requireTripReady(uint256 key) private view {
        uint40 readyAt = _tripReadyAt[key];
        if (block.timestamp < readyAt) revert CordonTripCooldown(key, readyAt);
    }

    /// @dev When a key that trips now may trip again: the trip cooldown after the end of the episode it joined.
    function _tripReadyFrom() private view returns (uint40) {
        return _expiry + _tripCooldown;
    }

    function _clearEpisode() private {
        _expiry = 0;
        _stateExpires = false;
        _episodeByGuardian = false;
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
        if (cooldown < MIN_GUARDIAN_COOLDOWN) revert CordonCooldownTooShort(cooldown, MIN_GUARDIAN_COOLDOWN);
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
        (, uint256 code, address failing, ) = _currentDigest();
        if (code != 0) revert CordonInvariantFailing(failing, code);
    }

    /// @dev Pushes the current state to every protected contract; a failing push is reported, not fatal.
    function _push() private {
        // One encoding for every target: the state pushed is the same for all.
        bytes memory data = abi.encodeCall(ICordonGuarded.cordonSync, (currentSync()));
        address list = _protectedCode;
        if (list == address(0)) return;
        uint256 size;
        bytes memory packed;
        assembly ("memory-safe") {
            // The code is a STOP byte, then the addresses: skip the first byte.
            size := sub(extcodesize(list), 1)
            packed := mload(0x40)
            mstore(packed, size)
            extcodecopy(list, add(packed, 0x20), 1, size)
            mstore(0x40, add(add(packed, 0x20), and(add(size, 0x1f), not(0x1f))))
        }
        for (uint256 offset = 0; offset < size; offset += 20) {
            address target;
            assembly ("memory-safe") {
                target := shr(96, mload(add(add(packed, 0x20), offset)))
            }
            _syncOne(target, data);
        }
    }

    /// @dev Rewrites {_protectedCode} from `_protected` (a contract whose code is a STOP byte and the addresses).
    function _writeProtectedCode() private {
        uint256 n = _protected.length;
        if (n == 0) {
            _protectedCode = address(0);
            return;
        }
        bytes memory runtime = new bytes(1 + 20 * n); // the first byte stays 0x00 (STOP)
        for (uint256 i = 0; i < n; ++i) {
            address target = _protected[i];
            assembly ("memory-safe") {
                mstore(add(add(runtime, 0x21), mul(i, 20)), shl(96, target))
            }
        }
        // Creation code: PUSH2 size, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN; then the code.
        // At most 1 + 20 * MAX_PROTECTED bytes, so the size fits PUSH2.
        bytes memory creation = abi.encodePacked(hex"61", uint16(runtime.length), hex"80600a3d393df3", runtime);
        address list;
        assembly ("memory-safe") {
            list := create(0, add(creation, 0x20), mload(creation))
        }
        require(list != address(0), CordonProtectedListNotWritten());
        _protectedCode = list;
    }

    /**
     * @dev Sends `data` (an encoded {ICordonGuarded-cordonSync} call) to `target` with exactly {PUSH_GAS}. A low-level
     * call: a high-level one would revert outside any catch if `target` had lost its code (an EIP-7702 account whose
     * delegation was cleared), and one broken contract must never block a pause. So a failing push is recorded, not
     * fatal; to make sure it failed on its own and not because the caller chose too little gas, the push only starts
     * with its full bound at hand. At most {MAX_REASON_BYTES} of the revert data are copied, so a huge answer cannot
     * make the transition expensive.
     */
    function _syncOne(address target, bytes memory data) private {
        _requireGas(PUSH_GAS);
        bool ok;
        bytes memory reason;
        assembly ("memory-safe") {
            ok := call(PUSH_GAS, target, 0, add(data, 0x20), mload(data), 0, 0)
            if iszero(ok) {
                let size := returndatasize()
                if gt(size, MAX_REASON_BYTES) {
                    size := MAX_REASON_BYTES
                }
                reason := mload(0x40)
                mstore(reason, size)
                returndatacopy(add(reason, 0x20), 0, size)
                // Round the free memory pointer up to a word.
                mstore(0x40, add(add(reason, 0x20), and(add(size, 0x1f), not(0x1f))))
            }
        }
        if (!ok) emit SyncFailed(target, reason);
    }

    /// @dev Reverts with {CordonPushGasTooLow} unless a call can be given `limit` gas (EIP-150 keeps 1/64 back).
    function _requireGas(uint256 limit) private view {
        uint256 needed = limit + limit / 63 + _CALL_OVERHEAD;
        uint256 available = gasleft();
        if (available < needed) revert CordonPushGasTooLow(needed, available);
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
            (, bytes32 digest) = _digestOf(target);
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

    function _currentDigest()
        private
        view
        returns (bytes32 combined, uint256 firstCode, address failing, address unreadable)
    {
        uint256 n = _protected.length;
        for (uint256 i = 0; i < n; ++i) {
            address target = _protected[i];
            (bool ok, bytes32 digest) = _digestOf(target);
            if (!ok && unreadable == address(0)) unreadable = target;
            combined = keccak256(abi.encode(combined, target, digest));
            if (firstCode == 0) {
                uint256 code = _invariantCode(target);
                if (code != 0) (firstCode, failing) = (code, target);
            }
        }
    }

    /// @dev `target`'s state digest, and whether it could be read (zero when not).
    function _digestOf(address target) private view returns (bool ok, bytes32 digest) {
        (ok, digest) = _staticWord(target, ICordonCheckpointed.stateDigest.selector);
        if (!ok) digest = bytes32(0);
    }

    function _invariantCode(address target) private view returns (uint256) {
        (bool ok, bytes32 code) = _staticWord(target, ICordonCheckpointed.checkInvariants.selector);
        return ok ? uint256(code) : _CHECK_REVERTED;
    }

    /**
     * @dev Calls the parameterless view function `selector` of `target`, which returns one word, with exactly
     * {CHECK_GAS} (and only once that much is at hand, as for a push). `ok` is false when the call reverts, runs out
     * of its gas or answers with less than a word (a catch-all fallback): a try/catch cannot survive such an answer,
     * since decoding it reverts in this contract, and one bad protected contract would block every pause. Only the
     * first word of the answer is copied, so a huge answer cannot exhaust the gas either.
     */
    function _staticWord(address target, bytes4 selector) private view returns (bool ok, bytes32 word) {
        _requireGas(CHECK_GAS);
        assembly ("memory-safe") {
            mstore(0x00, selector)
            ok := staticcall(CHECK_GAS, target, 0x00, 0x04, 0x00, 0x20)
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
