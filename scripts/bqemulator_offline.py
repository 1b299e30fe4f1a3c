"""Starts bqemulator offline, writing its exports through fake-gcs-server.

At start-up bqemulator loads DuckDB's spatial extension, which it would
download; with no network that fails and the emulator exits. The tests use
no GEOGRAPHY columns, so the extension is not loaded at all.

bqemulator writes `EXPORT DATA` files straight into fake-gcs-server's
filesystem root (`BQEMU_GCS_LOCAL_ROOT`), where fake-gcs-server does not
see them: it lists only objects it wrote, with their metadata. So each
exported file is then uploaded through fake-gcs-server's JSON API
(`DATACONTRACT_FAKE_GCS_URL`), as BigQuery's own export writes to GCS.
"""
import os
import sys
import urllib.parse
import urllib.request

from bqemulator.jobs import executor
from bqemulator.storage import engine

engine.DuckDBEngine._load_spatial = lambda self: None

FAKE_GCS = os.environ["DATACONTRACT_FAKE_GCS_URL"]
_write_export = executor.write_export


def write_export_through_fake_gcs(arrow_table, options, ctx):
    """Writes the export as bqemulator does, then publishes every file."""
    outcome = _write_export(arrow_table, options, ctx)
    for uri in outcome.uris:
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        with open(executor._resolve_uri(uri, ctx), "rb") as file:
            body = file.read()
        query = urllib.parse.urlencode({"uploadType": "media", "name": name})
        request = urllib.request.Request(
            f"{FAKE_GCS}/upload/storage/v1/b/{urllib.parse.quote(bucket)}/o?{query}",
            data=body,
            method="POST",
            headers={"Content-Type": "application/octet-stream"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
    return outcome


executor.write_export = write_export_through_fake_gcs

from bqemulator.cli import main  # noqa: E402  (after the patches above)

sys.exit(main())
