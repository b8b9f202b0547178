"""Realistic demo data: a CDR generator shaped like real Asterisk 22, its cdr_csv writer, and `calldata demo`."""
