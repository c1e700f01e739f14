"""Order entry: signed orders, pre-trade checks, reservations, the per-market sequencer."""
