"""Starts bqemulator offline.

At start-up bqemulator loads DuckDB's spatial extension, which it would
download; with no network that fails and the emulator exits. The tests use
no GEOGRAPHY columns, so the extension is not loaded at all.
"""
import sys

from bqemulator.storage import engine

engine.DuckDBEngine._load_spatial = lambda self: None

from bqemulator.cli import main  # noqa: E402  (after the patch above)

sys.exit(main())
