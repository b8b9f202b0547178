"""`python -m calldata` runs the CLI (tests use it to run the real command in a subprocess)."""

from calldata.cli import main

main()
