// The operator console (admin key): investors with their status, assets with their pause and
// freeze state, market halts, and the public audit log. Every action goes through a form
// that asks for the reason (console-actions.js); nothing here changes anything by itself.

import { ACTIONS, adminKey, adminRequest, openActionForm } from "./console-actions.js";
import { checkChain, renderAudit } from "./console-audit.js";
import { grouped } from "./dec.js";
import { errorView, h, shortHex } from "./dom.js";
import { every } from "./feed.js";
import { statusBadge } from "./markets.js";

const AUDIT_SHOWN = 100;
const AUDIT_PAGE = 1000;

const state = {
  open: false,
  authorized: false,
  investors: null,
  assets: null,
  selected: null,
  holders: null,
  audit: null,
  auditHead: null,
  auditCheck: null,
  filters: { asset: "", wallet: "", action: "" },
  errors: {},
};

const enc = encodeURIComponent;
const symbols = () => (state.assets ?? []).map((a) => a.symbol);

export function mountConsole({ toggle, container, trading }) {
  const parts = build(container);
  const shown = new Map();
  const when = (view, deps, render) => {
    const snapshot = JSON.stringify(deps, (_, v) => (v instanceof Error ? String(v) : v));
    if (shown.get(view) !== snapshot) {
      shown.set(view, snapshot);
      render();
    }
  };
  const act = (action, context) => openActionForm(action, context, { assets: symbols(), onDone: done });

  function render() {
    toggle.setAttribute("aria-pressed", String(state.open));
    toggle.textContent = state.open ? "Back to the markets" : "Operator console";
    container.hidden = !state.open;
    trading.hidden = state.open;
    parts.keyState.textContent = `Admin key …${adminKey.get().slice(-4)}${state.authorized ? "" : " (checking…)"}`;
    parts.body.hidden = !state.authorized;
    parts.keyForm.hidden = state.authorized;
    parts.session.hidden = !adminKey.get();
    when("investors", [state.investors, state.errors.investors], () => renderInvestors(parts.investors, act));
    when("assets", [state.assets, state.selected, state.errors.assets], () => renderAssets(parts.assets, act, select));
    when("holders", [state.holders, state.selected, state.errors.holders], () => renderHolders(parts.holders, act));
    when("audit", [state.audit, state.auditHead, state.auditCheck, state.errors.audit], () => renderAudit(parts.audit,
      { entries: state.audit, head: state.auditHead, check: state.auditCheck, error: state.errors.audit }));
  }

  async function refresh() {
    if (!state.open || !adminKey.get()) return render();
    const settle = (p) => p.then((v) => [v, null], (e) => [null, e]);
    const [[investors, e1], [assets, e2]] = await Promise.all([
      settle(adminRequest("GET", "/v1/admin/investors")), settle(adminRequest("GET", "/v1/admin/assets"))]);
    if ([e1, e2].some((e) => e && [401, 403].includes(e.status))) {
      adminKey.clear(); // not an admin key: ask again rather than retry it every few seconds
      Object.assign(state, { authorized: false });
      parts.keyError.replaceChildren(h("p", { class: "notice notice-error" }, errorView(e1 ?? e2)));
      return render();
    }
    Object.assign(state, { authorized: true, investors: investors?.investors ?? state.investors, assets: assets ?? state.assets });
    state.errors = { investors: e1, assets: e2 };
    if (!state.selected || !symbols().includes(state.selected)) state.selected = symbols()[0] ?? null;
    await Promise.all([loadHolders(), loadAudit()]);
    render();
  }

  async function loadHolders() {
    const symbol = state.selected;
    if (!symbol) return;
    try {
      const holders = await adminRequest("GET", `/v1/admin/assets/${enc(symbol)}/holders`);
      if (symbol === state.selected) Object.assign(state, { holders });
      state.errors.holders = null;
    } catch (error) {
      state.errors.holders = error;
    }
  }

  async function loadAudit() {
    try {
      const { asset, wallet, action } = state.filters;
      const head = await adminRequest("GET", "/v1/audit/head");
      // Unfiltered, only the last entries are needed; filtered, read the log in pages.
      let after = asset || wallet || action ? 0 : Math.max(0, (head?.seq ?? 0) - AUDIT_SHOWN);
      let entries = [];
      for (let page = 0; page < 20; page += 1) {
        const answer = await adminRequest("GET", "/v1/audit", { query: { asset, wallet, action, after_seq: after, limit: AUDIT_PAGE } });
        entries = entries.concat(answer.entries).slice(-AUDIT_SHOWN);
        if (answer.entries.length < AUDIT_PAGE || answer.next_after_seq == null) break;
        after = answer.next_after_seq;
      }
      const auditCheck = await checkChain(entries, { contiguous: !(asset || wallet || action) });
      Object.assign(state, { audit: entries.reverse(), auditHead: head, auditCheck });
      state.errors.audit = null;
    } catch (error) {
      state.errors.audit = error;
    }
  }

  function select(symbol) {
    Object.assign(state, { selected: symbol, holders: null });
    render();
    loop.now();
  }

  function done(answer, action, sent) {
    const entries = answer?.entries ?? [];
    const last = entries.at(-1);
    parts.notice.replaceChildren(h("p", { class: "notice notice-ok", role: "status" },
      h("strong", {}, `${ACTIONS[action].title}: done.`),
      entries.length ? ` Logged as ${entries.map((e) => `#${e.seq} ${e.action}`).join(", ")}` : "",
      last?.tx_hash ? h("span", { class: "mono", title: last.tx_hash }, ` · tx ${shortHex(last.tx_hash, 10, 6)}`) : "",
      sent.asset ? ` · ${sent.asset}` : "",
      answer?.api_key ? h("span", {}, " · new API key (shown once): ", h("code", { class: "new-key" }, answer.api_key)) : ""));
    loop.now();
  }

  parts.keyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = parts.keyInput.value.trim();
    if (!key) return;
    adminKey.set(key);
    parts.keyInput.value = "";
    parts.keyError.replaceChildren();
    loop.now();
  });
  parts.forget.addEventListener("click", () => {
    adminKey.clear();
    Object.assign(state, { authorized: false, investors: null, assets: null, holders: null, audit: null });
    parts.notice.replaceChildren();
    render();
  });
  parts.filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(parts.filters);
    state.filters = { asset: data.get("asset").trim().toUpperCase(), wallet: data.get("wallet").trim(), action: data.get("action") };
    loop.now();
  });
  parts.recover.addEventListener("click", () => act("wallet.recover", {}));
  toggle.addEventListener("click", () => {
    state.open = !state.open;
    sessionStorage.setItem("rwa.console", state.open ? "open" : "");
    render();
    loop.now();
    if (state.open) (adminKey.get() ? parts.heading : parts.keyInput).focus();
  });
  state.open = sessionStorage.getItem("rwa.console") === "open";
  const loop = every(5000, refresh);
}

// ---- the static frame ------------------------------------------------------------------

function build(container) {
  const keyInput = h("input", { id: "admin-key", type: "password", spellcheck: "false", placeholder: "paste the admin key" });
  const forget = h("button", { type: "button", class: "button-ghost" }, "Forget");
  const keyError = h("div", { role: "alert" });
  const keyState = h("p", { class: "hint", role: "status" });
  const keyForm = h("form", { class: "key-form", autocomplete: "off" },
    h("label", { for: "admin-key" }, "Admin API key"),
    h("div", { class: "key-row" }, keyInput, h("button", { type: "submit", class: "button-secondary" }, "Open console")),
    h("p", { class: "hint" }, "Only for this tab (sessionStorage). Every action asks for a reason and is published in the audit log."),
    keyError);
  const session = h("div", { class: "console-session" }, keyState, forget);
  const panel = (id, title, ...children) => h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), ...children);
  const investors = h("div", { class: "scroll-box tall" });
  const assets = h("div");
  const holders = h("div");
  const audit = h("div", { class: "scroll-box tall" });
  const recover = h("button", { type: "button", class: "button-ghost" }, "Recover a wallet…");
  const filters = h("form", { class: "audit-filters", autocomplete: "off", "aria-label": "Audit log filters" },
    h("input", { name: "asset", "aria-label": "Filter by asset", placeholder: "Asset" }),
    h("input", { name: "wallet", "aria-label": "Filter by wallet", placeholder: "Wallet 0x…", class: "mono" }),
    h("select", { name: "action", "aria-label": "Filter by action" },
      h("option", { value: "" }, "Every action"), [...Object.keys(ACTIONS), "asset.rules"].sort().map((a) => h("option", { value: a }, a))),
    h("button", { type: "submit", class: "button-ghost" }, "Filter"));
  const heading = h("h1", { tabindex: "-1" }, "Operator console");
  const notice = h("div", { class: "console-notice", "aria-live": "polite" });
  const body = h("div", { class: "console-grid" },
    h("div", { class: "console-col" },
      panel("console-assets-title", "Assets and markets", assets),
      panel("console-holders-title", "Holders and freezes", holders),
      panel("console-investors-title", "Investors", h("div", { class: "panel-tools" }, recover), investors)),
    h("div", { class: "console-col" }, panel("console-audit-title", "Audit log", filters, audit)));
  container.replaceChildren(
    h("div", { class: "panel console-head" }, h("div", {}, heading,
      h("p", { class: "muted" }, "Privileged actions, each with a reason, each in the public hash-chained audit log.")),
    h("div", { class: "console-key" }, keyForm, session)),
    notice, body);
  return { keyForm, session, keyInput, keyError, keyState, forget, investors, assets, holders, audit, filters, recover, heading, notice, body };
}

// ---- views -----------------------------------------------------------------------------

function problem(error) {
  return h("p", { class: "notice notice-error", role: "alert" }, errorView(error));
}

function button(label, onClick, cls = "button-small") {
  return h("button", { type: "button", class: cls, onClick }, label);
}

function renderInvestors(box, act) {
  if (state.errors.investors) return box.replaceChildren(problem(state.errors.investors));
  if (!state.investors) return box.replaceChildren(h("p", { class: "empty" }, "Loading…"));
  if (!state.investors.length) return box.replaceChildren(h("p", { class: "empty" }, "No investors yet."));
  box.replaceChildren(h("table", { class: "console-table" },
    h("caption", { class: "visually-hidden" }, "Investors"),
    h("thead", {}, h("tr", {}, ["#", "Name", "Wallet", "Country", "Status", "Actions"].map((n) => h("th", { scope: "col" }, n)))),
    h("tbody", {}, state.investors.map((inv) => {
      const subject = `${inv.name} (#${inv.id})`;
      const context = { investor: inv.id, subject };
      return h("tr", { dataset: { investorId: inv.id } },
        h("td", { class: "muted" }, inv.id),
        h("th", { scope: "row" }, inv.name),
        h("td", { class: "mono", title: inv.wallet }, shortHex(inv.wallet, 8, 6)),
        h("td", {}, inv.country, inv.accredited ? h("span", { class: "muted small" }, " · accredited") : ""),
        h("td", {}, h("span", { class: `pill pill-${inv.status}`, title: inv.status_reason ?? null }, inv.status),
          inv.frozen ? h("span", { class: "pill pill-frozen" }, "frozen") : ""),
        h("td", { class: "actions" },
          inv.status === "revoked"
            ? button("Reinstate…", () => act("investor.reinstate", context))
            : button("Revoke…", () => act("investor.revoke", context)),
          button("Freeze…", () => act("wallet.freeze", { subject, values: { wallet: inv.wallet } })),
          button("Recover…", () => act("wallet.recover", { subject, values: { lost_wallet: inv.wallet } })),
          button("Rotate key…", () => act("api_key.rotate", context))));
    }))));
}

function renderAssets(box, act, select) {
  if (state.errors.assets) return box.replaceChildren(problem(state.errors.assets));
  if (!state.assets) return box.replaceChildren(h("p", { class: "empty" }, "Loading…"));
  if (!state.assets.length) return box.replaceChildren(h("p", { class: "empty" }, "No assets listed yet."));
  box.replaceChildren(h("div", { class: "table-scroll" }, h("table", { class: "console-table" },
    h("caption", { class: "visually-hidden" }, "Assets and markets"),
    h("thead", {}, h("tr", {}, ["Asset", "Market", "Token", "Actions"].map((n) => h("th", { scope: "col" }, n)))),
    h("tbody", {}, state.assets.map((asset) => {
      const context = { asset: asset.symbol, subject: asset.symbol };
      const halted = asset.market_status !== "open";
      return h("tr", { class: asset.symbol === state.selected ? "selected" : null },
        h("th", { scope: "row" }, h("button", { type: "button", class: "asset-pick", "aria-current": asset.symbol === state.selected ? "true" : null,
          title: `Show the holders of ${asset.symbol}`, onClick: () => select(asset.symbol) }, asset.symbol),
        h("span", { class: "market-name" }, asset.name)),
        h("td", {}, statusBadge(asset.market_status)),
        h("td", {}, h("span", { class: `status ${asset.paused ? "status-halted" : "status-open"}` }, asset.paused ? "Paused" : "Active")),
        h("td", { class: "actions" },
          halted && asset.market_status.includes("operator")
            ? button("Resume…", () => act("market.resume", context))
            : button("Halt…", () => act("market.halt", context)),
          asset.paused ? button("Unpause…", () => act("asset.unpause", context)) : button("Pause…", () => act("asset.pause", context)),
          button("Mint…", () => act("asset.mint", context)),
          button("Burn…", () => act("asset.burn", context)),
          button("Forced transfer…", () => act("asset.forced_transfer", context))));
    })))));
}

function renderHolders(box, act) {
  const symbol = state.selected;
  if (!symbol) return box.replaceChildren(h("p", { class: "empty" }, "Choose an asset."));
  const tools = h("div", { class: "panel-tools" }, h("strong", {}, symbol),
    button("Freeze tokens by address…", () => act("tokens.freeze", { asset: symbol, subject: symbol }), "button-ghost"),
    button("Freeze a wallet by address…", () => act("wallet.freeze", { asset: symbol, subject: symbol }), "button-ghost"));
  if (state.errors.holders) return box.replaceChildren(tools, problem(state.errors.holders));
  const holders = state.holders?.symbol === symbol ? state.holders.wallets : null;
  if (!holders) return box.replaceChildren(tools, h("p", { class: "empty" }, "Loading…"));
  if (!holders.length) return box.replaceChildren(tools, h("p", { class: "empty" }, `Nobody holds ${symbol} yet.`));
  box.replaceChildren(tools, h("div", { class: "table-scroll" }, h("table", { class: "console-table" },
    h("caption", { class: "visually-hidden" }, `Holders of ${symbol}`),
    h("thead", {}, h("tr", {}, ["Holder", "Wallet", "Balance", "Frozen", "Actions"].map((n, i) => h("th", { scope: "col", class: i === 2 || i === 3 ? "num" : null }, n)))),
    h("tbody", {}, holders.map((w) => {
      const subject = `${w.name ?? shortHex(w.wallet)} · ${symbol}`;
      const context = (extra = {}) => ({ asset: symbol, subject, values: { wallet: w.wallet, ...extra } });
      return h("tr", { dataset: { wallet: w.wallet } },
        h("th", { scope: "row" }, w.name ?? h("span", { class: "muted" }, "not an investor")),
        h("td", { class: "mono", title: w.wallet }, shortHex(w.wallet, 8, 6)),
        h("td", { class: "num" }, grouped(w.balance)),
        h("td", { class: "num" }, w.frozen ? h("span", { class: "pill pill-frozen" }, "wallet frozen") : grouped(w.frozen_quantity)),
        h("td", { class: "actions" },
          button("Freeze tokens…", () => act("tokens.freeze", context())),
          w.frozen_quantity !== "0" ? button("Unfreeze tokens…", () => act("tokens.unfreeze", context())) : "",
          w.frozen ? button("Unfreeze wallet…", () => act("wallet.unfreeze", context())) : button("Freeze wallet…", () => act("wallet.freeze", context()))));
    })))));
}
