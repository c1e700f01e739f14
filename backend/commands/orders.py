"""`rwa orders cancel-onchain`: invalidate a wallet's signed orders on chain (cancelUpTo).
`rwa orders place-batch --file`: sign orders from a JSON file and place them in batches.

DELETE /v1/orders/{id} takes an order off the venue's book, but its signature stays valid
on SettlementExchange until the wallet says otherwise. This command is the wallet saying
so: it signs SettlementExchange.cancelUpTo(N) with the wallet's own key and sends it, so
every order of the wallet with a nonce below N can never settle. The service's watcher sees
the NonceFloorRaised event and cancels any of those orders still resting (cancel_reason
"onchain") within seconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import typer
from eth_account import Account
from hexbytes import HexBytes
from sqlmodel import select

from backend.chain.client import TRANSIENT
from backend.client import ApiError, ExchangeClient
from backend.commands.common import (
    BAD_INPUT,
    EXIT_CODES_HELP,
    FAILED,
    SETTINGS_HELP,
    UNAVAILABLE,
    console,
    fail,
    service_context,
)
from backend.commands.governance import SERVICE_URL
from backend.models.trading import Order
from backend.trading.batch import MAX_BATCH

app = typer.Typer(help="Orders, from the wallet's side. " + SETTINGS_HELP, no_args_is_help=True)

CANCEL_GAS = 100_000

HELP = (
    "Invalidate the wallet's signed orders on chain: sign SettlementExchange.cancelUpTo(N) with the "
    "wallet's key and send it (the wallet pays the gas). Every order of the wallet with a nonce below N "
    "can never settle; the service takes any still resting off the book within seconds. N defaults to the "
    "wallet's highest order nonce in the database + 1 (all its orders). Prints the transaction hash and "
    "the new nonce floor. " + SETTINGS_HELP + " " + EXIT_CODES_HELP
)


def read_key(path: Path) -> str:
    """A 32-byte private key, 0x-hex (or bare hex) on the file's first line."""
    try:
        text = path.read_text().strip()
    except OSError as exc:
        fail(f"cannot read the wallet key file {path}: {exc.strerror or exc}", BAD_INPUT)
    key = text.splitlines()[0].strip() if text else ""
    digits = key.removeprefix("0x")
    if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        fail(f"{path} does not hold a private key (64 hex digits, optionally 0x-prefixed)", BAD_INPUT)
    return "0x" + digits


@app.command("cancel-onchain", help=HELP)
def cancel_onchain(
    wallet_key_file: Path = typer.Option(
        ..., "--wallet-key-file", help="file holding the wallet's private key (hex); it never leaves this machine"
    ),
    up_to: int | None = typer.Option(
        None, "--up-to", min=1, help="the new nonce floor N: orders with a nonce below N become unfillable"
    ),
) -> None:
    account = Account.from_key(read_key(wallet_key_file))
    wallet = account.address
    with service_context() as ctx:
        chain = ctx.chain
        if up_to is None:
            nonces = ctx.session.exec(select(Order.nonce).where(Order.wallet == wallet)).all()
            if not nonces:
                fail(f"the database knows no order of {wallet}: pass --up-to N", BAD_INPUT)
            up_to = max(int(n) for n in nonces) + 1
        if up_to >= 2**256:
            fail("--up-to must be below 2^256", BAD_INPUT)
        exchange = chain.core("settlement_exchange")
        floor = int(chain.call(exchange.functions.nonceFloor(wallet)))
        if up_to <= floor:
            fail(f"the nonce floor of {wallet} is already {floor}: --up-to must be above it", BAD_INPUT)
        w3 = chain.w3
        try:
            tx = exchange.functions.cancelUpTo(up_to).build_transaction(
                {
                    "from": wallet,
                    "nonce": w3.eth.get_transaction_count(wallet),
                    "gas": CANCEL_GAS,
                    "gasPrice": w3.eth.gas_price,
                    "chainId": chain.chain_id,
                }
            )
            tx_hash = w3.eth.send_raw_transaction(HexBytes(account.sign_transaction(tx).raw_transaction))
        except TRANSIENT as exc:
            fail(f"the chain node at {ctx.settings.rpc_url} is unreachable: {exc}", UNAVAILABLE)
        except ValueError as exc:  # e.g. the wallet has no ether for gas
            fail(f"the node refused the transaction from {wallet}: {exc}", FAILED)
        receipt = chain.wait(tx_hash)
        if receipt["status"] != 1:
            fail(f"cancelUpTo({up_to}) reverted (tx {tx_hash.to_0x_hex()})", FAILED)
        new_floor = int(chain.call(exchange.functions.nonceFloor(wallet)))
        console.print(f"[green]✓[/] cancelUpTo({up_to}) from {wallet}: tx {tx_hash.to_0x_hex()}", soft_wrap=True)
        console.print(
            f"  nonce floor {floor} -> {new_floor}: orders with a nonce below {new_floor} can no longer settle",
            soft_wrap=True,
        )


PLACE_BATCH_HELP = (
    "Sign the orders of a JSON file (a list of POST /v1/orders bodies: symbol, side, quantity, price, "
    "type, time_in_force, client_order_id, ...) with the wallet's key and place them through the running "
    f"service's POST /v1/orders/batch, {MAX_BATCH} a request. Prints one line per order: its id and status, or "
    "the error that refused it (the others still go in). Give each order a client_order_id to make a rerun "
    "safe. " + EXIT_CODES_HELP
)


def client_for(url: str, api_key: str, private_key: str) -> ExchangeClient:
    """The API client (tests hand in one on the app's own transport)."""
    return ExchangeClient(url, api_key=api_key, private_key=private_key)


def read_orders(path: Path) -> list[dict[str, Any]]:
    try:
        orders = json.loads(path.read_text())
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}", BAD_INPUT)
    except ValueError as exc:
        fail(f"{path} is not JSON: {exc}", BAD_INPUT)
    if isinstance(orders, dict) and "orders" in orders:
        orders = orders["orders"]
    if not isinstance(orders, list) or not orders or not all(isinstance(o, dict) for o in orders):
        fail(f"{path} must hold a non-empty JSON list of order objects (or {{orders: [...]}})", BAD_INPUT)
    return orders


@app.command("place-batch", help=PLACE_BATCH_HELP)
def place_batch(
    file: Path = typer.Option(..., "--file", help="JSON list of orders (bodies of POST /v1/orders)"),
    wallet_key_file: Path = typer.Option(
        ..., "--wallet-key-file", help="file holding the wallet's private key (hex); it never leaves this machine"
    ),
    api_key: str = typer.Option(..., "--api-key", envvar="RWA_API_KEY", help="the investor's API key (RWA_API_KEY)"),
    url: str = SERVICE_URL,
) -> None:
    orders = read_orders(file)
    key = read_key(wallet_key_file)
    refused = 0
    try:
        with client_for(url, api_key, key) as ex:
            for begin in range(0, len(orders), MAX_BATCH):
                chunk = orders[begin : begin + MAX_BATCH]
                for index, result in enumerate(ex.place_orders(chunk), start=begin):
                    label = chunk[index - begin].get("client_order_id") or f"#{index + 1}"
                    if isinstance(result, ApiError):
                        refused += 1
                        console.print(f"[red]✗[/] {label}: {result.code}: {result.message}", soft_wrap=True)
                    else:
                        console.print(f"[green]✓[/] {label}: {result['id']} {result['status']}", soft_wrap=True)
    except ApiError as exc:  # the batch as a whole (the key, the service)
        fail(f"refused: {exc}", UNAVAILABLE if exc.status >= 500 else BAD_INPUT)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the service at {url} ({exc}): start it (rwa serve) or pass --url", UNAVAILABLE)
    except TypeError as exc:
        fail(str(exc), BAD_INPUT)
    console.print(f"{len(orders) - refused} of {len(orders)} orders placed", highlight=False)
    if refused:
        raise typer.Exit(FAILED)
