"""AuditAnchor: the audit log's head written on chain, write-once per sequence number."""

import pytest
from brownie import AuditAnchor
from helpers import missing_role, reverts

HEAD_1 = "0x" + "11" * 32
HEAD_2 = "0x" + "22" * 32
ZERO = "0x" + "00" * 32


@pytest.fixture(scope="module")
def anchor(admin, operator):
    contract = AuditAnchor.deploy(admin, {"from": admin})
    contract.grantRole(contract.ANCHORER_ROLE(), operator, {"from": admin})
    return contract


def test_anchor_records_head_and_emits_event(anchor, operator):
    tx = anchor.anchor(7, HEAD_1, {"from": operator})
    assert anchor.headAt(7) == HEAD_1
    seq, head, count = anchor.latest()
    assert (int(seq), str(head), int(count)) == (7, HEAD_1, 1)
    event = tx.events["AuditAnchored"]
    assert (event["seq"], event["head"], event["anchorer"]) == (7, HEAD_1, operator)


def test_anchor_is_write_once_per_seq(anchor, operator):
    anchor.anchor(7, HEAD_1, {"from": operator})
    with reverts("AuditAnchorAlreadyAnchored(uint64,bytes32)", 7, bytes.fromhex(HEAD_1[2:])):
        anchor.anchor(7, HEAD_2, {"from": operator})
    assert anchor.headAt(7) == HEAD_1


def test_lower_seq_after_a_higher_one_is_accepted(anchor, operator):
    """A bogus huge seq (a leaked key) cannot block later anchors."""
    anchor.anchor(2**63, HEAD_1, {"from": operator})
    anchor.anchor(8, HEAD_2, {"from": operator})
    assert anchor.headAt(8) == HEAD_2
    seq, head, count = anchor.latest()
    assert (int(seq), str(head), int(count)) == (8, HEAD_2, 2)


def test_zero_hash_reverts(anchor, operator):
    with reverts("AuditAnchorZeroHash(uint64)", 3):
        anchor.anchor(3, ZERO, {"from": operator})


def test_account_without_anchorer_role_reverts(anchor, mallory, admin):
    with missing_role(mallory, anchor.ANCHORER_ROLE()):
        anchor.anchor(1, HEAD_1, {"from": mallory})
    with missing_role(admin, anchor.ANCHORER_ROLE()):  # the admin grants the role, it does not hold it
        anchor.anchor(1, HEAD_1, {"from": admin})
