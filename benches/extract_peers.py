"""The floor and a peer for reading a PostgreSQL table, beside
`cargo bench --bench extract` (ours): psql's `\\copy … to /dev/null`
(text and binary), and connectorx (the Arrow-native reader Polars uses for
databases) into Arrow and into Polars.

    scripts/databases.sh start && eval "$(scripts/databases.sh env)"
    python3 -m venv /var/tmp/cx && /var/tmp/cx/bin/pip install connectorx pyarrow polars
    /var/tmp/cx/bin/python benches/extract_peers.py

Reads the 1M-row table `bench.events` that `cargo bench --bench extract`
creates (id bigint, amount numeric, at timestamptz, label text); prints
the median of five runs of each.
"""

import os
import statistics
import subprocess
import time

import connectorx

URL = os.environ["DATACONTRACT_POSTGRES_URL"]
PASSWORD = os.environ["DATACONTRACT_DATABASES_TEST_PASSWORD"]
QUERY = "SELECT id, amount, at, label FROM bench.events"


def median_seconds(run, times=5):
    samples = []
    for _ in range(times):
        began = time.perf_counter()
        run()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def psql_copy(options):
    command = f"\\copy ({QUERY}) TO '/dev/null' {options}"
    subprocess.run(
        ["psql", URL, "-qc", command],
        env={**os.environ, "PGPASSWORD": PASSWORD},
        check=True,
    )


def connectorx_read(return_type):
    with_password = URL.replace("datacontract@", f"datacontract:{PASSWORD}@", 1)
    frame = connectorx.read_sql(with_password, QUERY, return_type=return_type)
    assert len(frame) == 1_000_000


for name, run in [
    ("psql \\copy text", lambda: psql_copy("")),
    ("psql \\copy binary", lambda: psql_copy("WITH (FORMAT binary)")),
    ("connectorx arrow", lambda: connectorx_read("arrow")),
    ("connectorx polars", lambda: connectorx_read("polars")),
]:
    print(f"{name:22} {median_seconds(run) * 1000:8.0f} ms")
