"""The local chain's well-known development secrets: the defaults of a development setup,
refused by backend/dev_secrets.py everywhere else. No imports: config and dev_secrets both
read them."""

# Account 0 of `ganache --wallet.deterministic`: the local operator (hot) key.
DEV_OPERATOR_KEY = "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d"
DEV_ADMIN_KEY = "dev-admin-key"
# Account 10 of the same mnemonic (outside the ten the node funds; the deployment pays its
# gas): the local governance key (DESIGN "Keys and governance", docs/security.md).
DEV_GOVERNANCE_KEY = "0x77c5495fbb039eed474fc940f29955ed0531693cc9212911efd35dff0373153f"
GANACHE_MNEMONIC = "myth like bonus scare over problem client lizard pioneer submit female collect"
