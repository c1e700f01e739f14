"""Revenue distributions: oil royalties, harvest revenue and dividends paid pro rata on chain."""
