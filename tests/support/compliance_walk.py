"""The seeded random walk the compliance differential tests share (tests/integration).

A handful of assets and investors; `mutate` changes the world the way the exchange does
(rule sets, investor records with expired KYC, issuance, wallet-to-wallet transfers, forced
transfers, burns, whole-wallet and partial freezes, pauses, short lock-ups that run out
while the test runs), through the service's API or the token's agent functions, so the
mirror has to follow the chain as it does in production.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import select
from web3 import Web3

from backend.chain.artifacts import load_abi
from backend.compliance import mirror
from backend.compliance.mirror import ZERO_ADDRESS as ZERO
from backend.compliance.sync import token_contract
from backend.errors import ChainRejected
from backend.models.compliance import HolderState
from tests.support.compliance import UNIT, asset_row, db_session, issue, put_rules, service_chain

COUNTRIES = ["US", "GB", "DE", "FR", "SG", "JP"]


class World:
    def __init__(self, client, rpc_url, admin, rng, assets, investors, strangers):
        self.client, self.admin, self.rng = client, admin, rng
        self.chain = service_chain(client)
        self.assets = {a["symbol"]: asset_row(client, a["symbol"]) for a in assets}
        self.investors, self.strangers = investors, strangers
        self.wallets = {i.wallet.address: i.wallet for i in investors} | {s.address: s for s in strangers}
        self.abi = load_abi(self.chain.settings.build_dir, "AssetToken")
        # A Web3 of its own: JSON-RPC batches must not capture the mirror worker's requests.
        self.w3 = Web3(Web3.HTTPProvider(rpc_url))
        rules_abi = load_abi(self.chain.settings.build_dir, "ComplianceRules")
        self.rules = {
            symbol: self.w3.eth.contract(address=asset.rules_address, abi=rules_abi)
            for symbol, asset in self.assets.items()
        }
        self.probe: Any = None  # RestrictionProbe, deployed by the tests that ask it
        self.investor_ids: dict[str, int] = {i.wallet.address: i.id for i in investors}
        self.snapshot: dict[str, mirror.Holding] = {}
        self.cap = 0

    def refresh(self, symbol: str) -> None:
        """The mirror's holdings and balance cap of `symbol`, read once per step."""
        asset = self.assets[symbol]
        with db_session(self.client) as session:
            rows = session.exec(select(HolderState).where(HolderState.asset_id == asset.id)).all()
            self.cap = mirror.rules_of(session, asset).max_balance
        self.snapshot = {
            row.wallet: mirror.Holding(
                int(row.balance),
                int(row.frozen_tokens),
                row.wallet_frozen,
                int(row.locked_until),
                int(row.locked_amount),
            )
            for row in rows
        }

    def holding(self, wallet: str) -> mirror.Holding:
        return self.snapshot.get(wallet, mirror.NO_HOLDING)

    def agent(self, symbol: str, function: str, *args) -> None:
        token = token_contract(self.chain, self.assets[symbol])
        try:
            self.chain.transact(getattr(token.functions, function)(*args), governance=True)
        except ChainRejected:
            pass  # e.g. a forced transfer to an unverified wallet: the world stays as it was

    def transfer(self, symbol: str, sender: str, receiver: str, amount: int) -> int:
        """A real ERC-20 transfer signed by the sender's key; returns the receipt status."""
        wallet = self.wallets[sender]
        token = wallet.w3.eth.contract(address=self.assets[symbol].token_address, abi=self.abi)
        tx = token.functions.transfer(receiver, amount).build_transaction(
            {
                "from": sender,
                "nonce": wallet.w3.eth.get_transaction_count(sender),
                "gas": 400_000,
                "gasPrice": wallet.w3.eth.gas_price,
                "chainId": self.chain.chain_id,
            }
        )
        tx_hash = wallet.w3.eth.send_raw_transaction(wallet.account.sign_transaction(tx).raw_transaction)
        return int(wallet.w3.eth.wait_for_transaction_receipt(tx_hash)["status"])


def pick_wallet(world: World, *, sender: bool) -> str:
    rng = world.rng
    roll = rng.random()
    if sender and roll < 0.07:
        return ZERO  # a mint
    if roll < 0.12:
        return rng.choice(world.strangers).address
    return rng.choice(world.investors).wallet.address


def pick_amount(world: World, sender: str, receiver: str) -> int:
    rng = world.rng
    held, theirs = world.holding(sender), world.holding(receiver)
    unfrozen = max(held.balance - held.frozen_tokens, 0)
    options = [
        0,
        unfrozen,
        unfrozen + 1,
        unfrozen - held.locked_amount,  # the free balance while a lock runs (and one more)
        unfrozen - held.locked_amount + 1,
        held.balance,
        rng.randint(0, max(held.balance, UNIT) * 6 // 5),
        rng.randint(1, 60) * UNIT,
        10**30 * UNIT,
    ]
    if world.cap:
        options += [world.cap - theirs.balance, world.cap - theirs.balance + 1]
    return max(rng.choice(options), 0)


MUTATIONS = {
    "rules": 20,
    "investor": 14,
    "issue": 10,
    "transfer": 16,
    "forced": 8,
    "freeze": 8,
    "partial": 10,
    "pause": 7,
    "burn": 7,
}


def mutate(world: World, symbol: str) -> str:
    """One random change of the world; returns its name."""
    rng, client, admin = world.rng, world.client, world.admin
    kind = rng.choices(list(MUTATIONS), weights=list(MUTATIONS.values()))[0]
    with db_session(client) as session:
        paused = mirror.state_of(session, world.assets[symbol]).paused
    if paused and rng.random() < 0.5:
        kind = "pause"  # which resumes: a paused token answers 10 to everything
    investor = rng.choice(world.investors)
    wallet = investor.wallet.address
    if kind == "rules":
        holders = sum(1 for h in world.snapshot.values() if h.balance)
        put_rules(
            client,
            admin,
            symbol,
            allowed_countries=rng.sample(COUNTRIES, rng.choice([0, 0, 3, 4, 5])),
            accredited_only=rng.random() < 0.35,
            max_holders=rng.choice([0, max(holders + rng.randint(-1, 1), 1), holders]),
            max_balance=str(rng.choice([0, 0, rng.randint(20, 300)])),
            lockup_seconds=rng.choice([0, 0, 1, 2, 3, 3600, 3600]),
        )
    elif kind == "investor":
        days = rng.choice([-30, -1, 0, 1, 30, 365, 365])
        response = client.patch(
            f"/v1/investors/{investor.id}",
            headers=admin,
            json={
                "country": rng.choice(COUNTRIES),
                "accredited": rng.random() < 0.6,
                "kyc_expires": (date.today() + timedelta(days=days)).isoformat(),
            },
        )
        assert response.status_code in (200, 409), response.text  # 409: the revoked investor
    elif kind == "issue":
        client.post(
            f"/v1/assets/{symbol}/issue",
            headers=admin,
            json={"to_wallet": wallet, "quantity": str(rng.randint(1, 120))},
        )
    elif kind == "transfer":
        sender = rng.choice(world.investors).wallet.address
        receiver = pick_wallet(world, sender=False)
        world.transfer(symbol, sender, receiver, pick_amount(world, sender, receiver))
    elif kind == "forced":
        sender = rng.choice(world.investors).wallet.address
        world.agent(symbol, "forcedTransfer", sender, wallet, rng.randint(0, max(world.holding(sender).balance, 1)))
    elif kind == "freeze":
        target = ZERO if rng.random() < 0.1 else pick_wallet(world, sender=False)
        world.agent(symbol, "setWalletFrozen", target, rng.random() < 0.35)
    elif kind == "partial":
        balance = world.holding(wallet).balance
        world.agent(symbol, "setFrozenTokens", wallet, rng.choice([0, rng.randint(0, balance * 13 // 10 + 1)]))
    elif kind == "pause":
        world.agent(symbol, "pause" if not paused and rng.random() < 0.6 else "unpause")
    elif kind == "burn":
        world.agent(symbol, "burn", wallet, rng.randint(0, world.holding(wallet).balance))
    return kind


def build_world(client, admin, node, make_asset, make_investor, new_wallet, rng, neutrals=()) -> World:
    """Three assets (the first with holders still locked up, the second with a frozen wallet and
    strict rules, the third paused), ten investors (seven holders, one de-whitelisted, one with
    expired KYC) and two strangers. `neutrals` (investors the walk never touches, with the
    quantity each gets) are issued their quantity of each asset first, before any lock-up."""
    assets = [make_asset() for _ in range(3)]
    investors = [make_investor(country=rng.choice(COUNTRIES), accredited=rng.random() < 0.6) for _ in range(10)]
    strangers = [new_wallet() for _ in range(2)]
    locked, frozen, paused = (a["symbol"] for a in assets)
    for asset in assets:
        for neutral, quantity in neutrals:
            issue(client, admin, asset["symbol"], neutral.wallet.address, quantity)
    assert put_rules(client, admin, locked, lockup_seconds=3600).status_code == 200
    for asset in assets:
        for n, investor in enumerate(investors[:7]):  # the last three start with nothing: new holders
            if asset["symbol"] == locked and n == 3:
                assert put_rules(client, admin, locked).status_code == 200  # investors 0-2 stay locked up
            issue(client, admin, asset["symbol"], investor.wallet.address, str(rng.randint(10, 150)))
    # one holder loses its whitelisting: its tokens stay, its sends fail with code 1
    assert client.delete(f"/v1/investors/{investors[0].id}", headers=admin).status_code == 200
    world = World(client, node.rpc_url, admin, rng, assets, investors, strangers)
    world.agent(frozen, "setWalletFrozen", investors[3].wallet.address, True)
    world.agent(paused, "pause")
    assert (
        put_rules(client, admin, frozen, allowed_countries=["US", "GB", "DE"], accredited_only=True).status_code == 200
    )
    expired = client.patch(
        f"/v1/investors/{investors[4].id}",
        headers=admin,
        json={"kyc_expires": (date.today() - timedelta(days=1)).isoformat()},
    )
    assert expired.status_code == 200, expired.text
    return world
