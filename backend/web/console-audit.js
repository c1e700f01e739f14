// The audit log in the operator console: newest first, each entry's hash recomputed here
// (the canonical JSON of docs/API.md) so an edited, unlinked or missing entry shows at once.

import { dateTimeOf, errorView, h, shortHex, timeOf } from "./dom.js";

// The fields an entry's hash covers (docs/API.md): canonical JSON, sorted keys, no spaces.
const HASHED = ["seq", "at", "actor", "action", "asset", "wallet", "reason_code", "reason", "document_hash", "tx_hash", "prev_hash"].sort();

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Recompute each entry's hash and check each links to the one before it (oldest first);
 * `contiguous`: the entries are an unfiltered stretch of the log, so no seq may be missing. */
export async function checkChain(entries, { contiguous }) {
  if (!globalThis.crypto?.subtle) return { unavailable: true, checked: 0, bad: [] };
  const bad = [];
  let previous = null;
  for (const e of entries) {
    const canonical = JSON.stringify(Object.fromEntries(HASHED.map((name) => [name, e[name] ?? null])));
    if ((await sha256Hex(canonical)) !== e.hash) bad.push({ seq: e.seq, why: "does not match its hash" });
    else if (previous && contiguous && e.seq !== previous.seq + 1) bad.push({ seq: e.seq, why: `entries missing before it (after #${previous.seq})` });
    else if (previous && previous.seq === e.seq - 1 && e.prev_hash !== previous.hash) bad.push({ seq: e.seq, why: "does not follow the entry before it" });
    previous = e;
  }
  return { checked: entries.length, bad };
}

/** "admin-key:3@0xAbc…" -> "admin-key:3 @ 0xAbc1…9f2e" */
function actorLabel(actor) {
  const [who, address] = String(actor ?? "").split("@");
  return address ? `${who} @ ${shortHex(address, 6, 4)}` : who;
}

export function renderAudit(box, { entries, head, check, error }) {
  if (error) return box.replaceChildren(h("p", { class: "notice notice-error", role: "alert" }, errorView(error)));
  if (!entries) return box.replaceChildren(h("p", { class: "empty" }, "Loading…"));
  const caption = h("p", { class: "hint" }, head?.seq ? `Head #${head.seq} · ${shortHex(head.hash, 10, 8)} · newest first` : "The log is empty.",
    check?.unavailable ? h("span", { class: "chain-check" }, " · hashes not checked here (the browser's crypto needs HTTPS)") : null,
    check && !check.unavailable && !check.bad.length
      ? h("span", { class: "chain-check ok" }, ` · ${check.checked} hashes recomputed in this browser: all match`) : null,
    check?.bad.length
      ? h("strong", { class: "chain-check bad", role: "alert" }, ` · broken chain: ${check.bad.map((b) => `#${b.seq} ${b.why}`).join("; ")}`) : null);
  const broken = new Set((check?.bad ?? []).map((b) => b.seq));
  if (!entries.length) return box.replaceChildren(caption, h("p", { class: "empty" }, "No entries match."));
  box.replaceChildren(caption, h("table", { class: "console-table audit-table" },
    h("caption", { class: "visually-hidden" }, "Audit log entries"),
    h("thead", {}, h("tr", {}, ["#", "Action · tx", "Subject", "Reason · actor"].map((n) => h("th", { scope: "col" }, n)))),
    h("tbody", {}, entries.map((e) => h("tr", { dataset: { seq: e.seq }, class: broken.has(e.seq) ? "broken" : null },
      h("td", { class: "muted", title: `hash ${e.hash}\nprev ${e.prev_hash}` }, e.seq,
        h("span", { class: "stacked small", title: dateTimeOf(e.at) }, timeOf(e.at))),
      h("td", {}, h("code", {}, e.action),
        h("span", { class: "stacked mono muted small", title: e.tx_hash ?? null }, e.tx_hash ? `tx ${shortHex(e.tx_hash, 8, 4)}` : "no transaction")),
      h("td", {}, e.asset ?? "",
        e.wallet ? h("span", { class: "stacked mono small", title: e.wallet }, shortHex(e.wallet, 8, 4)) : ""),
      h("td", { class: "reason" }, h("code", { class: "reason-code" }, e.reason_code), " ", e.reason,
        e.document_hash ? h("span", { class: "stacked muted mono small", title: e.document_hash }, `document ${shortHex(e.document_hash, 10, 6)}`) : "",
        h("span", { class: "stacked muted small", title: e.actor }, actorLabel(e.actor))))))));
}
