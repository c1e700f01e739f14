// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title AuditAnchor
/// @notice Public anchor of the venue's hash-chained audit log: the head `(seq, hash)` of the
///         log is written here from time to time, so the operator cannot rewrite history
///         unseen (`rwa audit verify` recomputes the log and compares it with every anchor).
/// @dev Write-once per sequence number: an anchor can never be changed or removed. Sequence
///      numbers need not increase, so a leaked anchoring key cannot block later anchors by
///      writing a huge one; a bogus anchor is itself evidence (it matches no entry of the log).
contract AuditAnchor is AccessControl {
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    mapping(uint64 seq => bytes32) private _headAt;
    uint64 private _latestSeq;
    uint256 private _count;

    /// @notice The log's entry `seq` had hash `head` when `anchorer` anchored it.
    event AuditAnchored(uint64 indexed seq, bytes32 head, address indexed anchorer);

    error AuditAnchorZeroHash(uint64 seq);
    error AuditAnchorAlreadyAnchored(uint64 seq, bytes32 head);

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants ANCHORER_ROLE).
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Record that entry `seq` of the audit log has hash `head`. Write-once per `seq`.
    function anchor(uint64 seq, bytes32 head) external onlyRole(ANCHORER_ROLE) {
        if (head == bytes32(0)) revert AuditAnchorZeroHash(seq);
        bytes32 existing = _headAt[seq];
        if (existing != bytes32(0)) revert AuditAnchorAlreadyAnchored(seq, existing);
        _headAt[seq] = head;
        _latestSeq = seq;
        ++_count;
        emit AuditAnchored(seq, head, msg.sender);
    }

    /// @notice The hash anchored for entry `seq` (zero if none).
    function headAt(uint64 seq) external view returns (bytes32) {
        return _headAt[seq];
    }

    /// @notice The most recently anchored `(seq, head)`, and how many anchors there are.
    function latest() external view returns (uint64 seq, bytes32 head, uint256 count) {
        return (_latestSeq, _headAt[_latestSeq], _count);
    }
}
