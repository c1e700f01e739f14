"""Operator powers under control: reason codes, the hash-chained audit log, its on-chain
anchors, and the privileged actions that append to it (docs/API.md "Privileged actions")."""
