"""Random settlement batches aimed at the edges netting could get wrong.

A batch is a list of TradeSpecs, world-independent (assets by index, traders by investor index);
`world_trades` turns them into one world's signed trade tuples (helpers.trade / sign_order; each
world's exchange is its own EIP-712 domain). `Generator` builds batches from motifs, each aimed
at a rule or a netting hazard (tags in MOTIFS), using the last state read from the netted world
and what the test itself did to the worlds (frozen wallets, removed investors, cancels).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from helpers import DAY, E18, FAR_FUTURE, order, sign_order, trade
from netting_world import ASSETS, Investor, World

LOT = E18 // 100  # quantities in lots of 0.01 token
TICK = 10**4  # prices in ticks of one cent: price * quantity / 1e18 is then always whole
BASE_PRICE = (20 * 10**6, 80 * 10**6, 5 * 10**6)  # cash base units per whole token, by asset


@dataclass(frozen=True)
class OrderSpec:
    trader: int
    asset: int
    is_buy: bool
    price: int
    quantity: int
    nonce: int
    expiry: int = FAR_FUTURE
    signer: int | None = None  # another investor's key: a bad signature


@dataclass(frozen=True)
class TradeSpec:
    seq: int
    buy: OrderSpec
    sell: OrderSpec
    price: int
    quantity: int
    tag: str


class Signer:
    """Orders of each world with their signatures, signed once."""

    def __init__(self, investors: list[Investor]):
        self.investors = investors
        self._cache: dict[tuple[str, OrderSpec], tuple[dict, bytes]] = {}

    def order_of(self, world: World, spec: OrderSpec) -> dict:
        trader = self.investors[spec.trader].address
        return order(trader, world.assets[spec.asset], spec.is_buy, spec.price, spec.quantity, spec.nonce, spec.expiry)

    def signed(self, world: World, spec: OrderSpec) -> tuple[dict, bytes]:
        key = (world.name, spec)
        if key not in self._cache:
            o = self.order_of(world, spec)
            signer = spec.trader if spec.signer is None else spec.signer
            self._cache[key] = (o, sign_order(world.exchange, o, self.investors[signer].key))
        return self._cache[key]

    def world_trades(self, world: World, specs: list[TradeSpec]) -> list[tuple]:
        out = []
        for t in specs:
            buy, buy_sig = self.signed(world, t.buy)
            sell, sell_sig = self.signed(world, t.sell)
            out.append(trade(t.seq, buy, buy_sig, sell, sell_sig, t.price, t.quantity))
        return out


@dataclass
class Knowledge:
    """What the test did to both worlds, for aiming trades (never used to predict outcomes)."""

    frozen: set[tuple[int, int]] = field(default_factory=set)  # (asset, investor)
    removed: set[int] = field(default_factory=set)
    cancelled: list[OrderSpec] = field(default_factory=list)
    resting: list[OrderSpec] = field(default_factory=list)
    poor: set[int] = field(default_factory=set)


MOTIFS = (
    "simple",
    "multi_fill_sell",
    "multi_fill_buy",
    "buys_and_sells",
    "net_zero_over_max_balance",
    "failed_leg_renets",
    "holder_cap",
    "resting_fill",
    "expired",
    "locked_seller",
    "to_blocked_wallet",
    "ineligible_buyer",
    "cash_short",
    "bad_signature",
    "bad_price",
    "inexact_cash",
    "duplicate",
    "cancelled",
)
WEIGHTS = (14, 6, 6, 6, 5, 5, 6, 5, 2, 4, 3, 3, 2, 1, 1, 1, 1, 2)


class Generator:
    def __init__(self, rng: random.Random, investors: list[Investor], knowledge: Knowledge, now: int):
        self.rng = rng
        self.n = len(investors)
        self.investors = investors
        self.k = knowledge
        self.now = now
        self.nonces = [1] * self.n
        self.seq = 0
        self.state: dict[Any, Any] = {}

    # --- state views -------------------------------------------------------------------------

    def balance(self, a: int, i: int) -> int:
        return int(self.state[("balance", a, self.investors[i].address)])

    def locked(self, a: int, i: int) -> int:
        amount, until = self.state.get(("lock", a, self.investors[i].address), (0, 0))
        return int(amount) if int(until) > self.now else 0

    def free(self, a: int, i: int) -> int:
        return max(self.balance(a, i) - self.locked(a, i), 0)

    def holders(self, a: int) -> list[int]:
        return [i for i in range(self.n) if self.balance(a, i) > 0]

    def eligible(self, a: int, i: int) -> bool:
        spec, inv = ASSETS[a], self.investors[i]
        country_ok = not spec.countries or inv.country in spec.countries
        return (
            country_ok
            and (inv.accredited or not spec.accredited_only)
            and i not in self.k.removed
            and (a, i) not in self.k.frozen
        )

    # --- building blocks ---------------------------------------------------------------------

    def lots(self, amount: int) -> int:
        return max(1, amount // LOT) * LOT

    def part_of(self, amount: int, low: float = 0.05, high: float = 0.7) -> int:
        return self.lots(int(amount * self.rng.uniform(low, high)))

    def new_order(self, trader: int, a: int, is_buy: bool, quantity: int, **kw: Any) -> OrderSpec:
        base = BASE_PRICE[a]
        spread = self.rng.randint(0, 100) * TICK
        price = base + spread if is_buy else base - spread
        nonce = self.nonces[trader]
        self.nonces[trader] += 1
        spec = OrderSpec(trader, a, is_buy, price, quantity, nonce, **kw)
        return spec

    def pair(self, buyer: int, seller: int, a: int, quantity: int, tag: str, **kw: Any) -> TradeSpec:
        """A trade between fresh orders; sometimes an order is larger and rests for later batches."""
        extra_buy = self.lots(quantity // 2) if self.rng.random() < 0.2 else 0
        extra_sell = self.lots(quantity // 2) if self.rng.random() < 0.2 else 0
        buy = self.new_order(buyer, a, True, quantity + extra_buy, expiry=kw.get("buy_expiry", FAR_FUTURE))
        sell = self.new_order(seller, a, False, quantity + extra_sell, expiry=kw.get("sell_expiry", FAR_FUTURE))
        for spec, extra in ((buy, extra_buy), (sell, extra_sell)):
            if extra:
                self.k.resting.append(spec)
        return self.fill(buy, sell, quantity, tag)

    def fill(self, buy: OrderSpec, sell: OrderSpec, quantity: int, tag: str) -> TradeSpec:
        self.seq += 1
        price = self.rng.randrange(sell.price, buy.price + 1, TICK) if buy.price >= sell.price else buy.price
        return TradeSpec(self.seq, buy, sell, price, quantity, tag)

    def other(self, *exclude: int, eligible_for: int | None = None) -> int:
        choices = [i for i in range(self.n) if i not in exclude]
        if eligible_for is not None:
            good = [i for i in choices if self.eligible(eligible_for, i)]
            choices = good or choices
        return self.rng.choice(choices)

    def seller(self, a: int, *exclude: int) -> int | None:
        holders = [i for i in self.holders(a) if i not in exclude]
        return self.rng.choice(holders) if holders else None

    # --- motifs ------------------------------------------------------------------------------

    def batch(self, size: int) -> list[TradeSpec]:
        trades: list[TradeSpec] = []
        while len(trades) < size:
            motif = self.rng.choices(MOTIFS, WEIGHTS)[0]
            trades.extend(getattr(self, "m_" + motif)(self.rng.randrange(len(ASSETS))))
        return trades

    def m_simple(self, a: int) -> list[TradeSpec]:
        s = self.seller(a)
        if s is None:
            return []
        b = self.other(s, eligible_for=a)
        whole = self.rng.random() < 0.15  # the seller exits: the holder count drops
        q = self.lots(self.free(a, s)) if whole and self.free(a, s) > 0 else self.part_of(self.balance(a, s))
        return [self.pair(b, s, a, q, "simple")]

    def m_multi_fill_sell(self, a: int) -> list[TradeSpec]:
        s = self.seller(a)
        if s is None:
            return []
        total = self.part_of(self.balance(a, s), 0.2, 0.9)
        sell = self.new_order(s, a, False, total)
        parts = self.rng.randint(2, 3)
        out = []
        for n in range(parts):
            b = self.other(s, eligible_for=a)
            q = self.lots(total // parts) + (LOT if n == 0 and self.rng.random() < 0.2 else 0)  # overfill?
            out.append(self.fill(self.new_order(b, a, True, q), sell, q, "multi_fill_sell"))
        return out

    def m_multi_fill_buy(self, a: int) -> list[TradeSpec]:
        b = self.other(eligible_for=a)
        sellers = [i for i in self.holders(a) if i != b]
        self.rng.shuffle(sellers)
        sellers = sellers[: self.rng.randint(2, 3)]
        if not sellers:
            return []
        qs = [self.part_of(self.balance(a, s), 0.1, 0.5) for s in sellers]
        buy = self.new_order(b, a, True, sum(qs) - (LOT if self.rng.random() < 0.2 else 0))
        return [
            self.fill(buy, self.new_order(s, a, False, q), q, "multi_fill_buy")
            for s, q in zip(sellers, qs, strict=True)
        ]

    def m_buys_and_sells(self, a: int) -> list[TradeSpec]:
        """x buys from y and sells to z in the same batch, in either order."""
        y = self.seller(a)
        if y is None:
            return []
        x = self.other(y, eligible_for=a)
        z = self.other(x, y, eligible_for=a)
        q_in = self.part_of(self.balance(a, y))
        q_out = self.lots(int(q_in * self.rng.uniform(0.5, 1.2)) + self.balance(a, x) // 4)
        legs = [self.pair(x, y, a, q_in, "buys_and_sells"), self.pair(z, x, a, q_out, "buys_and_sells")]
        if self.rng.random() < 0.5:
            legs.reverse()
        return legs

    def m_net_zero_over_max_balance(self, a: int) -> list[TradeSpec]:
        """x's net is zero, but its gross buy takes it over the asset's maximum balance."""
        cap = ASSETS[a].max_balance
        if not cap:
            return self.m_buys_and_sells(a)
        x = self.other(eligible_for=a)
        y = self.seller(a, x)
        if y is None:
            return []
        q = self.lots(max(cap - self.balance(a, x), 0) + self.rng.choice((-1, 1, 5)) * LOT)
        z = self.other(x, y, eligible_for=a)
        legs = [self.pair(x, y, a, q, "net_zero_over_max_balance"), self.pair(z, x, a, q, "net_zero_over_max_balance")]
        if self.rng.random() < 0.3:
            legs.reverse()
        return legs

    def m_failed_leg_renets(self, a: int) -> list[TradeSpec]:
        """w -> x fails (w blocked, or short of free tokens); x -> y only fits with w's tokens."""
        x = self.other(eligible_for=a)
        blocked = [i for i in range(self.n) if i != x and ((a, i) in self.k.frozen or i in self.k.removed)]
        w = self.rng.choice(blocked) if blocked and self.rng.random() < 0.5 else self.seller(a, x)
        if w is None:
            return []
        q1 = self.lots(self.free(a, w) + LOT) if self.rng.random() < 0.5 else self.part_of(self.balance(a, w) or E18)
        y = self.other(x, w, eligible_for=a)
        q2 = self.lots(self.balance(a, x) + q1 // 2)
        return [self.pair(x, w, a, q1, "failed_leg_renets"), self.pair(y, x, a, q2, "failed_leg_renets")]

    def m_holder_cap(self, a: int) -> list[TradeSpec]:
        """A new holder enters while another exits, in either order, near the holder cap."""
        holders = self.holders(a)
        outsiders = [i for i in range(self.n) if i not in holders and self.eligible(a, i)]
        if len(holders) < 2 or not outsiders:
            return self.m_simple(a)
        newcomer = self.rng.choice(outsiders)
        s, leaver = self.rng.sample(holders, 2)
        receiver = self.rng.choice([h for h in holders if h != leaver])
        legs = [
            self.pair(newcomer, s, a, self.part_of(self.balance(a, s), 0.05, 0.3), "holder_cap"),
            self.pair(
                receiver, leaver, a, self.lots(self.free(a, leaver)) if self.free(a, leaver) > 0 else LOT, "holder_cap"
            ),
        ]
        if self.rng.random() < 0.5:
            legs.reverse()
        return legs

    def m_resting_fill(self, a: int) -> list[TradeSpec]:
        if not self.k.resting:
            return self.m_simple(a)
        rest = self.rng.choice(self.k.resting)
        filled = int(self.state.get(("filled", rest), 0))
        left = rest.quantity - filled
        if left <= 0:
            self.k.resting.remove(rest)
            return []
        q = left if self.rng.random() < 0.5 else self.lots(left // 2)
        if self.rng.random() < 0.15:
            q += LOT  # more than is left: code 8
        counter = self.other(rest.trader, eligible_for=rest.asset)
        mine = self.new_order(counter, rest.asset, not rest.is_buy, q)
        buy, sell = (rest, mine) if rest.is_buy else (mine, rest)
        return [self.fill(buy, sell, q, "resting_fill")]

    def m_expired(self, a: int) -> list[TradeSpec]:
        s = self.seller(a)
        if s is None:
            return []
        side = self.rng.choice(("buy_expiry", "sell_expiry"))
        return [
            self.pair(
                self.other(s, eligible_for=a),
                s,
                a,
                self.part_of(self.balance(a, s)),
                "expired",
                **{side: self.now - DAY},
            )
        ]

    def m_locked_seller(self, a: int) -> list[TradeSpec]:
        locked = [i for i in range(self.n) if self.locked(a, i) > 0]
        if not locked:
            return self.m_simple(a)
        s = self.rng.choice(locked)
        q = self.lots(self.free(a, s) + self.rng.choice((0, 1, 10)) * LOT)
        return [self.pair(self.other(s, eligible_for=a), s, a, q, "locked_seller")]

    def m_to_blocked_wallet(self, a: int) -> list[TradeSpec]:
        blocked = [i for i in range(self.n) if (a, i) in self.k.frozen or i in self.k.removed]
        s = self.seller(a, *blocked)
        if not blocked or s is None:
            return self.m_simple(a)
        b = self.rng.choice(blocked)
        if self.rng.random() < 0.5:  # blocked as the seller instead, when it holds anything
            if self.balance(a, b) > 0:
                s, b = b, s
        return [self.pair(b, s, a, self.part_of(self.balance(a, s) or E18), "to_blocked_wallet")]

    def m_ineligible_buyer(self, a: int) -> list[TradeSpec]:
        spec = ASSETS[a]
        bad = [
            i
            for i in range(self.n)
            if (spec.countries and self.investors[i].country not in spec.countries)
            or (spec.accredited_only and not self.investors[i].accredited)
        ]
        s = self.seller(a, *bad)
        if not bad or s is None:
            return self.m_simple(a)
        return [self.pair(self.rng.choice(bad), s, a, self.part_of(self.balance(a, s)), "ineligible_buyer")]

    def m_cash_short(self, a: int) -> list[TradeSpec]:
        s = self.seller(a)
        if s is None or not self.k.poor:
            return []
        b = self.rng.choice(sorted(self.k.poor - {s})) if self.k.poor - {s} else self.other(s)
        return [self.pair(b, s, a, self.part_of(self.balance(a, s), 0.3, 0.9), "cash_short")]

    def m_bad_signature(self, a: int) -> list[TradeSpec]:
        return [
            replace(t, sell=replace(t.sell, signer=self.other(t.sell.trader)), tag="bad_signature")
            for t in self.m_simple(a)
        ]

    def m_bad_price(self, a: int) -> list[TradeSpec]:
        return [replace(t, price=t.buy.price + TICK, tag="bad_price") for t in self.m_simple(a)]

    def m_inexact_cash(self, a: int) -> list[TradeSpec]:
        return [replace(t, quantity=t.quantity + 1, tag="inexact_cash") for t in self.m_simple(a)]

    def m_duplicate(self, a: int) -> list[TradeSpec]:
        """The same trade twice (same orders, same seq): the second is already settled."""
        return [u for t in self.m_simple(a) for u in (t, replace(t, tag="duplicate"))]

    def m_cancelled(self, a: int) -> list[TradeSpec]:
        if not self.k.cancelled:
            return self.m_simple(a)
        dead = self.rng.choice(self.k.cancelled)
        counter = self.other(dead.trader, eligible_for=dead.asset)
        q = self.lots(dead.quantity // 4)
        mine = self.new_order(counter, dead.asset, not dead.is_buy, q)
        buy, sell = (dead, mine) if dead.is_buy else (mine, dead)
        return [self.fill(buy, sell, q, "cancelled")]
