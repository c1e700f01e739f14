"""Every table, one module per domain; this package imports them all so metadata (and Alembic) sees them."""

from backend.models.assets import Asset
from backend.models.auth import ApiKey
from backend.models.compliance import AssetRules, ComplianceState, HolderState, Investor
from backend.models.disclosures import Document
from backend.models.distributions import Distribution
from backend.models.governance import AuditAnchorRecord, AuditEntry
from backend.models.settlement import TradeRecord
from backend.models.trading import ChainCursor, DeadManSwitch, FundsSnapshot, JournalEntry, Order, WalletNonce

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
