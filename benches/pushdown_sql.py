"""Where DuckDB's time goes in the pushed-down validation, query shape by
query shape, on the 3M flights rows of the performance workload.

The aggregate query `validate_in_warehouse` sends (one SUM(CASE ...) per
row check, beside the dedup key's GROUP BY, CROSS JOINed) is timed beside
the shape it replaced (the key as two windows over every row), beside
the same query also returning where the key's first repeated groups begin
(their first rows' positions in arrival order, which the examples query of
a failing key then semi-joins on, instead of grouping again), beside the
row checks without the key, and beside every other exact way SQL has to
count the key's duplicates: a GROUP BY of the five columns alone, a GROUP
BY of their hash (with the hash's candidates checked exactly afterwards),
and a DISTINCT. The examples query of a failing key (the rows EXISTS finds
in the key's repeated groups) is timed too, and the two regexes alone, as
`regexp_matches` and as the equivalent GLOB. Medians of 5 runs, after one
warm-up, on DuckDB's own Python package at the version the crate bundles
(2.0.0), with 2 threads.

    python3 -m venv /var/tmp/duck && /var/tmp/duck/bin/pip install duckdb==2.0.0
    /var/tmp/duck/bin/python benches/pushdown_sql.py [../shared/data/flights-3m.parquet]
"""

import sys
import time

import duckdb

DATA = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/flights-3m.parquet"
KEY = '"date", "delay", "distance", "origin", "destination"'
ROWS = "(SELECT * FROM f WHERE created_at = TIMESTAMP '2024-01-01')"


def failing(condition, name):
    return f"SUM(CASE WHEN COALESCE({condition}, FALSE) THEN 1 ELSE 0 END) AS {name}"


ROW_CHECKS = ", ".join(
    [
        "COUNT(*) AS __rows",
        failing(
            "\"date\" < CAST('2001-01-01' AS TIMESTAMP) OR \"date\" >= CAST('2002-01-01' AS TIMESTAMP)",
            "f0",
        ),
        failing('"delay" < -720 OR "delay" > 1440', "f1"),
        failing('"distance" <= 0 OR "distance" > 5000', "f2"),
        failing("NOT regexp_matches(\"origin\", '^[A-Z]{3}$')", "f3"),
        failing("NOT regexp_matches(\"destination\", '^[A-Z]{3}$')", "f4"),
        failing('NOT ("origin" != "destination")', "f5"),
    ]
)



def position(prefix):
    """A row's position in arrival order, as the generated SQL computes it."""
    return (
        f"CAST(epoch_us({prefix}created_at) AS HUGEINT) * 18446744073709551616"
        f" + {prefix}source_row"
    )


UNNUMBERED = "SUM(CASE WHEN created_at IS NULL OR source_row IS NULL THEN 1 ELSE 0 END) AS unnumbered"

QUERIES = {
    "generated: row checks, then the key by GROUP BY": f"""
        SELECT * FROM (SELECT {ROW_CHECKS} FROM {ROWS} AS __t) AS __rows CROSS JOIN
        (SELECT COALESCE(SUM(__n), 0) AS f6, COUNT(*) AS f7 FROM
          (SELECT COUNT(*) AS __n FROM {ROWS} AS __t GROUP BY {KEY} HAVING COUNT(*) > 1)
          AS __repeated) AS __key0""",
    "before: row checks and the key's two windows": f"""
        SELECT {ROW_CHECKS}, {failing("__d > 1", "f6")}, {failing("__d > 1 AND __n = 1", "f7")}
        FROM (SELECT *, COUNT(*) OVER (PARTITION BY {KEY}) AS __d,
                        ROW_NUMBER() OVER (PARTITION BY {KEY}) AS __n
              FROM f WHERE created_at = TIMESTAMP '2024-01-01') AS __t""",
    "row checks alone (no key)": f"SELECT {ROW_CHECKS} FROM {ROWS} AS __t",
    "generated, with where the first repeated groups begin": f"""
        SELECT * FROM (SELECT {ROW_CHECKS}, {UNNUMBERED} FROM {ROWS} AS __t) AS __rows CROSS JOIN
        (SELECT COALESCE(SUM(__n), 0) AS f6, COUNT(*) AS f7,
                [CAST(__at AS VARCHAR) FOR __at IN min(__first, 10)] AS f6_first FROM
          (SELECT COUNT(*) AS __n, MIN({position("")}) AS __first FROM {ROWS} AS __t
           GROUP BY {KEY} HAVING COUNT(*) > 1) AS __repeated) AS __key0""",
    "examples of the key: EXISTS at its first groups' positions": f"""
        SELECT source_row, {KEY} FROM {ROWS} AS __t WHERE EXISTS (
          SELECT 1 FROM {ROWS} AS __all WHERE {position("__all.")} IN ({{first_positions}})
          AND {" AND ".join(f"__all.{c} IS NOT DISTINCT FROM __t.{c}" for c in KEY.split(", "))})
        ORDER BY created_at, source_row LIMIT 10""",
    "examples of the key: EXISTS in its repeated groups": f"""
        SELECT source_row, {KEY} FROM {ROWS} AS __t WHERE EXISTS (
          SELECT 1 FROM (SELECT {", ".join(f"{c} AS __key{i}" for i, c in enumerate(KEY.split(", ")))},
                                COUNT(*) AS __n FROM {ROWS} AS __all
                         GROUP BY {KEY} HAVING COUNT(*) > 1) AS __repeated
          WHERE {" AND ".join(f"__repeated.__key{i} IS NOT DISTINCT FROM __t.{c}" for i, c in enumerate(KEY.split(", ")))})
        ORDER BY source_row LIMIT 10""",
    "key alone: GROUP BY the five columns": f"""
        SELECT COALESCE(SUM(n), 0), COUNT(*) FROM
        (SELECT COUNT(*) AS n FROM {ROWS} AS __t GROUP BY {KEY} HAVING COUNT(*) > 1)""",
    "key alone: GROUP BY their hash, candidates checked": f"""
        WITH c AS (SELECT hash({KEY}) AS h FROM {ROWS} GROUP BY h HAVING COUNT(*) > 1)
        SELECT COALESCE(SUM(n), 0), COUNT(*) FROM
        (SELECT COUNT(*) AS n FROM {ROWS} AS t WHERE hash({KEY}) IN (SELECT h FROM c)
         GROUP BY {KEY} HAVING COUNT(*) > 1)""",
    "key alone: rows minus DISTINCT rows": f"""
        SELECT COUNT(*) - (SELECT COUNT(*) FROM (SELECT DISTINCT {KEY} FROM {ROWS})) FROM {ROWS}""",
    "one regex: regexp_matches": """
        SELECT SUM(CASE WHEN COALESCE(NOT regexp_matches(origin, '^[A-Z]{3}$'), FALSE) THEN 1 ELSE 0 END) FROM f""",
    "one regex: the same as GLOB": """
        SELECT SUM(CASE WHEN COALESCE(NOT (origin GLOB '[A-Z][A-Z][A-Z]'), FALSE) THEN 1 ELSE 0 END) FROM f""",
}


def main():
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(
        "CREATE TABLE f AS SELECT *, TIMESTAMP '2024-01-01' AS created_at, "
        f"row_number() OVER () AS source_row FROM '{DATA}'"
    )
    print(f"duckdb {duckdb.__version__}, {con.execute('SELECT COUNT(*) FROM f').fetchone()[0]} rows")
    first_positions = None
    for name, sql in QUERIES.items():
        if "{first_positions}" in sql:
            # The positions the counting query above returned, as parameters.
            sql = sql.replace("{first_positions}", ", ".join(f"CAST('{p}' AS HUGEINT)" for p in first_positions))
        result = con.execute(sql).fetchall()
        if first_positions is None and "f6_first" in sql:
            first_positions = result[0][-1]
        times = []
        for _ in range(5):
            began = time.perf_counter()
            con.execute(sql).fetchall()
            times.append(time.perf_counter() - began)
        times.sort()
        print(f"{times[2] * 1000:8.1f} ms  {name}  {result[0]}")


if __name__ == "__main__":
    main()
