"""Build hook for the one optional C extension (everything else is in pyproject.toml).

``kraken_ops.spot._bookscan`` speeds up the Spot order book's text path (see
docs/performance.md, "Order books"). It is optional: without a C compiler and Python's
headers the build skips it and kraken-ops runs its pure-Python twin of each function
(``KRAKEN_OPS_NO_EXTENSIONS=1`` does the same at run time, and skips the build too).
"""

import os

from setuptools import Extension, setup

ext_modules = []
if not os.environ.get("KRAKEN_OPS_NO_EXTENSIONS"):
    ext_modules.append(Extension("kraken_ops.spot._bookscan", ["kraken_ops/spot/_bookscan.c"], optional=True))

setup(ext_modules=ext_modules)
