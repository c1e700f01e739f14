// The investor's account: balances (on chain / reserved / available), own orders with
// cancel, own trades with settlement status and transaction hash.

import { fixed, grouped, places } from "./dec.js";
import { dateTimeOf, errorView, h, shortHex, timeOf } from "./dom.js";

const CASH_PLACES = 2;
const OPEN = new Set(["open", "partially_filled"]);

function amount(value, digits) {
  return value === undefined || value === null ? "—" : grouped(fixed(value, digits));
}

export function renderAccount(container, { account, error, assets }) {
  if (error) {
    container.replaceChildren(h("p", { class: "notice notice-error", role: "alert" }, errorView(error)));
    return;
  }
  if (!account) {
    container.replaceChildren(h("p", { class: "empty" }, "Paste an investor API key to see balances, orders and trades."));
    return;
  }
  const lotPlaces = (symbol) => places(assets.find((a) => a.symbol === symbol)?.lot_size ?? "1");
  const positions = Object.entries(account.assets ?? {})
    .filter(([, p]) => p.onchain !== "0" || p.reserved !== "0")
    .sort(([a], [b]) => a.localeCompare(b));
  const row = (label, position, digits, cls) => h("tr", { class: cls },
    h("th", { scope: "row" }, label),
    h("td", { class: "num" }, amount(position.onchain, digits)),
    h("td", { class: "num" }, amount(position.reserved, digits)),
    h("td", { class: "num strong" }, amount(position.available, digits)));
  container.replaceChildren(
    h("dl", { class: "wallet" },
      h("dt", {}, "Wallet"), h("dd", { class: "mono", title: account.wallet }, shortHex(account.wallet, 8, 6)),
      h("dt", {}, "Status"), h("dd", {}, h("span", { class: `pill pill-${account.status}` }, account.status))),
    h("table", { class: "balances-table" },
      h("caption", {}, "Balances"),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Asset"), h("th", { scope: "col", class: "num" }, "On chain"),
        h("th", { scope: "col", class: "num" }, "Reserved"), h("th", { scope: "col", class: "num" }, "Available"))),
      h("tbody", {},
        row("Cash", account.cash ?? {}, CASH_PLACES, "cash-row"),
        positions.map(([symbol, position]) => row(symbol, position, lotPlaces(symbol))),
        positions.length ? null : h("tr", {}, h("td", { colspan: 4, class: "empty" }, "No asset holdings yet.")))));
}

export function renderOrders(container, { orders, error, assets, onCancel, cancelling }) {
  if (error) {
    container.replaceChildren(h("p", { class: "notice notice-error", role: "alert" }, errorView(error)));
    return;
  }
  if (!orders) {
    container.replaceChildren(h("p", { class: "empty" }, "No key: no orders to show."));
    return;
  }
  if (!orders.length) {
    container.replaceChildren(h("p", { class: "empty" }, "No orders yet."));
    return;
  }
  const digitsFor = (symbol, field) => places(assets.find((a) => a.symbol === symbol)?.[field] ?? "1");
  container.replaceChildren(h("table", { class: "orders-table" },
    h("caption", { class: "visually-hidden" }, "My orders"),
    h("thead", {}, h("tr", {}, ["Time", "Market", "Side", "Type", "Price", "Quantity", "Filled", "Status", ""]
      .map((name, i) => h("th", { scope: "col", class: i >= 4 && i <= 6 ? "num" : null }, name)))),
    h("tbody", {}, orders.map((order) => {
      const price = order.price === null ? "market" : grouped(fixed(order.price, digitsFor(order.symbol, "tick_size")));
      const qty = fixed(order.quantity, digitsFor(order.symbol, "lot_size"));
      const description = `${order.side} ${qty} ${order.symbol} @ ${price}`;
      return h("tr", { class: `order-${order.status}`, dataset: { orderId: order.id } },
        h("td", { class: "muted", title: dateTimeOf(order.created_at) }, timeOf(order.created_at)),
        h("td", {}, order.symbol),
        h("td", { class: order.side === "buy" ? "up" : "down" }, order.side),
        h("td", {}, `${order.type}${order.time_in_force !== "GTC" ? ` ${order.time_in_force}` : ""}${order.post_only ? " post-only" : ""}`),
        h("td", { class: "num" }, price),
        h("td", { class: "num" }, grouped(qty)),
        h("td", { class: "num" }, grouped(fixed(order.filled_quantity, digitsFor(order.symbol, "lot_size")))),
        h("td", {}, h("span", { class: `pill pill-${order.status}`, title: order.reject_code ?? order.cancel_reason ?? null }, order.status.replace("_", " ")),
          order.reject_code ? h("code", { class: "error-code small" }, ` ${order.reject_code}`)
            : order.cancel_reason && ![order.status, "user"].includes(order.cancel_reason)
              ? h("span", { class: "muted small cancel-reason" }, ` ${order.cancel_reason.replace("_", " ")}`) : null),
        h("td", {}, OPEN.has(order.status)
          ? h("button", { type: "button", class: "button-small", disabled: cancelling.has(order.id),
            "aria-label": `Cancel ${description}`, onClick: () => onCancel(order) }, cancelling.has(order.id) ? "Cancelling…" : "Cancel")
          : null));
    }))));
}

export function renderMyTrades(container, { trades, error, assets }) {
  if (error) {
    container.replaceChildren(h("p", { class: "notice notice-error", role: "alert" }, errorView(error)));
    return;
  }
  if (!trades) {
    container.replaceChildren(h("p", { class: "empty" }, "No key: no trades to show."));
    return;
  }
  if (!trades.length) {
    container.replaceChildren(h("p", { class: "empty" }, "No trades yet."));
    return;
  }
  const digitsFor = (symbol, field) => places(assets.find((a) => a.symbol === symbol)?.[field] ?? "1");
  container.replaceChildren(h("table", { class: "my-trades-table" },
    h("caption", { class: "visually-hidden" }, "My trades"),
    h("thead", {}, h("tr", {}, ["Time", "Market", "Side", "Price", "Quantity", "Settlement", "Transaction"]
      .map((name, i) => h("th", { scope: "col", class: i === 3 || i === 4 ? "num" : null }, name)))),
    h("tbody", {}, trades.map((trade) => h("tr", {},
      h("td", { class: "muted", title: dateTimeOf(trade.executed_at) }, timeOf(trade.executed_at)),
      h("td", {}, trade.symbol),
      h("td", { class: trade.side === "sell" ? "down" : "up" }, trade.side ?? trade.taker_side),
      h("td", { class: "num" }, grouped(fixed(trade.price, digitsFor(trade.symbol, "tick_size")))),
      h("td", { class: "num" }, grouped(fixed(trade.quantity, digitsFor(trade.symbol, "lot_size")))),
      h("td", {}, h("span", { class: `pill pill-${trade.settlement_status}`, title: trade.failure_reason ?? null },
        trade.settlement_status),
      trade.failure_code ? h("code", { class: "error-code small" }, ` ${trade.failure_code}`) : null),
      h("td", { class: "mono" }, trade.tx_hash
        ? h("span", { title: trade.tx_hash, class: "tx-hash" }, shortHex(trade.tx_hash, 10, 6))
        : h("span", { class: "muted" }, "—")))))));
}
