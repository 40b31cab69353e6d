"""``python -m kraken_ops.cli``: the ``kraken-ops`` command."""

from kraken_ops.cli.launcher import main

main()
