"""The attribution coverage report from per-UTC-day tallies kept in the store (docs/attribution.md)."""
