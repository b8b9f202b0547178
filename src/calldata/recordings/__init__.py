"""Call recordings: the files MixMonitor wrote, tied to their legs (docs/recordings.md).

`files` reads the tree (names, sizes, durations, safe paths), `match` decides which leg a file
belongs to (pure), `scan` keeps the `recording` table in step with the tree, `query` reads it
for the API.
"""
