"""kraken-ops as an MCP server: every CLI command of the chosen services as a typed tool.

``kraken-ops mcp --profile bot1 --services market,account,trade`` serves over stdio.
:mod:`kraken_ops.mcp.catalog` generates the tools from the typer apps;
:mod:`kraken_ops.mcp.server` runs them with the official ``mcp`` SDK. See ``docs/mcp.md``.
"""
