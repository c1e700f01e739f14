// An asset's disclosures with a "verified on chain" badge per current document:
// GET /v1/documents/{id}/verify recomputes the stored bytes' SHA-256 and compares it
// with the hash the asset token anchors (ERC-1643).

import { ApiError, api } from "./api.js";
import { errorView, h, shortHex } from "./dom.js";

const verdicts = new Map(); // document id -> verify response, or {error}

export const DOC_TYPE_LABELS = {
  offering_memorandum: "Offering memorandum",
  financial_statements: "Financial statements",
  reserve_report: "Reserve report",
  production_report: "Production report",
  land_title: "Land title",
  harvest_report: "Harvest report",
  risk_factors: "Risk factors",
  other: "Other",
};

const typeLabel = (type) => DOC_TYPE_LABELS[type] ?? String(type ?? "").replaceAll("_", " ");

/** The asset's documents; [] when the service has no documents endpoint (404). */
export async function loadDocuments(symbol) {
  try {
    return { documents: (await api.documents(symbol)) ?? [], error: null };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.code !== "asset.not_found") {
      return { documents: [], error: null };
    }
    return { documents: [], error };
  }
}

/** Verify current documents not yet known to match; calls `onChange` as answers arrive. */
export function verifyDocuments(documents, onChange) {
  const todo = documents.filter((d) => d.status !== "superseded" && !verdicts.get(d.id)?.matches);
  return Promise.all(todo.map(async (doc) => {
    try {
      verdicts.set(doc.id, await api.verifyDocument(doc.id));
    } catch (error) {
      verdicts.set(doc.id, { matches: false, error });
    }
    onChange();
  }));
}

function badge(doc) {
  if (doc.status === "superseded") {
    return h("span", { class: "badge badge-muted" }, "Superseded");
  }
  const verdict = verdicts.get(doc.id);
  if (!verdict) return h("span", { class: "badge badge-muted" }, "Checking chain…");
  if (verdict.matches) {
    return h("span", { class: "badge badge-ok", title: verdict.reason ?? "the SHA-256 of the file equals the hash anchored on chain" },
      h("span", { "aria-hidden": "true" }, "✓ "), "Verified on chain");
  }
  const why = verdict.error ? String(verdict.error) : (verdict.reason ?? "the file does not match the on-chain hash");
  return h("span", { class: "badge badge-bad", title: why },
    h("span", { "aria-hidden": "true" }, "✗ "), doc.status === "pending" ? "Not yet anchored" : "Not verified");
}

function item(doc) {
  const date = doc.effective_date ?? doc.created_at?.slice(0, 10) ?? "";
  const verdict = verdicts.get(doc.id);
  return h("li", { class: "doc" },
    h("div", { class: "doc-main" },
      h("a", { class: "doc-title", href: api.documentContentUrl(doc.id), target: "_blank", rel: "noopener" }, doc.title),
      h("div", { class: "doc-meta" },
        h("span", { class: "doc-type" }, typeLabel(doc.doc_type)),
        h("span", {}, `v${doc.version}`),
        date ? h("time", { datetime: date }, date) : null,
        doc.effective_until ? h("span", {}, `valid until ${doc.effective_until}`) : null,
        doc.stale ? h("span", { class: "badge badge-warn" }, "stale") : null),
      h("div", { class: "doc-hash muted", title: doc.sha256 }, `sha256 ${shortHex(doc.sha256, 10, 8)}`),
      verdict && !verdict.matches && verdict.reason ? h("div", { class: "doc-reason" }, verdict.reason) : null),
    h("div", { class: "doc-side" },
      badge(doc),
      h("a", { class: "button-link", href: api.documentContentUrl(doc.id), download: doc.filename ?? "",
        "aria-label": `Download ${doc.title} v${doc.version}` }, "Download")));
}

export function renderDocuments(container, { documents, error, asset }) {
  if (!asset) {
    container.replaceChildren();
    return;
  }
  const missing = asset.missing_disclosures ?? [];
  const warning = missing.length
    ? h("p", { class: "notice notice-warn", role: "note" },
      `Required disclosures missing or stale: ${missing.map(typeLabel).join(", ")}. The market does not trade until they are filed.`)
    : null;
  if (error) {
    container.replaceChildren(...[warning, h("p", { class: "notice notice-error", role: "alert" }, errorView(error))].filter(Boolean));
    return;
  }
  const olderOpen = container.querySelector("details.older-docs")?.open ?? false;
  const current = documents.filter((d) => d.status !== "superseded");
  const older = documents.filter((d) => d.status === "superseded");
  container.replaceChildren(...[
    warning,
    current.length ? h("ul", { class: "docs", "aria-label": "Current documents" }, current.map(item))
      : h("p", { class: "empty" }, "No documents filed for this asset."),
    older.length ? h("details", { class: "older-docs", open: olderOpen }, h("summary", {}, `Older versions (${older.length})`),
      h("ul", { class: "docs" }, older.map(item))) : null,
  ].filter(Boolean));
}
