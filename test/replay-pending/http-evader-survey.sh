#!/bin/sh
# Runs the two EICAR file_data rules (test/replay/sv-http-evader-000/test.rules) over every
# suricata-verify http-evader capture through `quell replay` and prints, per capture, the alerts
# of sid 1 and sid 2. Upstream expects 1 and 1 for all 301 captures. Bounded: one replay per
# capture, each with a 60 s timeout. Usage: sh test/replay-pending/http-evader-survey.sh
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SV=${QUELL_SHARED:-$ROOT/../shared}/pcaps/suricata-verify/tests/http-evader
RULES=$ROOT/test/replay/sv-http-evader-000/test.rules
ok=0; n=0
for d in "$SV"/http-evader-*; do
  out=$(timeout 60 node "$ROOT/bin/quell.js" replay "$d/input.pcap" --rules "$RULES" --eve - --quiet --workers 1 2>/dev/null)
  a1=$(printf '%s\n' "$out" | grep -c '"signature_id":1,')
  a2=$(printf '%s\n' "$out" | grep -c '"signature_id":2,')
  n=$((n + 1)); [ "$a1" = 1 ] && [ "$a2" = 1 ] && ok=$((ok + 1))
  echo "$(basename "$d") sid1=$a1 sid2=$a2"
done
echo "found in $ok of $n captures" >&2
