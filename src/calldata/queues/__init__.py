"""Asterisk's queue_log: its events, where they are kept, and what they add up to."""
