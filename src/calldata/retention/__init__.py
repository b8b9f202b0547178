"""Retention (`calldata retention`): the oldest cdr partitions archived, verified and dropped; archives read back."""
