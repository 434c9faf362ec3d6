#!/usr/bin/env bash
# Regenerates pcaps/nmap-syn-scan.pcap: a REAL nmap SYN scan (-sS, ports 1-200 and 8080) from a
# client network namespace against a server namespace with one open port (python3 http.server on
# 8080), captured by dumpcap on the server's veth (libpcap format). Private addresses that exist
# only inside the two namespaces (client 10.199.9.2, server 10.199.9.1); both namespaces are
# deleted on exit. Needs root, iproute2, nmap, dumpcap (tshark package), python3.
#
#   sudo pcaps/make-nmap-scan.sh [OUT]        (default pcaps/nmap-syn-scan.pcap)
#
# The output differs run to run (nmap's source port, timing, ISNs): test/replay/nmap-syn-scan
# checks only what any such scan shows (the scan rule fires for 10.199.9.2, the busy port does not).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-pcaps/nmap-syn-scan.pcap}"
C="qnmapc$$"; S="qnmaps$$"; VC="qnvc$$"; VS="qnvs$$"
TMP="$(mktemp -d)"
cleanup() {
  [ -n "${DUMP:-}" ] && kill "$DUMP" 2>/dev/null || true
  [ -n "${WEB:-}" ] && kill "$WEB" 2>/dev/null || true
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$C"; ip netns add "$S"
ip link add "$VC" netns "$C" type veth peer name "$VS" netns "$S"
ip -n "$C" addr add 10.199.9.2/24 dev "$VC"; ip -n "$S" addr add 10.199.9.1/24 dev "$VS"
for x in "$C:$VC" "$S:$VS"; do ip -n "${x%%:*}" link set lo up; ip -n "${x%%:*}" link set "${x##*:}" up; done
for _ in $(seq 1 100); do ip -n "$S" -o link show dev "$VS" | grep -q LOWER_UP && break; sleep 0.05; done
ip netns exec "$S" timeout 60 python3 -m http.server 8080 --bind 10.199.9.1 --directory "$TMP" >/dev/null 2>&1 & WEB=$!
# -P: libpcap format; -q; stop by itself after 60 s at the latest
ip netns exec "$S" timeout 60 dumpcap -q -P -i "$VS" -f 'tcp or udp or icmp' -w "$TMP/scan.pcap" 2>"$TMP/dumpcap.err" & DUMP=$!
for _ in $(seq 1 100); do [ -s "$TMP/scan.pcap" ] && break; sleep 0.05; done
sleep 0.5
ip netns exec "$C" timeout 60 nmap -n -Pn -sS -T4 --max-retries 0 -p 1-200,8080 10.199.9.1 >"$TMP/nmap.txt"
sleep 0.5
kill -INT "$DUMP"; wait "$DUMP" || true; DUMP=""
cp "$TMP/scan.pcap" "$OUT"
grep -E '^8080/tcp' "$TMP/nmap.txt" >&2 || { echo "nmap did not see 8080 open" >&2; cat "$TMP/nmap.txt" >&2; exit 1; }
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)" >&2
