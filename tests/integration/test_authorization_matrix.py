"""Every endpoint, from the app's own route table, against every kind of caller it must refuse.

The routes are read at test time (new endpoints are covered without touching this file); who
may call each one is read from its dependencies (`require_admin`, `require_issuer_or_admin`,
`current_investor`, `get_principal`, an optional key). Each route is then called with:

- no key                            -> 401 auth.missing_key (unless public)
- a revoked investor key            -> 401 auth.invalid_key (unless public and the key is ignored)
- another investor's key            -> 403 on admin/issuer endpoints; 404 on an investor's own
                                       resources (its order ids); through elsewhere
- an issuer key of another asset    -> 403 on admin, issuer and investor endpoints

Never a 2xx for a refused call, never a 5xx. The table is written to
docs/generated/authorization-matrix.md, which docs/reliability.md includes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.routing import APIRoute

from backend.config import ROOT
from tests.integration.test_trade_flow import _fund_and_approve

MATRIX_DOC = ROOT / "docs" / "generated" / "authorization-matrix.md"
ROLE_DEPENDENCIES = {  # dependency function name -> who may call (strongest wins, in this order)
    "require_admin": "admin",
    "require_issuer_or_admin": "issuer or admin",
    "current_investor": "investor",
    "get_principal": "any key",
    "optional_principal": "anyone (key optional)",
}
CALLERS = ("no key", "revoked key", "another investor", "another issuer")


@dataclass(frozen=True)
class Expect:
    statuses: frozenset[int]
    code: str | None = None

    def __str__(self) -> str:
        if self.code:
            return f"{'/'.join(map(str, sorted(self.statuses)))} `{self.code}`"
        return "through (no 401/403)"


def refused(status: int, code: str) -> Expect:
    return Expect(frozenset({status}), code)


THROUGH = Expect(frozenset(range(200, 500)) - {401, 403})


def _dependency_names(dependant) -> set[str]:
    names = set()
    for dep in dependant.dependencies:
        names.add(getattr(dep.call, "__name__", ""))
        names |= _dependency_names(dep)
    return names


def who_may_call(route: APIRoute) -> str:
    names = _dependency_names(route.dependant)
    return next((who for name, who in ROLE_DEPENDENCIES.items() if name in names), "anyone")


def expected(who: str, caller: str, path: str, *, has_body: bool) -> Expect:
    if who == "anyone":
        return THROUGH
    if caller == "no key":
        return THROUGH if who.startswith("anyone") else refused(401, "auth.missing_key")
    if caller == "revoked key":
        return refused(401, "auth.invalid_key")
    if who == "issuer or admin" and caller == "another issuer" and not has_body:
        # The asset's authority is checked in the route, after the body: a route this test
        # has no valid body for refuses the body first.
        return Expect(frozenset({403, 422}))
    if who in ("admin", "issuer or admin"):
        return refused(403, "auth.forbidden")
    if who == "investor":
        if caller == "another issuer":
            return refused(403, "auth.forbidden")
        return refused(404, "order.not_found") if "{order_id}" in path else THROUGH
    # "any key" lets every role in; a route may still refuse a role itself (GET /v1/trades
    # is for investors and admins): a 403 there is a refusal, never a 2xx.
    return Expect(THROUGH.statuses | {403})


def _api_routes(app) -> list[tuple[str, APIRoute]]:
    routes = [(method, route) for route in app.routes if isinstance(route, APIRoute)
              for method in sorted(route.methods)]
    return sorted(routes, key=lambda pair: (pair[1].path, pair[0]))


def test_every_endpoint_refuses_callers_without_the_right_key(client, admin, chain_info, make_asset, make_investor,
                                                             issuer_key, new_wallet):
    asset = make_asset()  # its issuer wallet is nobody's key here
    owner, intruder, revoked = make_investor(), make_investor(), make_investor()
    _fund_and_approve(client, admin, chain_info, asset, intruder, owner)
    order = owner.wallet.place_order(client, owner.api_key,
                                     {"symbol": asset["symbol"], "side": "buy", "price": "1", "quantity": "1"})
    assert order.status_code == 201, order.text
    assert client.delete(f"/v1/investors/{revoked.id}", headers=admin).status_code == 200
    document_id = client.get(f"/v1/assets/{asset['symbol']}/documents").json()[0]["id"]
    values = {"symbol": asset["symbol"], "order_id": order.json()["id"], "investor_id": str(owner.id),
              "document_id": str(document_id)}
    headers = {"no key": {}, "revoked key": revoked.headers, "another investor": intruder.headers,
               "another issuer": issuer_key(new_wallet().address)}

    # Valid requests where the route checks more than the role (the asset's issuer), so a
    # wrong issuer is refused for who it is, not for a bad body.
    bodies = {
        ("POST", "/v1/assets/{symbol}/issue"): {"json": {"to_wallet": owner.wallet.address, "quantity": "1"}},
        ("PUT", "/v1/assets/{symbol}/rules"): {"json": {}},
        ("POST", "/v1/assets/{symbol}/distributions"): {"json": {"amount": "1"}},
        ("POST", "/v1/assets/{symbol}/documents"): {
            "files": {"file": ("x.pdf", b"%PDF-1.4 x", "application/pdf")}, "data": {"doc_type": "other",
                                                                                  "title": "x"}},
    }
    rows, wrong = [], []
    routes = _api_routes(client.app)
    for method, route in routes:
        path = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), route.path)
        who = who_may_call(route)
        cells = []
        for caller in CALLERS:
            kwargs = bodies.get((method, route.path), {"json": {}} if method in ("POST", "PUT", "PATCH") else {})
            response = client.request(method, path, headers=headers[caller], **kwargs)
            code = response.json().get("error", {}).get("code") if response.headers.get(
                "content-type", "").startswith("application/json") and response.status_code >= 400 else None
            want = expected(who, caller, route.path, has_body=(method, route.path) in bodies)
            ok = response.status_code in want.statuses and (want.code is None or code == want.code)
            cells.append(f"{response.status_code}{f' `{code}`' if code else ''}{'' if ok else ' ✗'}")
            if not ok:
                wrong.append(f"{method} {route.path} with {caller}: want {want}, got {response.status_code} {code}")
        rows.append(f"| `{method} {route.path}` | {who} | " + " | ".join(cells) + " |")

    MATRIX_DOC.parent.mkdir(parents=True, exist_ok=True)
    MATRIX_DOC.write_text(
        "<!-- generated by tests/integration/test_authorization_matrix.py: do not edit -->\n"
        f"{len(routes)} endpoints x {len(CALLERS)} callers = {len(routes) * len(CALLERS)} calls. "
        "\"another investor\" calls with an investor key on another investor's resources "
        "(its order ids); \"another issuer\" with an issuer key of a different asset.\n\n"
        "| endpoint | who may call | " + " | ".join(CALLERS) + " |\n|---|---|" + "---|" * len(CALLERS) + "\n"
        + "\n".join(rows) + "\n")
    print(f"\nauthorization matrix: {len(routes)} endpoints x {len(CALLERS)} callers, {len(wrong)} wrong")
    assert not wrong, "\n".join(wrong)
    # Nothing the refused callers tried changed the owner's order.
    assert client.get(f"/v1/orders/{values['order_id']}", headers=owner.headers).json()["status"] == "open"
    assert len(routes) >= 30
