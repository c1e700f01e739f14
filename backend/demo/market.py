"""The demo's market steps: new listings opening through a call, matched trades, a market
order, compliance refusals, a royalty distribution (the collapse is backend/demo/crash.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, cast

from web3 import HTTPProvider

from backend.chain.local_node import dev_private_key
from backend.demo import crash
from backend.demo.api import Api, ScenarioError
from backend.demo.cast import ASSETS, INVESTORS, ISSUANCE
from backend.demo.filings import permian_distribution
from backend.demo.issuer import distribute as issuer_pays
from backend.demo.summary import Claim, DemoResult, Refusal
from backend.demo.wallet import Wallet

Say = Callable[..., None]
NAMES = {i.key: i.name for i in INVESTORS}


def _limit(symbol: str, side: str, price: str, quantity: str, cid: str, tif: str = "GTC") -> dict[str, Any]:
    return {
        "symbol": symbol,
        "side": side,
        "type": "limit",
        "price": price,
        "quantity": quantity,
        "time_in_force": tif,
        "client_order_id": cid,
    }


def trade(api: Api, wallets: dict[str, Wallet], result: DemoResult, say: Say) -> None:
    """Sells and crossing buys meet in each new listing's opening call: three trades on two
    assets at one price each, settled on chain (DvP)."""
    orders = [
        ("alice", _limit("ACME", "sell", "12.50", "300", "alice-acme-1")),
        ("bertie", _limit("ACME", "buy", "12.50", "200", "bertie-acme-1")),
        ("chiara", _limit("ACME", "buy", "12.50", "100", "chiara-acme-1")),
        ("bertie", _limit("PERMIAN1", "sell", "48.00", "400", "bertie-permian-1")),
        ("kenji", _limit("PERMIAN1", "buy", "48.00", "400", "kenji-permian-1")),
    ]
    for investor, order in orders:
        placed = api.place(wallets[investor], investor, order, f"{NAMES[investor]}'s order")
        say(
            f"[green]✓[/] {NAMES[investor]} {order['side']}s {order['quantity']} {order['symbol']} @ "
            f"{order['price']}: {placed['status']}"
        )
    crash.opening(api, ["ACME", "PERMIAN1"], say)
    trades = api.settle_all()
    for t in trades:
        say(
            f"[green]✓[/] trade {t['id']} {t['quantity']} {t['symbol']} @ {Decimal(t['price']):.2f} settled on chain, "
            f"tx {t['tx_hash']}"
        )
    result.trades = trades
    market_order(api, wallets, result, say)


def market_order(api: Api, wallets: dict[str, Wallet], result: DemoResult, say: Say) -> None:
    """A market order signs a real limit: the collar around the reference price. The venue
    (or anyone holding its settlement key) can never fill it beyond that price."""
    api.place(wallets["alice"], "alice", _limit("ACME", "sell", "12.60", "10", "alice-acme-2"), "Alice's ask")
    order = {"symbol": "ACME", "side": "buy", "type": "market", "quantity": "10", "client_order_id": "chiara-mkt-1"}
    placed, limit = api.place_market(wallets["chiara"], "chiara", order, "Chiara's market buy")
    fills = ", ".join(f"{f['quantity']} @ {Decimal(f['price']):.2f}" for f in placed.get("fills", []))
    say(
        f"[green]✓[/] Chiara's market buy of 10 ACME signed a limit of {limit} (the collar above the 12.50 "
        f"reference): filled {fills or 'nothing'}; no trade can ever settle her order above {limit}"
    )
    result.market_order = {"limit": limit, "fills": fills}
    result.trades = api.settle_all()


def refusals(api: Api, wallets: dict[str, Wallet], result: DemoResult, say: Say) -> None:
    """Orders the venue refuses before they can rest or match, each with its compliance code."""
    cases = [
        ("mateus", _limit("ACME", "buy", "12.50", "10", "mateus-acme-1"), "Brazil is not on ACME's country list"),
        ("hannah", _limit("ACME", "buy", "12.50", "10", "hannah-acme-1"), "her KYC expired yesterday"),
        (
            "chiara",
            _limit("PERMIAN1", "buy", "48.00", "10", "chiara-permian-1"),
            "PERMIAN1 is for accredited investors only",
        ),
        (
            "kenji",
            _limit("IOWACORN", "buy", "9.00", "4000", "kenji-iowa-1"),
            "1,500 held + 4,000 would pass IOWACORN's 5,000 cap",
        ),
        (
            "chiara",
            _limit("IOWACORN", "sell", "9.50", "100", "chiara-iowa-1"),
            "IOWACORN units are locked for a day after issuance",
        ),
    ]
    for investor, order, why in cases:
        error = api.refused(wallets[investor], investor, order, f"{NAMES[investor]}'s order")
        text = f"{order['side']} {order['quantity']} {order['symbol']} @ {order['price']}"
        result.refusals.append(Refusal(NAMES[investor], text, error["code"], error["message"], why))
        say(f"[green]✓[/] refused: {NAMES[investor]} {text} -> {error['code']} ({why})")


def distribute(
    api: Api, wallets: dict[str, Wallet], distributor: str, token: str, result: DemoResult, say: Say
) -> None:
    """The well's royalty, paid by PERMIAN1's issuer from its own wallet (it signs the cash
    approval and the deposit the API lists; the service relays them); each holder's wallet
    claims its share."""
    issued = sum(int(q) for symbol, _, q in ISSUANCE if symbol == "PERMIAN1")
    spec = next(a for a in ASSETS if a.symbol == "PERMIAN1")
    amount, memo = permian_distribution(date.today(), issued_units=issued, total_units=int(spec.total_supply))
    rpc_url = str(cast(HTTPProvider, next(iter(wallets.values())).w3.provider).endpoint_uri)
    issuer = Wallet(dev_private_key(spec.issuer_account), rpc_url)
    response = issuer_pays(
        lambda method, path, **kw: api.send(method, path, key=api.admin, **kw),
        issuer,
        "PERMIAN1",
        {"amount": amount, "memo": memo},
    )
    if response.status_code != 201:
        raise ScenarioError(f"royalty distribution failed: HTTP {response.status_code} {response.text}")
    made = response.json()
    result.distribution = {
        "symbol": "PERMIAN1",
        "amount": amount,
        "memo": memo,
        "tx_hash": made.get("tx_hash"),
        "holders": made.get("holder_count"),
    }
    say(
        f"[green]✓[/] PERMIAN1 royalty of {amount} paid in by its issuer {issuer.address} from its own cash, "
        f"for holders pro rata (tx {made.get('tx_hash')})"
    )
    for investor, wallet in wallets.items():
        key = api.keys[investor]
        position = api.ok("GET", "/v1/assets/PERMIAN1/distributions", "holder share", key=key)
        account = api.ok("GET", "/v1/account", "account", key=key)
        held = account["assets"]["PERMIAN1"]["onchain"]
        if Decimal(position["claimable"]) == 0:
            continue
        claimed = api.ok(
            "POST",
            "/v1/assets/PERMIAN1/distributions/claim",
            "claim",
            key=key,
            json={"signed_transaction": wallet.sign_claim(distributor, token)},
        )
        result.claims.append(Claim(NAMES[investor], held, claimed["amount"], claimed["tx_hash"]))
        say(
            f"[green]✓[/] {NAMES[investor]} (holds {held} PERMIAN1) claimed {claimed['amount']} "
            f"from their own wallet, tx {claimed['tx_hash']}"
        )
    if not result.claims:
        raise ScenarioError("no PERMIAN1 holder could claim the royalty")


def trade_parties(api: Api) -> dict[str, tuple[str, str]]:
    """trade id -> (seller, buyer), from each investor's own orders (GET /v1/orders)."""
    sides: dict[str, dict[str, str]] = {}
    for investor, key in api.keys.items():
        for order in api.ok("GET", "/v1/orders", "orders", key=key):
            for fill in order.get("fills", []):
                sides.setdefault(fill["trade_id"], {})[order["side"]] = NAMES[investor]
    return {tid: (s.get("sell", "?"), s.get("buy", "?")) for tid, s in sides.items()}
