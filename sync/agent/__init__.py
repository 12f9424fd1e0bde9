"""Biurko's reference agent client (``python -m sync.agent`` / ``biurko-agent``).

It watches a folder for exchange files (JPK_V7M/K, Płatnik KEDU, ZIPs of them) and JSON batches,
keeps every upload in an offline queue on disk and delivers each exactly once to the agent API
(``docs/agent-api.md``). Standard library only: it runs on an office PC without the portal's
dependencies (no Django import anywhere in this package). See docs/agent-client.md.
"""

__version__ = "1.0.0"
USER_AGENT = f"biurko-agent/{__version__}"
