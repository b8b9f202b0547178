"""Calls, not legs: a call built from its legs, pages of calls, and streaming exports."""
