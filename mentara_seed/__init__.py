"""mentara-seed: keep a Django database stocked with realistic, related data."""
