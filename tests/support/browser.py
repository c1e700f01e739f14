"""An EIP-1193 wallet for a Playwright page: `window.ethereum`, signing in Python as MetaMask would."""

from __future__ import annotations

import json

from playwright.sync_api import Page

from backend.demo.wallet import Wallet

EIP1193_WALLET = """window.ethereum = { request: async ({ method, params }) => {
    if (method === "eth_requestAccounts") return [window.__testWalletAddress];
    if (method === "eth_signTypedData_v4") return await window.pyWalletSign(params[1]);
    throw new Error("unsupported " + method);
} };"""


def inject_wallet(page: Page, wallet: Wallet) -> list[dict]:
    """Give the page an EIP-1193 wallet (`window.ethereum`) that signs with `wallet`'s key in
    Python, as MetaMask would. Returns the list of order messages it signed."""
    signed: list[dict] = []

    def sign(typed_json: str) -> str:
        typed = json.loads(typed_json)  # the page sends uint256 values as decimal strings
        message = {
            name: int(value) if isinstance(value, str) and value.isdigit() else value
            for name, value in typed["message"].items()
        }
        signed.append(message)
        return wallet.sign_order({**typed, "message": message})

    page.expose_function("pyWalletSign", sign)
    page.add_init_script(f"window.__testWalletAddress = {json.dumps(wallet.address)};")
    page.add_init_script(EIP1193_WALLET)
    return signed
