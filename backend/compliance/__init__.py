"""Investor onboarding, whitelist sync, rule sets and pre-trade checks."""
