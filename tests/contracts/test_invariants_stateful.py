"""Stateful (hypothesis) tests: random sequences of operations against a Python model.

Token machine: mints, transfers, burns, forced transfers, freezes, pauses, revenue deposits and
claims on one asset, each predicted by a reference evaluator that follows the evaluation order
documented in IComplianceRules. Invariants: supply is conserved, no non-whitelisted wallet ever
holds the asset, the holder count matches the balances, claims never exceed deposits.

Settlement machine: random batches over a small pool of sequence numbers and signed orders
(so trade ids, derived from both orders and the sequence number, repeat), plus on-chain
cancels, one by one and by nonce floor. Invariants: a trade id settles at most once, fills never
exceed order quantities, assets and cash are conserved among the traders.
"""

import os

from brownie import StateReader
from brownie.test import strategy
from helpers import E18, ZERO_ADDRESS, derived_trade_id, order, order_tuple, restricted, reverts, settle_trades, trade
from hypothesis import HealthCheck
from hypothesis import strategies as st

USD = 10**6
MAX_HOLDERS = 3
MAX_BALANCE = 400 * E18

# Kept small so the whole contract suite stays within a few minutes on ganache (each step is a
# mined transaction); RWA_STATEFUL_SCALE=N multiplies the examples for a deeper run.
_SCALE = max(1, int(os.environ.get("RWA_STATEFUL_SCALE", "1")))
# Every step is a real transaction: generation health checks (too slow, data too large
# for a few long runs) say nothing about correctness here, so they are not allowed to fail CI.
_QUIET = {"suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]}
TOKEN_SETTINGS = {"max_examples": 20 * _SCALE, "stateful_step_count": 12, **_QUIET}
SETTLEMENT_SETTINGS = {"max_examples": 15 * _SCALE, "stateful_step_count": 8, **_QUIET}


def expected_code(model, sender, receiver, amount):
    """Reference ERC-1404 evaluator (IComplianceRules evaluation order; KYC, countries,
    accreditation and lock-up are inactive in this machine)."""
    balances = model["balances"]
    if model["paused"]:
        return 10
    if model["wallet_frozen"].get(sender) or model["wallet_frozen"].get(receiver):
        return 9
    is_mint = sender == ZERO_ADDRESS
    if not is_mint and sender not in model["registered"]:
        return 1
    if receiver not in model["registered"]:
        return 2
    if not is_mint:
        unfrozen = max(balances[sender] - model["frozen"][sender], 0)
        if amount > unfrozen:
            return 11
    if sender == receiver:
        return 0
    if amount > MAX_BALANCE or balances[receiver] > MAX_BALANCE - amount:
        return 7
    holders = sum(1 for b in balances.values() if b > 0)
    if balances[receiver] == 0 and amount > 0 and (is_mint or balances[sender] > amount) and holders >= MAX_HOLDERS:
        return 6
    return 0


class TokenMachine:
    st_who = strategy("uint8", max_value=4)
    st_amount = st.one_of(st.integers(0, 250).map(lambda n: n * E18), st.integers(0, 10**21))
    st_cash = st.integers(1, 10_000 * USD)

    def __init__(cls, create_asset, registry, distributor, cash, admin, agent, issuer, wallets):
        cls.token, cls.compliance = create_asset("STATE")
        cls.compliance.setRules([], False, MAX_HOLDERS, MAX_BALANCE, 0, {"from": agent})
        cls.reader = StateReader.deploy({"from": admin})
        cls.distributor, cls.cash, cls.agent, cls.issuer = distributor, cash, agent, issuer
        cls.wallets = [str(w) for w in wallets]  # alice, bob, carol, dave registered; mallory not
        cls.registered = {w for w in cls.wallets if registry.investorOf(w)[0]}
        cash.mint(issuer, 10**15, {"from": admin})
        cash.approve(distributor, 2**256 - 1, {"from": issuer})

    def setup(self):
        self.model = {
            "balances": {w: 0 for w in self.wallets},
            "frozen": {w: 0 for w in self.wallets},
            "wallet_frozen": {},
            "paused": False,
            "registered": self.registered,
        }
        self.minted = self.burned = 0
        self.deposited = 0
        self._observed = None

    # --- helpers ---

    def _step(self):
        self._observed = None

    def _observe(self):
        if self._observed is None:
            self._observed = self.reader.tokenState(self.token, self.compliance, self.distributor, self.wallets)
        return self._observed

    def _debit(self, holder, amount):
        """Agent debit: frozen tokens beyond the remaining balance are released first."""
        remaining = self.model["balances"][holder] - amount
        self.model["frozen"][holder] = min(self.model["frozen"][holder], remaining)
        self.model["balances"][holder] = remaining

    # --- rules ---

    def rule_mint(self, st_who, st_amount):
        self._step()
        to = self.wallets[st_who]
        code = expected_code(self.model, ZERO_ADDRESS, to, st_amount)
        if code:
            with restricted(code):
                self.token.mint(to, st_amount, {"from": self.agent})
            return
        self.token.mint(to, st_amount, {"from": self.agent})
        self.model["balances"][to] += st_amount
        self.minted += st_amount

    def rule_transfer(self, st_who, receiver="st_who", amount="st_amount"):
        self._step()
        sender, to = self.wallets[st_who], self.wallets[receiver]
        code = expected_code(self.model, sender, to, amount)
        if code:
            with restricted(code):
                self.token.transfer(to, amount, {"from": sender})
            return
        self.token.transfer(to, amount, {"from": sender})
        self.model["balances"][sender] -= amount
        self.model["balances"][to] += amount

    def rule_burn(self, st_who, st_amount):
        self._step()
        holder = self.wallets[st_who]
        balance = self.model["balances"][holder]
        if st_amount > balance:
            with reverts("ERC20InsufficientBalance(address,uint256,uint256)", holder, balance, st_amount):
                self.token.burn(holder, st_amount, {"from": self.agent})
            return
        self.token.burn(holder, st_amount, {"from": self.agent})
        self._debit(holder, st_amount)
        self.burned += st_amount

    def rule_forced_transfer(self, st_who, receiver="st_who", amount="st_amount"):
        self._step()
        sender, to = self.wallets[st_who], self.wallets[receiver]
        balance = self.model["balances"][sender]
        if to not in self.registered:
            with restricted(2):  # the receiver rules: not registered
                self.token.forcedTransfer(sender, to, amount, {"from": self.agent})
            return
        if amount > balance:
            with reverts("ERC20InsufficientBalance(address,uint256,uint256)", sender, balance, amount):
                self.token.forcedTransfer(sender, to, amount, {"from": self.agent})
            return
        self.token.forcedTransfer(sender, to, amount, {"from": self.agent})
        self._debit(sender, amount)
        self.model["balances"][to] += amount

    def rule_set_frozen_tokens(self, st_who, st_amount):
        self._step()
        holder = self.wallets[st_who]
        self.token.setFrozenTokens(holder, st_amount, {"from": self.agent})
        self.model["frozen"][holder] = st_amount

    def rule_toggle_wallet_freeze(self, st_who):
        self._step()
        holder = self.wallets[st_who]
        frozen = not self.model["wallet_frozen"].get(holder, False)
        self.token.setWalletFrozen(holder, frozen, {"from": self.agent})
        self.model["wallet_frozen"][holder] = frozen

    def rule_toggle_pause(self):
        self._step()
        if self.model["paused"]:
            self.token.unpause({"from": self.agent})
        else:
            self.token.pause({"from": self.agent})
        self.model["paused"] = not self.model["paused"]

    def rule_deposit_revenue(self, st_cash):
        self._step()
        if sum(self.model["balances"].values()) == 0:
            with reverts("RevenueDistributorNoSupply(address)", self.token.address):
                self.distributor.deposit(self.token, st_cash, "", {"from": self.issuer})
            return
        self.distributor.deposit(self.token, st_cash, "", {"from": self.issuer})
        self.deposited += st_cash

    def rule_claim_revenue(self, st_who):
        self._step()
        holder = self.wallets[st_who]
        if self.model["wallet_frozen"].get(holder):
            with reverts("RevenueDistributorHolderFrozen(address,address)", str(self.token), holder):
                self.distributor.claim(self.token, {"from": holder})
            return
        if holder not in self.registered:
            with reverts("RevenueDistributorHolderNotRegistered(address)", holder):
                self.distributor.claim(self.token, {"from": holder})
            return
        if self.distributor.claimable(self.token, holder) == 0:
            with reverts("RevenueDistributorNothingToClaim(address)", holder):
                self.distributor.claim(self.token, {"from": holder})
            return
        self.distributor.claim(self.token, {"from": holder})

    # --- invariants ---

    def invariant_supply_is_conserved(self):
        state = self._observe()
        balances = list(state["balances"])
        assert state["supply"] == sum(balances) == self.minted - self.burned
        assert balances == [self.model["balances"][w] for w in self.wallets]

    def invariant_no_non_whitelisted_holder(self):
        state = self._observe()
        for wallet, balance in zip(self.wallets, state["balances"]):
            if balance > 0:
                assert wallet in self.registered, f"{wallet} is not whitelisted but holds {balance}"

    def invariant_holder_count_matches_balances(self):
        state = self._observe()
        assert state["holderCount"] == sum(1 for b in state["balances"] if b > 0)

    def invariant_claims_never_exceed_deposits(self):
        state = self._observe()
        assert state["deposited"] == self.deposited
        assert state["claimed"] + sum(state["claimable"]) <= state["deposited"]


def test_token_invariants(
    state_machine, create_asset, investors, registry, distributor, cash, admin, agent, issuer, mallory
):
    wallets = [*investors, mallory]
    state_machine(
        TokenMachine, create_asset, registry, distributor, cash, admin, agent, issuer, wallets, settings=TOKEN_SETTINGS
    )


# ---------------------------------------------------------------------------------------------

PRICE = 25 * USD
SEQS = 3  # sequence numbers 0..2: the same orders and seq recur (code 1), or a seq with others
FLOOR_NOT_RAISED = "SettlementExchangeNonceFloorNotRaised(uint256,uint256)"


class SettlementMachine:
    st_batch = st.lists(
        st.tuples(st.integers(0, SEQS - 1), st.integers(0, 2), st.integers(0, 3), st.integers(0, 40)),
        min_size=1,
        max_size=3,
    )
    st_order = st.integers(0, 6)
    st_trader = st.integers(0, 3)
    st_floor = st.integers(500, 605)  # buys have nonces 501-503, sells 601-604

    def __init__(cls, exchange, token, cash, admin, operator, sign, alice, bob, carol, dave):
        cls.exchange, cls.token, cls.cash, cls.operator = exchange, token, cash, operator
        cls.reader = StateReader.deploy({"from": admin})
        cls.traders = [str(a) for a in (alice, bob, carol, dave)]
        token.approve(exchange, 2**256 - 1, {"from": bob})  # bob may sell what he bought
        buys = [
            order(bob, token, True, PRICE, 100 * E18, nonce=501),
            order(dave, token, True, PRICE + USD, 60 * E18, nonce=502),
            order(bob, token, True, PRICE - USD, 80 * E18, nonce=503),  # crosses only the cheap sell
        ]
        sells = [
            order(alice, token, False, PRICE, 100 * E18, nonce=601),
            order(carol, token, False, PRICE - USD, 50 * E18, nonce=602),
            order(alice, token, False, PRICE + USD, 70 * E18, nonce=603),
            order(bob, token, False, PRICE - USD, 90 * E18, nonce=604),  # bob: self-trade or no balance
        ]
        cls.buys = [(o, sign(o)) for o in buys]
        cls.sells = [(o, sign(o)) for o in sells]
        cls.orders = [o for o, _ in cls.buys + cls.sells]
        cls.hashes = [str(exchange.hashOrder(order_tuple(o))) for o in cls.orders]
        # every trade id the batches can produce: (seq, buy index, sell index) -> id
        cls.ids = {
            (seq, b, s): "0x"
            + derived_trade_id(bytes.fromhex(cls.hashes[b][2:]), bytes.fromhex(cls.hashes[3 + s][2:]), seq).hex()
            for seq in range(SEQS)
            for b in range(3)
            for s in range(4)
        }
        cls.id_list = list(cls.ids.values())
        cls.seq_list = [seq for seq, _b, _s in cls.ids]

    def setup(self):
        self.settled = {}  # trade id -> times a TradeSettled was seen
        self.filled = {h: 0 for h in self.hashes}
        self.cancelled = set()
        self.floors = dict.fromkeys(self.traders, 0)
        self.balances = {t: self.token.balanceOf(t) for t in self.traders}
        self.asset_total = sum(self.balances.values())
        self.cash_total = sum(self.cash.balanceOf(t) for t in self.traders)
        self._observed = None

    def _observe(self):
        if self._observed is None:
            settled, filled = self.reader.exchangeState(
                self.exchange, self.id_list, self.seq_list, [order_tuple(o) for o in self.orders]
            )
            (assets, cash) = self.reader.balancesOf([self.token, self.cash], self.traders)
            self._observed = (list(settled), list(filled), list(assets), list(cash))
        return self._observed

    def _expected(self, tid, buy, sell, buy_hash, sell_hash, price, quantity, settled_now):
        """Reference verdict: TradeFailed code, 0 for settled (signatures are valid, nothing
        expires and cash always suffices here, so codes 3, 4, 5 and 10 cannot occur)."""
        below_floor = buy["nonce"] < self.floors[buy["trader"]] or sell["nonce"] < self.floors[sell["trader"]]
        if self.settled.get(tid, 0) or tid in settled_now:
            return 1
        if buy["trader"] == sell["trader"]:
            return 2
        if buy_hash in self.cancelled or sell_hash in self.cancelled or below_floor:
            return 6
        if price > buy["price"] or price < sell["price"]:
            return 7
        if (
            quantity == 0
            or quantity > buy["quantity"] - self.filled[buy_hash]
            or (quantity > sell["quantity"] - self.filled[sell_hash])
        ):
            return 8
        if quantity > self.balances[sell["trader"]]:
            return 9
        return 0

    def rule_settle(self, st_batch):
        self._observed = None
        trades, expectations, settled_now = [], [], set()
        for seq, buy_index, sell_index, whole in st_batch:
            (buy, buy_sig), (sell, sell_sig) = self.buys[buy_index], self.sells[sell_index]
            tid = self.ids[(seq, buy_index, sell_index)]
            buy_hash, sell_hash = self.hashes[buy_index], self.hashes[3 + sell_index]
            quantity, price = whole * E18, sell["price"]
            code = self._expected(tid, buy, sell, buy_hash, sell_hash, price, quantity, settled_now)
            if code == 0:
                settled_now.add(tid)
                self.filled[buy_hash] += quantity
                self.filled[sell_hash] += quantity
                self.balances[sell["trader"]] -= quantity
                self.balances[buy["trader"]] += quantity
            trades.append(trade(seq, buy, buy_sig, sell, sell_sig, price, quantity))
            expectations.append((tid, code))

        tx = settle_trades(self.exchange, trades, {"from": self.operator})

        outcomes = []
        for event in tx.events:
            if event.name == "TradeSettled":
                outcomes.append((str(event["tradeId"]), 0))
                self.settled[str(event["tradeId"])] = self.settled.get(str(event["tradeId"]), 0) + 1
            elif event.name == "TradeFailed":
                outcomes.append((str(event["tradeId"]), event["code"]))
        assert outcomes == expectations

    def rule_cancel(self, st_order):
        self._observed = None
        o = self.orders[st_order]
        self.exchange.cancelOrder(order_tuple(o), {"from": o["trader"]})
        self.cancelled.add(self.hashes[st_order])

    def rule_cancel_up_to(self, st_trader, st_floor):
        self._observed = None
        trader = self.traders[st_trader]
        current = self.floors[trader]
        if st_floor <= current:
            with reverts(FLOOR_NOT_RAISED, current, st_floor):
                self.exchange.cancelUpTo(st_floor, {"from": trader})
            return
        tx = self.exchange.cancelUpTo(st_floor, {"from": trader})
        assert dict(tx.events["NonceFloorRaised"][0]) == {"trader": trader, "nonce": st_floor}
        self.floors[trader] = st_floor

    def invariant_nonce_floors_match(self):
        for trader in self.traders:
            assert self.exchange.nonceFloor(trader) == self.floors[trader]

    def invariant_trade_id_settles_at_most_once(self):
        settled, _, _, _ = self._observe()
        assert all(count <= 1 for count in self.settled.values())
        for tid, flag in zip(self.id_list, settled, strict=True):
            assert flag == (self.settled.get(tid, 0) == 1)

    def invariant_fills_never_exceed_order_quantity(self):
        _, filled, _, _ = self._observe()
        for o, h, amount in zip(self.orders, self.hashes, filled):
            assert amount == self.filled[h] <= o["quantity"]

    def invariant_assets_and_cash_are_conserved(self):
        _, _, assets, cash = self._observe()
        assert sum(assets) == self.asset_total
        assert sum(cash) == self.cash_total
        assert assets == [self.balances[t] for t in self.traders]


def test_settlement_invariants(state_machine, exchange, market, cash, admin, operator, sign, alice, bob, carol, dave):
    state_machine(
        SettlementMachine,
        exchange,
        market,
        cash,
        admin,
        operator,
        sign,
        alice,
        bob,
        carol,
        dave,
        settings=SETTLEMENT_SETTINGS,
    )
