"""AssetToken ERC-1643 documents: set, get, remove, list, events, permissions."""

from brownie import chain
from eth_utils import keccak
from helpers import missing_role, reverts

PROSPECTUS = b"prospectus".ljust(32, b"\0")
RESERVES = b"reserve-report".ljust(32, b"\0")
PRODUCTION = b"production-report".ljust(32, b"\0")
HASH_1 = keccak(b"prospectus v1")
HASH_2 = keccak(b"prospectus v2")


def test_set_and_get_document(token, issuer):
    tx = token.setDocument(PROSPECTUS, "ipfs://prospectus-v1", HASH_1, {"from": issuer})

    uri, document_hash, last_modified = token.getDocument(PROSPECTUS)
    assert uri == "ipfs://prospectus-v1"
    assert document_hash == "0x" + HASH_1.hex()
    assert last_modified == chain[tx.block_number].timestamp
    assert list(token.getAllDocuments()) == ["0x" + PROSPECTUS.hex()]
    event = tx.events["DocumentUpdated"]
    assert (event["name"], event["uri"], event["documentHash"]) == (
        "0x" + PROSPECTUS.hex(),
        "ipfs://prospectus-v1",
        "0x" + HASH_1.hex(),
    )


def test_updating_a_document_keeps_one_entry(token, issuer):
    token.setDocument(PROSPECTUS, "ipfs://prospectus-v1", HASH_1, {"from": issuer})
    chain.sleep(10)
    token.setDocument(PROSPECTUS, "ipfs://prospectus-v2", HASH_2, {"from": issuer})
    assert len(token.getAllDocuments()) == 1
    assert tuple(token.getDocument(PROSPECTUS))[:2] == ("ipfs://prospectus-v2", "0x" + HASH_2.hex())


def test_unknown_document_reads_empty(token):
    assert tuple(token.getDocument(RESERVES)) == ("", "0x" + "00" * 32, 0)


def test_remove_document_swaps_and_pops(token, issuer):
    for name in (PROSPECTUS, RESERVES, PRODUCTION):
        token.setDocument(name, "ipfs://" + name.rstrip(b"\0").decode(), keccak(name), {"from": issuer})

    tx = token.removeDocument(PROSPECTUS, {"from": issuer})

    # the last name takes the removed slot
    assert list(token.getAllDocuments()) == ["0x" + PRODUCTION.hex(), "0x" + RESERVES.hex()]
    assert tuple(token.getDocument(PROSPECTUS)) == ("", "0x" + "00" * 32, 0)
    event = tx.events["DocumentRemoved"]
    assert (event["name"], event["uri"], event["documentHash"]) == (
        "0x" + PROSPECTUS.hex(),
        "ipfs://prospectus",
        "0x" + keccak(PROSPECTUS).hex(),
    )
    token.removeDocument(RESERVES, {"from": issuer})
    token.removeDocument(PRODUCTION, {"from": issuer})
    assert list(token.getAllDocuments()) == []
    # a removed name can be set again
    token.setDocument(RESERVES, "ipfs://again", HASH_1, {"from": issuer})
    assert list(token.getAllDocuments()) == ["0x" + RESERVES.hex()]


def test_remove_unknown_document_reverts(token, issuer):
    with reverts("AssetTokenDocumentNotFound(bytes32)", RESERVES):
        token.removeDocument(RESERVES, {"from": issuer})


def test_invalid_documents_are_rejected(token, issuer):
    with reverts("AssetTokenInvalidDocument(bytes32)", b"\0" * 32):
        token.setDocument(b"\0" * 32, "ipfs://x", HASH_1, {"from": issuer})
    with reverts("AssetTokenInvalidDocument(bytes32)", PROSPECTUS):
        token.setDocument(PROSPECTUS, "", HASH_1, {"from": issuer})


def test_agent_may_write_documents(token, agent):
    token.setDocument(PROSPECTUS, "ipfs://by-agent", HASH_1, {"from": agent})
    token.removeDocument(PROSPECTUS, {"from": agent})


def test_others_cannot_write_documents(token, issuer, alice, mallory):
    token.setDocument(PROSPECTUS, "ipfs://prospectus-v1", HASH_1, {"from": issuer})
    for outsider in (alice, mallory):
        with missing_role(outsider, token.ISSUER_ROLE()):
            token.setDocument(RESERVES, "ipfs://fake", HASH_2, {"from": outsider})
        with missing_role(outsider, token.ISSUER_ROLE()):
            token.removeDocument(PROSPECTUS, {"from": outsider})


def test_issuer_role_covers_documents_only(token, issuer, alice):
    with missing_role(issuer, token.AGENT_ROLE()):
        token.mint(alice, 1, {"from": issuer})
