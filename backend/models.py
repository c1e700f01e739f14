"""Every table, imported in one place so metadata (and Alembic) sees them all."""

from backend.assets.models import Asset
from backend.auth.models import ApiKey
from backend.compliance.models import AssetRules, ComplianceState, HolderState, Investor
from backend.disclosures.models import Document
from backend.distributions.models import Distribution
from backend.governance.models import AuditAnchorRecord, AuditEntry
from backend.settlement.models import TradeRecord
from backend.trading.models import ChainCursor, DeadManSwitch, FundsSnapshot, JournalEntry, Order, WalletNonce

__all__ = [
    "ApiKey",
    "Asset",
    "AssetRules",
    "AuditAnchorRecord",
    "AuditEntry",
    "ChainCursor",
    "ComplianceState",
    "DeadManSwitch",
    "Distribution",
    "Document",
    "FundsSnapshot",
    "HolderState",
    "Investor",
    "JournalEntry",
    "Order",
    "TradeRecord",
    "WalletNonce",
]
