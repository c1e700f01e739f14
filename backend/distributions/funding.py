"""Who pays a distribution: the asset's issuer, from its own wallet (never the operator).

RevenueDistributor.deposit accepts only the asset's issuer (ISSUER_ROLE on the token) and
pulls the cash from that caller with transferFrom, so the issuer's wallet signs two
transactions: CashToken.approve(distributor, amount) (once, or whenever the allowance runs
short) and RevenueDistributor.deposit(asset, amount, memo). The service holds no issuer key.
It relays what the issuer's wallet signed, as it relays claims (claims.py), after checking
each transaction is exactly that call, from the issuer's wallet, to the right contract, on
this chain, carrying no ether: the API is never an open relay.

Three ways in:
- `signed_transaction` (the deposit) and, when the allowance is short, `signed_approval`:
  the service broadcasts the approval (whenever given), waits for it, then the deposit;
- neither, with the issuer's wallet one of the node's own unlocked accounts, in development
  on a test chain (trading.terms.node_signing_allowed, as for orders): the node signs;
- neither, otherwise: 409 `distribution.deposit_from_wallet` with the exact unsigned
  transactions to sign (`details.transactions`, in nonce order).

Cash: on a test chain (Settings.test_chain_ids) a short issuer balance is topped up by
minting exactly the shortfall to the issuer (the faucet, CashToken.mint by the operator);
on any other chain a short balance is 409 `distribution.insufficient_cash`. Either way the
cash of a deposit leaves the issuer's wallet, and the issuer distributes exactly what it paid.
"""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

from backend.chain.client import TRANSIENT, Chain
from backend.distributions.relay import SignedTx, broadcast, decode_signed
from backend.errors import ChainRejected, Conflict, DomainError, InvalidInput, Unavailable
from backend.models.assets import Asset
from backend.money import CASH_DECIMALS, fmt_units
from backend.trading.terms import node_signing_allowed

MAX_UINT = 2**256 - 1
APPROVE_SELECTOR = function_signature_to_4byte_selector("approve(address,uint256)")
DEPOSIT_SELECTOR = function_signature_to_4byte_selector("deposit(address,uint256,string)")
BAD_CODE = "distribution.bad_deposit_transaction"


# --- the exact transactions ----------------------------------------------------------
def deposit_calldata(token_address: str, units: int, memo: str) -> bytes:
    """ABI-encoded RevenueDistributor.deposit(token_address, units, memo)."""
    args = [Web3.to_checksum_address(token_address), units, memo]
    return DEPOSIT_SELECTOR + abi_encode(["address", "uint256", "string"], args)


def approve_calldata(spender: str, units: int) -> bytes:
    """ABI-encoded CashToken.approve(spender, units)."""
    return APPROVE_SELECTOR + abi_encode(["address", "uint256"], [Web3.to_checksum_address(spender), units])


def _request(*, sender: str, to: str, data: bytes, chain_id: int, function: str, args: list[Any]) -> dict[str, Any]:
    return {
        "from": sender,
        "to": to,
        "data": "0x" + data.hex(),
        "value": "0",
        "chain_id": chain_id,
        "function": function,
        "args": args,
    }


def deposit_requests(
    *, issuer: str, cash: str, distributor: str, token_address: str, units: int, memo: str, chain_id: int, approve: bool
) -> list[dict[str, Any]]:
    """The unsigned transactions the issuer's wallet signs, in nonce order: approve (when the
    allowance is short: for exactly `units`) then deposit."""
    wanted = []
    if approve:
        wanted.append(
            _request(
                sender=issuer,
                to=cash,
                data=approve_calldata(distributor, units),
                chain_id=chain_id,
                function="approve(address,uint256)",
                args=[distributor, str(units)],
            )
        )
    wanted.append(
        _request(
            sender=issuer,
            to=distributor,
            data=deposit_calldata(token_address, units, memo),
            chain_id=chain_id,
            function="deposit(address,uint256,string)",
            args=[token_address, str(units), memo],
        )
    )
    return wanted


def decode(raw_hex: str, field: str) -> SignedTx:
    """A signed transaction of the issuer's (422 `distribution.bad_deposit_transaction` on `field` if it is none)."""
    return decode_signed(raw_hex, code=BAD_CODE, field=field)


def _bad(message: str, field: str) -> InvalidInput:
    return InvalidInput(BAD_CODE, message, details=[{"field": field}])


def _check_envelope(tx: SignedTx, *, field: str, issuer: str, to: str, what: str, chain_id: int) -> None:
    if tx.sender.lower() != issuer.lower():
        raise _bad(f"{field} is signed by {tx.sender}, not by the asset's issuer wallet {issuer}", field)
    if tx.to is None or tx.to.lower() != to.lower():
        raise _bad(f"{field} must be sent to the {what} at {to}", field)
    if tx.chain_id != chain_id:
        raise _bad(f"{field} must be signed for chain {chain_id} (EIP-155), not {tx.chain_id}", field)
    if tx.value != 0:
        raise _bad(f"{field} carries no ether", field)


def check_deposit(
    tx: SignedTx, *, issuer: str, distributor: str, token_address: str, units: int, memo: str, chain_id: int
) -> None:
    """Refuse anything but deposit(token, units, memo) from the issuer to the distributor on this chain."""
    field = "signed_transaction"
    _check_envelope(tx, field=field, issuer=issuer, to=distributor, what="RevenueDistributor", chain_id=chain_id)
    if tx.data != deposit_calldata(token_address, units, memo):
        raise _bad(
            f"{field} must call deposit({token_address}, {units}, memo) with this request's amount and memo, "
            "and nothing else",
            field,
        )


def check_approval(tx: SignedTx, *, issuer: str, cash: str, distributor: str, units: int, chain_id: int) -> None:
    """Refuse anything but approve(distributor, >= units) from the issuer to the cash token."""
    field = "signed_approval"
    _check_envelope(tx, field=field, issuer=issuer, to=cash, what="cash token", chain_id=chain_id)
    if tx.data[:4] != APPROVE_SELECTOR or len(tx.data) != 4 + 64:
        raise _bad(f"{field} must call approve(distributor, amount) on the cash token and nothing else", field)
    spender, value = abi_decode(["address", "uint256"], tx.data[4:])
    if spender.lower() != distributor.lower():
        raise _bad(f"{field} must approve the RevenueDistributor at {distributor}", field)
    if value < units:
        raise _bad(f"{field} approves {value} cash units, less than the deposit's {units}", field)


# --- paying in -----------------------------------------------------------------------
def pay_in(
    chain: Chain,
    *,
    asset: Asset,
    units: int,
    memo: str,
    signed_approval: str | None = None,
    signed_transaction: str | None = None,
) -> str:
    """Have the issuer's wallet deposit `units` for `asset`; returns the deposit's tx hash (not waited for).

    Call under the deposit lock (service._deposit_lock): funding, approval and deposit in one piece.
    """
    issuer = asset.issuer_wallet
    cash, distributor = chain.core("cash_token"), chain.core("revenue_distributor")
    deposit_tx = None
    if signed_transaction is not None:
        deposit_tx = decode(signed_transaction, "signed_transaction")
        check_deposit(
            deposit_tx,
            issuer=issuer,
            distributor=distributor.address,
            token_address=asset.token_address,
            units=units,
            memo=memo,
            chain_id=chain.chain_id,
        )
    if signed_approval is not None:
        check_approval(
            decode(signed_approval, "signed_approval"),
            issuer=issuer,
            cash=cash.address,
            distributor=distributor.address,
            units=units,
            chain_id=chain.chain_id,
        )
    allowance = int(chain.call(cash.functions.allowance(issuer, distributor.address)))
    by_node = deposit_tx is None and node_holds(chain, issuer)
    if deposit_tx is None and not by_node:
        requests = deposit_requests(
            issuer=issuer,
            cash=cash.address,
            distributor=distributor.address,
            token_address=asset.token_address,
            units=units,
            memo=memo,
            chain_id=chain.chain_id,
            approve=allowance < units,
        )
        raise Conflict(
            "distribution.deposit_from_wallet",
            f"a distribution is paid from the issuer's own cash: the issuer wallet {issuer} must sign "
            "details.transactions (in this order, consecutive nonces) and POST them back as signed_approval "
            "(when listed) and signed_transaction",
            details={"issuer_wallet": issuer, "transactions": requests},
        )
    if deposit_tx is not None and signed_approval is None and allowance < units:
        [approve, _deposit] = deposit_requests(
            issuer=issuer,
            cash=cash.address,
            distributor=distributor.address,
            token_address=asset.token_address,
            units=units,
            memo=memo,
            chain_id=chain.chain_id,
            approve=True,
        )
        raise Conflict(
            "distribution.approval_required",
            f"the issuer wallet {issuer} has not approved the RevenueDistributor for this much cash: send "
            "details.transaction signed as signed_approval too (its nonce before the deposit's), or approve first",
            details={"issuer_wallet": issuer, "transaction": approve},
        )
    fund_issuer(chain, issuer=issuer, units=units)
    if signed_approval is not None:  # always sent when given: the deposit was signed with the next nonce
        chain.wait(broadcast(chain.w3, signed_approval, what="approval"))
    elif by_node and allowance < units:
        chain.wait(_node_send(chain, issuer, cash.functions.approve(distributor.address, units)))
    fn = distributor.functions.deposit(asset.token_address, units, memo)
    simulate_deposit(chain, fn, sender=issuer, symbol=asset.symbol)
    if by_node:
        return _node_send(chain, issuer, fn)
    assert signed_transaction is not None
    return broadcast(chain.w3, signed_transaction, what="deposit").to_0x_hex()


def node_holds(chain: Chain, wallet: str) -> bool:
    """The node may sign for `wallet`: development, a test chain, and one of its unlocked accounts."""
    if not node_signing_allowed(chain):
        return False
    try:
        accounts = chain.w3.eth.accounts
    except (*TRANSIENT, Web3RPCError, ValueError):
        return False
    return wallet.lower() in {a.lower() for a in accounts}


def shortfall(*, balance: int, needed: int) -> int:
    """Cash units missing from `balance` to pay `needed` (0 when covered)."""
    return max(0, needed - balance)


def fund_issuer(chain: Chain, *, issuer: str, units: int) -> None:
    """Test chain: mint the issuer's shortfall (the faucet). Elsewhere a shortfall is 409."""
    cash = chain.core("cash_token")
    missing = shortfall(balance=int(chain.call(cash.functions.balanceOf(issuer))), needed=units)
    if not missing:
        return
    if not chain.is_test_chain():
        raise Conflict(
            "distribution.insufficient_cash",
            f"the issuer wallet {issuer} lacks {fmt_units(missing, CASH_DECIMALS)} cash for this deposit: "
            "a distribution is paid from the issuer's own cash",
            details={"issuer_wallet": issuer, "missing": fmt_units(missing, CASH_DECIMALS)},
        )
    chain.transact(cash.functions.mint(issuer, missing))


def translate_deposit_error(exc: ChainRejected, *, symbol: str) -> DomainError:
    """Decoded contract errors of a deposit -> the API's codes; anything else unchanged."""
    name = exc.details.get("error") if isinstance(exc.details, dict) else None
    if name == "RevenueDistributorNoSupply":
        return Conflict("distribution.no_holders", f"{symbol} has no issued supply: there is nobody to pay")
    if name == "ERC20InsufficientBalance":
        return Conflict(
            "distribution.insufficient_cash",
            "the issuer's wallet holds less cash than the deposit",
            details=exc.details,
        )
    if name == "ERC20InsufficientAllowance":
        return Conflict(
            "distribution.approval_required",
            "the issuer's wallet has not approved the RevenueDistributor for this much cash: sign the approval "
            "too (POST without signatures lists it)",
            details=exc.details,
        )
    if name == "RevenueDistributorNotIssuer":
        return Conflict(
            "distribution.not_issuer",
            f"the wallet paying in does not hold the issuer role on {symbol}'s token",
            details=exc.details,
        )
    if name == "RevenueDistributorUnknownAsset":
        return Conflict(
            "distribution.asset_not_registered", f"{symbol}'s token is not registered with the RevenueDistributor"
        )
    return exc


def simulate_deposit(chain: Chain, fn: Any, *, sender: str, symbol: str) -> None:
    """Run the deposit as `sender` without sending it: a revert is refused with its reason, before broadcast."""
    try:
        fn.call({"from": sender})
    except (ContractCustomError, ContractLogicError) as exc:
        name, args = chain.decode_error(getattr(exc, "data", None))
        details = {"error": name, "args": [str(a) for a in args]} if name else None
        message = f"{name}({', '.join(map(str, args))})" if name else str(exc)
        rejected = ChainRejected("chain.reverted", message, details=details)
        raise translate_deposit_error(rejected, symbol=symbol) from None
    except TRANSIENT as exc:
        raise Unavailable("chain.unavailable", f"chain node unreachable: {exc}") from None


def _node_send(chain: Chain, sender: str, fn: Any) -> str:
    """eth_sendTransaction from one of the node's unlocked accounts (node_holds): the node signs."""
    try:
        # a legacy gasPrice: anvil on berlin refuses web3.py's default EIP-1559 fee fields
        tx_hash = chain.w3.eth.send_transaction(
            {
                "from": sender,
                "to": fn.address,
                "data": fn._encode_transaction_data(),
                "gasPrice": chain.w3.eth.gas_price,
            }
        )
    except TRANSIENT as exc:
        raise Unavailable("chain.unavailable", f"chain node unreachable: {exc}") from None
    except (ContractCustomError, ContractLogicError, Web3RPCError, ValueError) as exc:
        raise ChainRejected("chain.rejected", f"the node refused the issuer's transaction: {exc}") from None
    return tx_hash.to_0x_hex()
