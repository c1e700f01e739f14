"""Everything that talks to the EVM node: artifacts, deployment record, transactions."""
