// The operator console's privileged actions (docs/API.md, "Privileged actions and the audit
// log"): one form per action that will not send anything without a reason code and a reason,
// and shows the API's refusal verbatim.

import { ApiError } from "./api.js";
import { errorView, h } from "./dom.js";

const ADMIN_KEY_STORAGE = "rwa.adminKey";

/** The admin key lives for this tab only (sessionStorage): it can seize and mint. */
export const adminKey = {
  get: () => sessionStorage.getItem(ADMIN_KEY_STORAGE) ?? "",
  set: (value) => sessionStorage.setItem(ADMIN_KEY_STORAGE, value),
  clear: () => sessionStorage.removeItem(ADMIN_KEY_STORAGE),
};

/** The documented vocabulary, in the order an operator is most likely to need it. */
export const REASON_CODES = [
  ["court_order", "Court order"],
  ["regulator_request", "Regulator request"],
  ["sanctions", "Sanctions"],
  ["lost_keys", "Lost keys"],
  ["error_correction", "Error correction"],
  ["corporate_action", "Corporate action"],
  ["market_integrity", "Market integrity"],
  ["kyc_update", "KYC update"],
  ["key_compromise", "Key compromise"],
  ["scheduled_rotation", "Scheduled rotation"],
];

const enc = encodeURIComponent;

/** A request with the admin key; an error answer becomes an ApiError with the envelope's code. */
export async function adminRequest(method, path, { body, query, form } = {}) {
  const headers = { Accept: "application/json", "X-API-Key": adminKey.get() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const search = new URLSearchParams(Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  let response;
  try {
    response = await fetch(search.size ? `${path}?${search}` : path, {
      method, headers, cache: "no-store", body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
  } catch (error) {
    throw new ApiError(0, "network.unreachable", `the service did not answer (${error.message})`);
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const envelope = parsed?.error;
    throw new ApiError(response.status, envelope?.code ?? `http.${response.status}`,
      envelope?.message ?? (response.statusText || "request failed"), envelope?.details);
  }
  return parsed;
}

// Fields: [name, label, kind]; kinds: wallet, quantity, hash (a document), asset (picked).
const W = (name = "wallet", label = "Wallet") => [name, label, "wallet"];
const Q = ["quantity", "Quantity", "quantity"];
const DOC = ["document_hash", "Supporting document (sha256)", "hash"];
const assetPath = (tail) => ({ asset }) => `/v1/admin/assets/${enc(asset)}/${tail}`;

/** Every action the console offers: its form, its route and what the log will call it. */
export const ACTIONS = {
  "wallet.freeze": { title: "Freeze a wallet", verb: "Freeze wallet", path: assetPath("freeze"), fields: [W()], asset: true,
    help: "The wallet can neither send nor receive this asset; its resting orders are cancelled." },
  "wallet.unfreeze": { title: "Unfreeze a wallet", verb: "Unfreeze wallet", path: assetPath("unfreeze"), fields: [W()], asset: true },
  "tokens.freeze": { title: "Freeze part of a holding", verb: "Freeze tokens", path: assetPath("freeze-partial"),
    fields: [W(), Q], asset: true, help: "The frozen quantity stays in the wallet but cannot move." },
  "tokens.unfreeze": { title: "Unfreeze part of a holding", verb: "Unfreeze tokens", path: assetPath("unfreeze-partial"),
    fields: [W(), Q], asset: true },
  "asset.pause": { title: "Pause the token", verb: "Pause", path: assetPath("pause"), fields: [], asset: true,
    help: "No transfer of this asset settles until it is unpaused." },
  "asset.unpause": { title: "Unpause the token", verb: "Unpause", path: assetPath("unpause"), fields: [], asset: true },
  "asset.forced_transfer": { title: "Forced transfer", verb: "Force transfer", path: assetPath("forced-transfer"),
    fields: [W("from_wallet", "From wallet"), W("to_wallet", "To wallet"), Q, DOC], asset: true,
    help: "Moves tokens without the holder's signature; the receiver must pass the asset's rules." },
  "asset.mint": { title: "Mint", verb: "Mint", path: assetPath("mint"), fields: [W(), Q], asset: true },
  "asset.burn": { title: "Burn", verb: "Burn", path: assetPath("burn"), fields: [W(), Q], asset: true },
  "market.halt": { title: "Halt the market", verb: "Halt", path: ({ asset }) => `/v1/admin/markets/${enc(asset)}/halt`,
    fields: [], asset: true, help: "Matching stops; new orders are refused and cancels still work." },
  "market.resume": { title: "Resume the market", verb: "Resume", path: ({ asset }) => `/v1/admin/markets/${enc(asset)}/resume`,
    fields: [], asset: true },
  "wallet.recover": { title: "Recover a wallet", verb: "Recover", path: () => "/v1/admin/recoveries",
    fields: [W("lost_wallet", "Lost wallet"), W("new_wallet", "New wallet"), DOC],
    help: "Moves every holding (and frozen amount) of the lost wallet to the new one, asset by asset." },
  "investor.revoke": { title: "Revoke an investor", verb: "Revoke", path: ({ investor }) => `/v1/admin/investors/${enc(investor)}/revoke`,
    fields: [], help: "Removes the wallet from the whitelist, revokes its keys and cancels its orders." },
  "investor.reinstate": { title: "Reinstate an investor", verb: "Reinstate",
    path: ({ investor }) => `/v1/admin/investors/${enc(investor)}/reinstate`, fields: [] },
  "api_key.rotate": { title: "Rotate an investor's API key", verb: "Rotate key",
    path: ({ investor }) => `/v1/admin/investors/${enc(investor)}/rotate-key`, fields: [],
    help: "The old keys stop working; the new key is shown once." },
};

const DECIMAL = /^\d+(\.\d+)?$/;
const HASH = /^(0x)?[0-9a-fA-F]{64}$/;

function field(id, label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("span", { class: "hint" }, hint) : null);
}

/**
 * Open the form of `action` in a modal dialog. `context`: {asset, investor, subject (a
 * caption), values (prefilled fields; those given are fixed)}, `assets` (symbols to pick from),
 * `onDone(answer, action)` after the API accepted it.
 */
export function openActionForm(action, context, { assets, onDone }) {
  const spec = ACTIONS[action];
  const id = (name) => `action-${name}`;
  const values = context.values ?? {};
  const controls = {};
  const rows = [];
  if (spec.asset) {
    controls.asset = h("select", { id: id("asset"), name: "asset", disabled: Boolean(context.asset) },
      h("option", { value: "" }, "Choose an asset…"),
      assets.map((symbol) => h("option", { value: symbol, selected: symbol === context.asset }, symbol)));
    rows.push(field(id("asset"), "Asset", controls.asset));
  }
  for (const [name, label, kind] of spec.fields) {
    const fixed = values[name] !== undefined;
    controls[name] = h("input", { id: id(name), name, value: values[name] ?? "", readonly: fixed, spellcheck: "false",
      autocomplete: "off", inputmode: kind === "quantity" ? "decimal" : null, class: kind === "quantity" ? null : "mono",
      placeholder: { wallet: "0x…", quantity: "0", hash: "64 hex characters" }[kind] });
    rows.push(field(id(name), label, controls[name]));
    if (kind === "hash") rows.push(evidenceUpload(controls[name]));
  }
  controls.reason_code = h("select", { id: id("reason-code"), name: "reason_code" },
    h("option", { value: "" }, "Choose a reason code…"), REASON_CODES.map(([code, label]) => h("option", { value: code }, `${label} (${code})`)));
  controls.reason = h("textarea", { id: id("reason"), name: "reason", rows: 3, maxlength: 1000,
    placeholder: "Why, for the public audit log (e.g. the case number)" });
  const problem = h("div", { class: "form-problem", role: "alert", "aria-live": "assertive" });
  const submit = h("button", { type: "submit", class: "button-secondary" }, spec.verb);
  const form = h("form", { class: "action-form", novalidate: true, autocomplete: "off" },
    h("h2", { id: id("title"), class: "dialog-title" }, spec.title, context.subject ? h("span", { class: "muted" }, ` · ${context.subject}`) : null),
    spec.help ? h("p", { class: "hint" }, spec.help) : null,
    rows,
    field(id("reason-code"), "Reason code", controls.reason_code),
    field(id("reason"), "Reason", controls.reason, "Published in the audit log with this action."),
    problem,
    h("div", { class: "dialog-buttons" },
      h("button", { type: "button", class: "button-ghost", onClick: () => dialog.close() }, "Cancel"), submit));
  const dialog = h("dialog", { class: "action-dialog", "aria-labelledby": id("title") }, form);
  dialog.addEventListener("close", () => dialog.remove());

  const refuse = (control, message) => {
    control?.setAttribute("aria-invalid", "true");
    control?.focus();
    problem.replaceChildren(h("p", { class: "notice notice-error" }, message));
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const control of Object.values(controls)) control.removeAttribute("aria-invalid");
    const asset = spec.asset ? controls.asset.value : undefined;
    if (spec.asset && !asset) return refuse(controls.asset, "Choose the asset.");
    const body = {};
    for (const [name, label, kind] of spec.fields) {
      const value = controls[name].value.trim();
      if (!value) return refuse(controls[name], `${label} is required.`);
      if (kind === "quantity" && !DECIMAL.test(value)) return refuse(controls[name], `${label} must be a decimal number, e.g. 25 or 2.5.`);
      if (kind === "hash" && !HASH.test(value)) return refuse(controls[name], `${label} must be a sha256 (64 hex characters); upload the file to get it.`);
      body[name] = value;
    }
    body.reason_code = controls.reason_code.value;
    body.reason = controls.reason.value.trim();
    if (!body.reason_code) return refuse(controls.reason_code, "Choose a reason code: every privileged action is logged with one.");
    if (!body.reason) return refuse(controls.reason, "Write the reason: it is published in the audit log.");
    problem.replaceChildren();
    submit.disabled = true;
    submit.textContent = "Sending…";
    try {
      const answer = await adminRequest("POST", spec.path({ asset, investor: context.investor }), { body });
      dialog.close();
      onDone(answer, action, { asset, ...body });
    } catch (error) {
      problem.replaceChildren(h("p", { class: "notice notice-error" }, errorView(error)));
      submit.disabled = false;
      submit.textContent = spec.verb;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  (spec.asset && !context.asset ? controls.asset : Object.values(controls).find((c) => !c.readOnly && !c.disabled))?.focus();
  return dialog;
}

/** A file picker that stores a supporting document (not published) and fills in its hash. */
function evidenceUpload(hashInput) {
  const status = h("span", { class: "hint", role: "status" });
  const input = h("input", { type: "file", id: `${hashInput.id}-file`, "aria-label": "Upload the supporting document",
    onChange: async () => {
      const file = input.files?.[0];
      if (!file) return;
      const form = new FormData();
      form.append("file", file);
      status.textContent = "Uploading…";
      try {
        const stored = await adminRequest("POST", "/v1/admin/evidence", { form });
        hashInput.value = stored.sha256;
        status.textContent = `Stored (not published): ${stored.size} bytes.`;
      } catch (error) {
        status.replaceChildren(errorView(error));
      }
    } });
  return h("div", { class: "field evidence" }, input, status);
}
