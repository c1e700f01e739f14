"""Realistic generated disclosures for the demo's oil-well royalty and farm revenue assets.

Figures are illustrative and internally consistent (computed with integers and Decimal,
never float); each document is dated for the run, so the freshness policies pass.
ACME's filings come from backend/demo/documents.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from backend.demo.documents import pdf, sample_document

# Last month's production of the Caprock State 14-2H well (gross, 8/8ths).
OIL_BBL, GAS_MCF, DAYS_ON = 11_232, 18_480, 30
OIL_PRICE, GAS_PRICE = Decimal("71.20"), Decimal("2.45")
ROYALTY, SEVERANCE = Decimal("0.125"), Decimal("0.046")
CORN_ACRES, CORN_YIELD, CORN_PRICE = 612, 203, Decimal("4.31")  # harvested acres, bu/acre, $/bu


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"


def permian_offering_memorandum(today: date) -> tuple[str, bytes]:
    title = "Caprock State 14-2H Royalty Interest - Offering Memorandum"
    return title, pdf(
        title,
        [
            f"Dated {today.isoformat()}. Issuer: Caprock Royalty Partners LP. Offered: a 12.5% royalty interest "
            "(one-eighth of gross production, free of drilling and operating costs) in the Caprock State 14-2H "
            "horizontal well, Midland County, Texas, producing from the Wolfcamp A formation, represented by "
            "10,000 PERMIAN1 tokens of 1/10,000 of the royalty each.",
            "Operator: Caprock Energy LLC (Texas RRC operator no. 130998). Lateral length 10,150 ft; first "
            "production March 2024; 42 frac stages. Royalty revenue is paid monthly by the purchaser to the "
            "issuer and distributed to token holders pro rata through the RevenueDistributor contract.",
            "Eligibility: accredited investors in permitted jurisdictions (Rule 506(c) offering); at most 2,500 "
            "tokens per investor. Transfers that break these rules revert on chain.",
            "Risk factors: oil and gas prices are volatile; production declines (the decline curve in the "
            "reserve report is an estimate, not a promise); the operator may shut in the well; severance "
            "taxes and purchaser deductions reduce royalty income; reserves may be revised downward.",
        ],
    )


def permian_reserve_report(today: date) -> tuple[str, bytes]:
    effective = today.replace(day=1)
    title = f"Caprock State 14-2H - Independent Reserve Report, effective {effective.isoformat()}"
    return title, pdf(
        title,
        [
            "Prepared by Llano Estacado Petroleum Consultants (Texas Board of Professional Engineers firm "
            "F-12345) under SEC reserve definitions, using the 12-month average first-day-of-month prices of "
            f"${OIL_PRICE} per barrel and ${GAS_PRICE} per mcf.",
            "Proved developed producing (PDP) reserves, gross (8/8ths): oil 412,600 bbl; gas 684,000 mcf. "
            "Net to the 12.5% royalty: oil 51,575 bbl; gas 85,500 mcf.",
            "Future net revenue to the royalty, undiscounted: $3,881,000; discounted at 10% (PV-10): "
            "$2,214,000. Economic life: 19.5 years. Decline: hyperbolic, b = 0.9, initial annual decline 38%, "
            "terminal decline 6%.",
            "No proved undeveloped or probable reserves are attributed to this interest.",
        ],
    )


def permian_net_royalty() -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(oil value, gas value, 12.5% royalty, severance tax) of last month's production."""
    oil_value, gas_value = OIL_PRICE * OIL_BBL, GAS_PRICE * GAS_MCF
    royalty = (oil_value + gas_value) * ROYALTY
    return oil_value, gas_value, royalty, (royalty * SEVERANCE).quantize(Decimal("0.01"))


def permian_distribution(today: date, *, issued_units: int, total_units: int) -> tuple[str, str]:
    """(amount, memo) of the royalty deposit: last month's net royalty, the issued units' share."""
    _, _, royalty, severance = permian_net_royalty()
    amount = ((royalty - severance) * issued_units / total_units).quantize(Decimal("0.01"))
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%B %Y")
    return str(amount), (
        f"{month} royalties: 12.5% of {OIL_BBL:,} bbl and {GAS_MCF:,} mcf, net of severance "
        f"tax, for the {issued_units:,} of {total_units:,} units issued"
    )


def permian_production_report(today: date) -> tuple[str, bytes]:
    month_end = today.replace(day=1) - timedelta(days=1)
    oil_value, gas_value, royalty, severance = permian_net_royalty()
    title = f"Caprock State 14-2H - Monthly Production Report, {month_end.strftime('%B %Y')}"
    return title, pdf(
        title,
        [
            f"Production month {month_end.strftime('%B %Y')}; {DAYS_ON} days on line. Gross oil {OIL_BBL:,} bbl "
            f"({OIL_BBL // DAYS_ON} bbl/d), gross gas {GAS_MCF:,} mcf, produced water 21,900 bbl.",
            f"Realized prices: oil ${OIL_PRICE}/bbl, gas ${GAS_PRICE}/mcf. Gross value: oil ${_money(oil_value)}, "
            f"gas ${_money(gas_value)}.",
            f"Royalty (12.5%): ${_money(royalty)}; Texas severance and ad valorem taxes "
            f"${_money(severance)}; net royalty ${_money(royalty - severance)}.",
            "Net royalty for the month is distributed to PERMIAN1 holders pro rata to tokens held, claimable "
            "from the RevenueDistributor contract by each holder's own wallet.",
        ],
    )


def iowa_offering_memorandum(today: date) -> tuple[str, bytes]:
    title = "Story County Corn Farm - Crop Revenue Participation, Offering Memorandum"
    return title, pdf(
        title,
        [
            f"Dated {today.isoformat()}. Issuer: Skunk River Farms LLC, an Iowa limited liability company. "
            "Offered: 40% of the net crop revenue of the 2026 crop year of a 640-acre farm in Story County, "
            "Iowa, represented by 50,000 IOWACORN tokens of 1/50,000 of that share each.",
            "Net crop revenue is gross grain sales less seed, fertilizer, crop protection, custom harvest, "
            "drying and storage. It is paid after the harvest is sold and distributed pro rata through the "
            "RevenueDistributor contract.",
            "Eligibility: investors in permitted jurisdictions; at most 5,000 tokens per investor; tokens are "
            "locked for one day after issuance.",
            "Risk factors: weather (drought, hail, derecho), yield and price risk, input costs, and the "
            "operator's performance. Crop insurance (80% revenue protection) covers part of a shortfall.",
        ],
    )


def iowa_land_lease(today: date) -> tuple[str, bytes]:
    title = "Story County Corn Farm - Farmland Lease and Title Certificate"
    return title, pdf(
        title,
        [
            "Legal description: the East Half of Section 12, Township 84 North, Range 23 West of the 5th P.M., "
            "Story County, Iowa (640.00 acres, 612 tillable; CSR2 average 84.2).",
            "Title: fee simple in Hawkeye Land Trust, free of mortgages; easements of record for a county "
            "drainage district and a rural water line. Title opinion by Ames & Boone, attorneys, dated "
            f"{today.isoformat()}.",
            "Lease: crop-share farm lease to Skunk River Farms LLC for crop years 2026-2028, renewing each "
            "March 1 unless terminated by September 1 notice under Iowa Code 562.6; landlord share 40% of "
            "net crop revenue, assigned to the IOWACORN token holders.",
        ],
    )


def iowa_harvest_report(today: date) -> tuple[str, bytes]:
    bushels = CORN_ACRES * CORN_YIELD
    gross = CORN_PRICE * bushels
    title = f"Story County Corn Farm - Harvest Report, crop year {today.year - 1}"
    return title, pdf(
        title,
        [
            f"Harvested {CORN_ACRES} acres of yellow dent corn at an average {CORN_YIELD} bu/acre (county "
            f"average 198); total {bushels:,} bushels at 15.5% moisture, stored in on-farm bins.",
            f"Sold {bushels:,} bushels at an average ${CORN_PRICE}/bu (cash and forward contracts): gross "
            f"revenue ${_money(gross)}.",
            "Inputs per acre: seed $128, nitrogen and P-K $171, crop protection $64, custom harvest and "
            "drying $92. Net crop revenue and the 40% participation are in the annual statement.",
        ],
    )


FILINGS = {
    ("PERMIAN1", "offering_memorandum"): permian_offering_memorandum,
    ("PERMIAN1", "reserve_report"): permian_reserve_report,
    ("PERMIAN1", "production_report"): permian_production_report,
    ("IOWACORN", "offering_memorandum"): iowa_offering_memorandum,
    ("IOWACORN", "land_title"): iowa_land_lease,
    ("IOWACORN", "harvest_report"): iowa_harvest_report,
}


def filing(symbol: str, doc_type: str, today: date) -> tuple[str, bytes]:
    """(title, PDF bytes) of the demo's filing of `doc_type` for `symbol`."""
    make = FILINGS.get((symbol, doc_type))
    return make(today) if make else sample_document(doc_type, symbol, today)
