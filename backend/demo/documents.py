"""Generated disclosure documents for the demo and the tests: small, valid one-page PDFs.

Why generate instead of shipping files: each run gets documents dated for today (so the
freshness policies pass), and the bytes differ per asset, as real filings would.
"""

from __future__ import annotations

import textwrap
from datetime import date

PAGE_LINES = 58
TITLES = {
    "offering_memorandum": "Offering Memorandum",
    "financial_statements": "Audited Financial Statements",
    "reserve_report": "Independent Reserve Report",
    "production_report": "Monthly Production Report",
    "land_title": "Certificate of Land Title",
    "harvest_report": "Harvest Report",
    "risk_factors": "Risk Factors",
    "other": "Supplementary Disclosure",
}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(title: str, paragraphs: list[str]) -> bytes:
    """A one-page PDF 1.4 with a bold title and wrapped Helvetica text (Latin-1 only)."""
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(textwrap.wrap(paragraph, 92) or [""])
        lines.append("")
    lines = lines[:PAGE_LINES]
    body = ["BT", "/F2 15 Tf", "56 790 Td", f"({_escape(title)}) Tj", "/F1 9.5 Tf", "0 -26 Td", "12.5 TL"]
    body += [f"({_escape(line)}) '" for line in lines] + ["ET"]
    stream = "\n".join(body).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def sample_document(doc_type: str, symbol: str, today: date, *, name: str | None = None) -> tuple[str, bytes]:
    """(title, PDF bytes) of a plausible filing of `doc_type` for `symbol`, dated `today`."""
    if symbol == "ACME" and doc_type == "offering_memorandum":
        return acme_offering_memorandum(today)
    if symbol == "ACME" and doc_type == "financial_statements":
        return acme_financial_statements(today)
    label = TITLES.get(doc_type, "Disclosure")
    title = f"{name or symbol} - {label}"
    return title, pdf(
        title,
        [
            f"Issuer disclosure of type {doc_type} for the tokenized asset {symbol}, dated {today.isoformat()}.",
            "This document was generated for a test or demonstration venue. It is filed with the exchange, "
            "stored by its SHA-256 digest and anchored on the asset token (ERC-1643); anyone can download it "
            "and check that its hash equals the one recorded on chain.",
        ],
    )


def acme_offering_memorandum(today: date) -> tuple[str, bytes]:
    title = "ACME Corp. - Offering Memorandum, Common Shares (tokenized)"
    return title, pdf(
        title,
        [
            f'Dated {today.isoformat()}. Issuer: ACME Corp., a Delaware corporation (the "Company"). '
            "Securities offered: up to 1,000,000 common shares, each represented by one ACME token on an "
            "EVM chain. Tokens are transferable only between wallets whitelisted by the venue after KYC.",
            "Use of proceeds: expansion of the Company's anvil and rocket-skate production line (62%), "
            "working capital (28%) and offering expenses (10%).",
            "Eligibility: accredited investors resident in permitted jurisdictions. Transfers to wallets "
            "that are not verified, or that would exceed per-investor caps, revert on chain.",
            "Trading: the shares trade 24/7 on the venue's order book; each trade settles delivery versus "
            "payment in a single on-chain transaction. The venue halts the market when required "
            "disclosures are missing or out of date.",
            "Risk factors: an investment in the shares is speculative. The Company has a limited operating "
            "history in desert logistics, depends on a single key customer (W. E. Coyote), and faces "
            "product-liability claims. Token holders may lose their entire investment.",
            "Dividends: at the board's discretion, paid in the venue's settlement stablecoin pro rata to "
            "holdings through the RevenueDistributor contract.",
        ],
    )


def acme_financial_statements(today: date) -> tuple[str, bytes]:
    year = today.year - 1
    title = f"ACME Corp. - Audited Financial Statements, fiscal year {year}"
    return title, pdf(
        title,
        [
            f"Balance sheet as of December 31, {year} (USD thousands): cash 4,812; receivables 2,130; "
            "inventory (anvils, rockets, skates) 6,945; property and equipment 11,270; total assets 25,157. "
            "Payables 3,402; long-term debt 7,500; shareholders' equity 14,255.",
            f"Income statement, fiscal {year}: revenue 18,940; cost of sales 11,366; gross profit 7,574; "
            "operating expenses 4,980; operating income 2,594; interest 412; income tax 546; net income 1,636. "
            "Earnings per share 1.64 (1,000,000 shares).",
            f"Cash flows, fiscal {year}: operating 2,210; investing (1,480); financing (350); net change 380.",
            "Auditor's opinion: in our opinion the financial statements present fairly, in all material "
            "respects, the financial position of ACME Corp. (generated demonstration document).",
        ],
    )
