"""Asset listings: token deployment through the factory, primary issuance, cash faucet."""
