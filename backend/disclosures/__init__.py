"""Disclosures: content-addressed document store, on-chain anchoring (ERC-1643), policies."""
