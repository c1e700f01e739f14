"""The Python client against the real service (in-process transport) and chain."""

from __future__ import annotations

import pytest

from backend.client import ApiError, ExchangeClient
from tests.support.trading import fund_and_approve


def test_client_places_signed_orders_reads_the_book_and_cancels(client, admin, chain_info, make_asset, make_investor):
    asset = make_asset()
    seller, buyer = make_investor(), make_investor()
    fund_and_approve(client, admin, chain_info, asset, seller, buyer)
    symbol = asset["symbol"]

    def connect(who):
        return ExchangeClient(
            "http://testserver",
            api_key=who.api_key,
            private_key=who.wallet.account.key.to_0x_hex(),
            transport=client._transport,
        )

    with connect(seller) as ex_seller, connect(buyer) as ex_buyer:
        ask = ex_seller.place_order(symbol, "sell", quantity="4", price="3.50")
        assert ask["status"] == "open"
        assert ex_buyer.book(symbol)["asks"] == [["3.5", "4"]]
        fill = ex_buyer.place_order(symbol, "buy", quantity="1")  # market order
        assert fill["status"] == "filled" and fill["fills"][0]["price"] == "3.5"
        assert ex_seller.cancel(ask["id"])["status"] == "cancelled"
        with pytest.raises(ApiError) as refused:
            ex_buyer.place_order(symbol, "buy", quantity="1", price="3.333")
        assert refused.value.code == "order.invalid_tick" and refused.value.status == 422
        with pytest.raises(TypeError):
            ex_buyer.place_order(symbol, "buy", quantity=1.5, price="3")
