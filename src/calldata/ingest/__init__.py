"""Getting raw CDRs in: parsers for each of Asterisk's outputs, and the one sink they all write to."""
