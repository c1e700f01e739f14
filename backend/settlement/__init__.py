"""Trade outbox -> batched on-chain settlement -> confirmation -> reconciliation."""
