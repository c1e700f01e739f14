"""Differential test: the venue's signature verdict against the deployed SettlementExchange's.

Random orders (every field over its whole uint256 range, expiry 0 included) are signed by
random wallets for the real domain, then every signature is also mutated the ways an
attacker or a sloppy wallet would: the high-s twin, v as 0/1, the other parity, any other
v, another signer, another domain (chain id, contract), a tampered field, truncated and
extended bytes, zero or out-of-range r and s, random bytes. For every case the backend's
`verify_order(typed, signature)` (what order entry accepts) must equal the contract's
`verifyOrder(order, signature)` (what settle() accepts): the same verdict and the same
order hash. RWA_SIGDIFF_SEED and RWA_SIGDIFF_ORDERS change the run.
"""

from __future__ import annotations

import os
import random
from collections import Counter

from eth_account import Account
from eth_utils import to_checksum_address
from web3 import Web3

from backend.chain.artifacts import load_abi, load_deployment
from backend.trading.signing import HALF_N, SECP256K1_N, sign, typed_data, verify_order

SEED = int(os.environ.get("RWA_SIGDIFF_SEED", "20261204"))
ORDERS = int(os.environ.get("RWA_SIGDIFF_ORDERS", "80"))  # x 16 mutations = 1,280 cases


def _word(rng: random.Random) -> int:
    """A uint256 from the whole range, its ends and small values alike."""
    return rng.choice((0, 1, 2**256 - 1, rng.randrange(2**64), rng.randrange(2**256), rng.randrange(1, 10**30)))


def _pack(r: int, s: int, v: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


def _signed(typed: dict, key: str) -> bytes:
    return bytes.fromhex(sign(typed, key)[2:])


def _mutations(rng: random.Random, typed: dict, key: str, other_key: str) -> list[tuple[str, bytes]]:
    """The signature of `typed` by `key`, and its mutations (name, bytes)."""
    raw = _signed(typed, key)
    r, s, v = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]
    message, domain = typed["message"], typed["domain"]
    other_chain = {**typed, "domain": {**domain, "chainId": rng.choice((1, domain["chainId"] + 1, 2**64))}}
    other_contract = {**typed, "domain": {**domain, "verifyingContract": to_checksum_address(rng.randbytes(20))}}
    field = rng.choice(("price", "quantity", "nonce", "expiry"))
    tampered = {**typed, "message": {**message, field: (message[field] + 1) % 2**256}}
    return [
        ("canonical", raw),
        ("high-s twin", _pack(r, SECP256K1_N - s, 55 - v)),
        ("v 0/1", raw[:64] + bytes([v - 27])),
        ("other parity", raw[:64] + bytes([55 - v])),
        ("other v", raw[:64] + bytes([rng.choice([x for x in range(256) if x not in (27, 28)])])),
        ("other signer", _signed(typed, other_key)),
        ("other chain id", _signed(other_chain, key)),
        ("other contract", _signed(other_contract, key)),
        ("tampered field", _signed(tampered, key)),
        ("truncated", raw[: rng.randrange(65)]),
        ("extended", raw + rng.randbytes(rng.randint(1, 40))),
        ("zero r or s", _pack(0, s, v) if rng.random() < 0.5 else _pack(r, 0, v)),
        (
            "r or s out of range",
            _pack(SECP256K1_N + rng.randrange(2**32), s, v)
            if rng.random() < 0.5
            else _pack(r, HALF_N + 1 + rng.randrange(2**64), v),
        ),
        ("s exactly N/2", _pack(r, HALF_N, v)),
        ("random r, s", _pack(rng.randrange(1, SECP256K1_N), rng.randrange(1, HALF_N + 1), rng.choice((27, 28)))),
        ("random bytes", rng.randbytes(rng.choice((0, 1, 64, 65, 66, 96, 130)))),
    ]


def test_the_api_accepts_exactly_the_signatures_the_contract_accepts(settings, node):
    deployment = load_deployment(settings.deployment_file)
    address = deployment.contracts["settlement_exchange"]
    # A Web3 of its own: no other test's requests in between.
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    exchange = w3.eth.contract(
        address=Web3.to_checksum_address(address), abi=load_abi(settings.build_dir, "SettlementExchange")
    )
    chain_id = w3.eth.chain_id
    rng = random.Random(SEED)
    verdicts: Counter[tuple[str, bool]] = Counter()
    disagreements: list[str] = []
    unexpected: list[str] = []
    cases = 0
    for _ in range(ORDERS):
        signer, other = Account.from_key(rng.randbytes(32)), Account.from_key(rng.randbytes(32))
        trader = signer.address if rng.random() < 0.9 else other.address
        typed = typed_data(
            chain_id=chain_id,
            exchange=address,
            trader=trader,
            asset=to_checksum_address(rng.randbytes(20)),
            is_buy=rng.random() < 0.5,
            price=_word(rng),
            quantity=_word(rng),
            nonce=_word(rng),
            expiry=_word(rng),
        )
        m = typed["message"]
        order = (m["trader"], m["asset"], m["isBuy"], m["price"], m["quantity"], m["nonce"], m["expiry"])
        for name, signature in _mutations(rng, typed, signer.key.to_0x_hex(), other.key.to_0x_hex()):
            ours, digest = verify_order(typed, "0x" + signature.hex())
            theirs, order_hash = exchange.functions.verifyOrder(order, signature).call()
            cases += 1
            verdicts[(name, theirs)] += 1
            # The oracle besides the contract: only the trader's own canonical signature is valid.
            expected = name == ("canonical" if trader == signer.address else "other signer")
            if theirs != expected:
                unexpected.append(f"{name}: contract {theirs}, expected {expected}, sig 0x{signature.hex()}")
            if ours != theirs or digest != bytes(order_hash):
                disagreements.append(f"{name}: api {ours}, contract {theirs}, order {order}, sig 0x{signature.hex()}")
    accepted = sum(n for (_, valid), n in verdicts.items() if valid)
    print(
        f"\nsignature differential: seed {SEED}, {cases} cases, {accepted} accepted by both, "
        f"{len(disagreements)} disagreements"
    )
    assert not disagreements, "\n".join(disagreements[:20])
    assert cases >= 1_000
    # Not a vacuous agreement: the trader's canonical signatures are valid, every other case not.
    assert not unexpected, "\n".join(unexpected[:20])
    assert verdicts[("canonical", True)] >= ORDERS * 0.8
