#!/usr/bin/env bash
# The reference workload side by side, in one run on one machine: this
# crate's validation and the hand-written Polars query (criterion,
# benches/validate.rs), pandera and dataframely (../shared/bench/peers.py),
# at 3M and 12M rows, then the ratios the performance targets are stated
# in, and the peak RSS of one run of each at 12M rows.
#
#   benches/compare.sh            # about 10 minutes once built
#
# DATACONTRACT_BENCH_DATA: the flights Parquet file
#   (default ../shared/data/flights-3m.parquet);
# DATACONTRACT_PEERS_VENV: the peers' Python venv, made here when missing
#   (default /var/tmp/peers).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${DATACONTRACT_BENCH_DATA:-../shared/data/flights-3m.parquet}"
PEERS="${DATACONTRACT_PEERS_VENV:-/var/tmp/peers}"
TARGET="${CARGO_TARGET_DIR:-target}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
export DATACONTRACT_BENCH_DATA="$DATA"

if ! "$PEERS/bin/python" -c 'import pandera, dataframely' 2>/dev/null; then
  python3 -m venv "$PEERS"
  "$PEERS/bin/pip" install -q -r ../shared/bench/requirements.txt
fi

echo "== criterion: datacontract and the hand-written query"
cargo bench --no-default-features --bench validate -- --warm-up-time 2 flights

echo "== peers"
for copies in 1 4; do
  "$PEERS/bin/python" ../shared/bench/peers.py "$DATA" --copies "$copies" --runs 5 \
    | tee "$OUT/peers-$copies.txt"
done

echo "== peak RSS at 12M rows, one run each"
cargo build --release --no-default-features --example flights
for engine in datacontract hand_written; do
  /usr/bin/time -f "%M" -o "$OUT/rss-$engine.txt" \
    "$TARGET/release/examples/flights" "$engine" 4 >/dev/null
done
for tool in pandera dataframely; do
  /usr/bin/time -f "%M" -o "$OUT/rss-$tool.txt" "$PEERS/bin/python" -c "
import runpy, sys
peers = runpy.run_path('../shared/bench/peers.py')
peers['run_$tool'](peers['load'](sys.argv[1], 4))
" "$DATA"
done

echo "== ratios"
python3 - "$TARGET/criterion/flights" "$OUT" <<'EOF'
import json, re, sys
criterion, out = sys.argv[1], sys.argv[2]

def median(bench, rows):
    with open(f"{criterion}/{bench}/{rows}/new/estimates.json") as f:
        return json.load(f)["median"]["point_estimate"] / 1e9

print("| rows | datacontract | hand-written | pandera | dataframely | × hand-written | throughput × faster peer |")
print("|---|---|---|---|---|---|---|")
for copies in [1, 4]:
    text = open(f"{out}/peers-{copies}.txt").read()
    rows = int(re.search(r"rows=(\d+)", text).group(1))
    peers = {name: float(t) for name, t in re.findall(r"^(\w+)\s+median ([\d.]+)s", text, re.M)}
    ours, hand = median("datacontract", rows), median("hand_written", rows)
    fastest = min(peers.values())
    print(f"| {rows/1e6:.0f}M | {ours:.3f} s | {hand:.3f} s | {peers['pandera']:.3f} s "
          f"| {peers['dataframely']:.3f} s | {ours/hand:.2f} | {fastest/ours:.2f} |")

rss = {}
for tool in ["datacontract", "hand_written", "pandera", "dataframely"]:
    # GNU time's %M: kilobytes.
    rss[tool] = int(open(f"{out}/rss-{tool}.txt").read().split()[-1]) / 1e6
print()
print("peak RSS at 12M rows (GB): " + ", ".join(f"{tool} {gb:.2f}" for tool, gb in rss.items()))
EOF
