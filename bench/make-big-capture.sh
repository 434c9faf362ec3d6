#!/usr/bin/env bash
# Make a large (>= 100 MB) Ethernet capture for the benches (bench/decode, bench/flows,
# bench/replay) from the shared public captures, without copying them into the project:
#
#   1. base  = every classic-pcap, Ethernet-link capture under ../shared/pcaps/{ndpi,suricata-verify}
#              (chosen by magic number and header link type, never by name) that tcprewrite can
#              rewrite, concatenated in sorted path order (mergecap -a).
#   2. copy i = base with addresses rewritten by `tcprewrite --seed=i` (i = 1, 2, ...; tcpedit
#              updates the checksums it touches), so every copy has its own hosts and flows,
#              until the total reaches TARGET_MB.
#   3. big   = the copies concatenated, then `editcap -S 0.000001` so timestamps never go
#              backwards (a flow table sees a monotonic clock; gaps inside a copy are kept
#              where they were already increasing).
#
# Deterministic (same inputs, same tools -> same bytes) and idempotent: if the output exists it
# is not rebuilt. Prints the path, packet count and size. Output: bench/out/big.pcap (gitignored).
#
# Usage: bench/make-big-capture.sh [--force]      env: TARGET_MB (default 100), OUT (output path)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED_PCAPS="${SHARED_PCAPS:-$(cd "$ROOT/.." && pwd)/shared/pcaps}"
OUT="${OUT:-$ROOT/bench/out/big.pcap}"
TARGET_MB="${TARGET_MB:-100}"
MAX_COPIES=64

for tool in mergecap tcprewrite editcap capinfos xxd; do
  command -v "$tool" >/dev/null || { echo "make-big-capture: $tool not found (apt-get install tshark tcpreplay xxd)" >&2; exit 1; }
done

report() {
  local packets bytes
  packets="$(capinfos -M -c -r -T "$OUT" | awk -F'\t' 'NR==1{print $2}')"
  bytes="$(stat -c %s "$OUT")"
  echo "path=$OUT packets=$packets bytes=$bytes"
}

if [[ "${1:-}" != "--force" && -s "$OUT" ]]; then
  echo "make-big-capture: $OUT exists, skipping (use --force to rebuild)" >&2
  report
  exit 0
fi

mkdir -p "$(dirname "$OUT")"
WORK="$(mktemp -d "$(dirname "$OUT")/.big-work.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# 1. Inputs: classic pcap, microsecond magic either byte order, link type 1 (Ethernet).
: > "$WORK/inputs.txt"
while IFS= read -r -d '' f; do
  hdr="$(xxd -p -l 24 "$f" | tr -d '\n')"
  [[ ${#hdr} -eq 48 ]] || continue
  magic="${hdr:0:8}"; link="${hdr:40:8}"
  if [[ "$magic" == "d4c3b2a1" && "$link" == "01000000" ]] || [[ "$magic" == "a1b2c3d4" && "$link" == "00000001" ]]; then
    echo "$f" >> "$WORK/inputs.txt"
  fi
done < <(find "$SHARED_PCAPS/ndpi" "$SHARED_PCAPS/suricata-verify" -type f -print0 | LC_ALL=C sort -z)

# tcprewrite aborts a whole run on some malformed packets ("Expected IPv4 packet: got 5"):
# keep only the inputs it can rewrite (the failure depends on packet content, not on the seed).
mv "$WORK/inputs.txt" "$WORK/candidates.txt"
: > "$WORK/inputs.txt"
while IFS= read -r f; do
  if tcprewrite --seed=1 --infile="$f" --outfile="$WORK/probe.pcap" >/dev/null 2>&1; then
    echo "$f" >> "$WORK/inputs.txt"
  fi
done < "$WORK/candidates.txt"
rm -f "$WORK/probe.pcap"
n_skipped=$(( $(wc -l < "$WORK/candidates.txt") - $(wc -l < "$WORK/inputs.txt") ))
n_inputs="$(wc -l < "$WORK/inputs.txt")"
[[ "$n_inputs" -gt 0 ]] || { echo "make-big-capture: no Ethernet pcaps under $SHARED_PCAPS" >&2; exit 1; }

# mergecap opens its inputs together; concatenate in groups to stay far from fd limits.
split -l 200 -d "$WORK/inputs.txt" "$WORK/group."
parts=()
for g in "$WORK"/group.*; do
  mapfile -t files < "$g"
  mergecap -a -F pcap -s 262144 -w "$g.pcap" "${files[@]}"
  parts+=("$g.pcap")
done
mergecap -a -F pcap -w "$WORK/base.pcap" "${parts[@]}"
base_bytes="$(stat -c %s "$WORK/base.pcap")"

# 2. Rewritten copies until the target size.
target=$((TARGET_MB * 1000 * 1000))
copies=()
total=0
i=1
while [[ $total -lt $target && $i -le $MAX_COPIES ]]; do
  tcprewrite --seed="$i" --infile="$WORK/base.pcap" --outfile="$WORK/copy.$i.pcap" >/dev/null 2>"$WORK/tcprewrite.$i.log" || {
    echo "make-big-capture: tcprewrite failed, see below" >&2; cat "$WORK/tcprewrite.$i.log" >&2; exit 1; }
  copies+=("$WORK/copy.$i.pcap")
  total=$((total + $(stat -c %s "$WORK/copy.$i.pcap")))
  i=$((i + 1))
done

# 3. Concatenate and make the clock monotonic.
mergecap -a -F pcap -w "$WORK/cat.pcap" "${copies[@]}"
editcap -F pcap -S 0.000001 "$WORK/cat.pcap" "$WORK/big.pcap" >/dev/null
mv -f "$WORK/big.pcap" "$OUT"
echo "make-big-capture: $n_inputs inputs ($n_skipped skipped: tcprewrite cannot rewrite them), base $base_bytes bytes, ${#copies[@]} rewritten copies" >&2
report
