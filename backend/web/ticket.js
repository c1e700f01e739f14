// The trade ticket: side, type, price, quantity, time in force, post-only.
// API errors are shown verbatim from the envelope: "<code>: <message>".

import { ApiError, api, apiKey } from "./api.js";
import { fixed, grouped, isDecimal, mul } from "./dec.js";
import { $, errorView, h } from "./dom.js";
import { hasBrowserWallet, signOrder } from "./wallet.js";

function clientOrderId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `ui-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export class Ticket {
  /**
   * @param {HTMLFormElement} form
   * @param {{asset: () => object|null, wallet: () => string|null, onPlaced: (order: object) => void}} hooks
   */
  constructor(form, hooks) {
    this.form = form;
    this.hooks = hooks;
    this.result = $("#ticket-result", form);
    this.submit = $("#ticket-submit", form);
    this.total = $("#ticket-total", form);
    this.hint = $("#ticket-hint", form);
    this.walletRow = $("#ticket-wallet-row", form);
    this.walletRow.hidden = !hasBrowserWallet();
    form.addEventListener("input", () => this.sync());
    form.addEventListener("change", () => this.sync());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.place();
    });
    this.sync();
  }

  get values() {
    const data = new FormData(this.form);
    return {
      side: data.get("side") ?? "buy",
      type: data.get("type") ?? "limit",
      price: String(data.get("price") ?? "").trim(),
      quantity: String(data.get("quantity") ?? "").trim(),
      time_in_force: data.get("time_in_force") ?? "GTC",
      post_only: data.get("post_only") === "on",
      sign: data.get("sign_with_wallet") === "on",
    };
  }

  setPrice(price) {
    this.form.elements.price.value = price;
    if (this.form.elements.type.value !== "limit") this.form.elements.type.value = "limit";
    this.sync();
    this.form.elements.quantity.focus();
  }

  /** Keep labels, hints and disabled fields in step with the form and the selected market. */
  sync() {
    const asset = this.hooks.asset();
    const v = this.values;
    const market = v.type === "market";
    const { price, post_only: postOnly } = this.form.elements;
    price.disabled = market;
    price.required = !market;
    postOnly.disabled = market;
    if (market) postOnly.checked = false;
    const symbol = asset?.symbol ?? "";
    this.submit.textContent = `${v.side === "sell" ? "Sell" : "Buy"} ${symbol}`.trim();
    this.submit.className = `button-primary ${v.side === "sell" ? "sell" : "buy"}`;
    $("#ticket-symbol").textContent = symbol || "no market selected";
    $("#ticket-price-hint", this.form).textContent = asset ? `tick ${asset.tick_size}` : "";
    $("#ticket-quantity-hint", this.form).textContent = asset ? `lot ${asset.lot_size}` : "";
    const hasKey = Boolean(apiKey.get());
    this.submit.disabled = this.busy || !asset || !hasKey;
    this.hint.textContent = !hasKey ? "Paste an investor API key (Account, below) to trade."
      : !asset ? "Select a market first." : "";
    if (!market && isDecimal(v.price) && isDecimal(v.quantity) && v.price && v.quantity) {
      this.total.textContent = `${grouped(fixed(mul(v.price, v.quantity), 2))} cash`;
    } else {
      this.total.textContent = market ? "at market (signs the collar price as its limit)" : "—";
    }
  }

  show(kind, ...content) {
    this.result.replaceChildren(h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, ...content));
  }

  async place() {
    const asset = this.hooks.asset();
    if (!asset || this.busy) return;
    const v = this.values;
    const order = {
      symbol: asset.symbol, side: v.side, type: v.type, quantity: v.quantity,
      time_in_force: v.time_in_force, post_only: v.post_only, client_order_id: clientOrderId(),
    };
    if (v.type === "limit") order.price = v.price;
    this.busy = true;
    this.sync();
    this.result.replaceChildren(h("p", { class: "muted" }, "Placing order…"));
    try {
      const body = v.sign && hasBrowserWallet() ? await signOrder(order, this.hooks.wallet()) : order;
      const placed = await api.placeOrder(body);
      // A market order signs a real limit: the collar price typed-data showed (body.price).
      const price = placed.price !== null ? placed.price : body.price ? `market (signed limit ${body.price})` : "market";
      const fills = placed.fills?.length ? `, ${placed.fills.length} fill${placed.fills.length > 1 ? "s" : ""}` : "";
      this.show("ok", h("strong", {}, placed.status.replace("_", " ")),
        `: ${placed.side} ${placed.quantity} ${placed.symbol} @ ${price} (filled ${placed.filled_quantity}${fills})`);
      this.hooks.onPlaced(placed);
    } catch (error) {
      const shown = error instanceof ApiError || typeof error?.code === "string" ? error
        : { code: error?.code === 4001 ? "wallet.rejected" : "wallet.error", message: error?.message ?? String(error) };
      this.show("error", errorView(shown));
    } finally {
      this.busy = false;
      this.sync();
    }
  }
}
