#!/bin/bash
# COUNT Kerrighed-style boots in a row (krgboot_helper, this folder) of every node given,
# the race between boot-post and init-pre forced one way on odd boots (init-first: init-pre
# must wait for the link) and the other on even ones (post-first). After each boot, one line
# per node says what the container got, for the test to check:
#   boot=I order=O node=N status=S waited=yes|no kind=K mac=M addrs=A,B routes=R,S started=A,B ping=ok|fail|-
# Then the containers are killed (their namespaces, and the links in them, go with them).
# Run by test/install/kerrighed-ns.test.ts and, in a qemu guest with VLANs, test/lab.
# Usage: boots.sh ETC COUNT NODE=HOSTNS:RUNDIR...   (KRG_SHOW_LOGS=1: every boot's logs on stderr)
set -euo pipefail
ETC=$1 COUNT=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
containers=()
stop_containers() {
  for pid in "${containers[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
    # Gone (or a zombie, whose namespace is already released).
    for _ in $(seq 100); do readlink "/proc/$pid/ns/net" >/dev/null 2>&1 || break; sleep 0.05; done
  done
  containers=()
}
trap 'stop_containers; rm -rf "$WORK"' EXIT

in_container() { nsenter --net="/proc/$1/ns/net" -- "${@:2}"; }
joined() { paste -sd, - | sed 's/^$/-/'; }

for ((i = 1; i <= COUNT; i++)); do
  if ((i % 2)); then order=init-first; else order=post-first; fi
  t0=$(date +%s.%N)
  declare -A helper=() pid=()
  for spec in "$@"; do
    node=${spec%%=*} rest=${spec#*=}
    ns=${rest%%:*} run=${rest#*:}
    out=$WORK/$i-$node
    mkdir -p "$out"
    ip netns exec "$ns" env CLUSTERNET_NODE_ID="$node" CLUSTERNET_RUN_DIR="$run" CLUSTERNET_SYSLOG=none \
      sh "$HERE/krgboot_helper" "$ETC" "$order" "$out" >"$out/boot.log" 2>&1 &
    helper[$node]=$!
  done
  declare -A status=()
  for node in "${!helper[@]}"; do
    status[$node]=0
    wait "${helper[$node]}" || status[$node]=$?
    pid[$node]=$(cat "$WORK/$i-$node/pid" 2>/dev/null || echo 0)
    containers+=("${pid[$node]}")
  done
  for node in $(printf '%s\n' "${!helper[@]}" | sort -n); do
    out=$WORK/$i-$node p=${pid[$node]}
    if [ "${status[$node]}" != 0 ] || [ -n "${KRG_SHOW_LOGS:-}" ]; then
      for f in boot.log post.log init.log; do echo "--- boot $i node $node $f" >&2; cat "$out/$f" >&2 || true; done
    fi
    waited=no
    grep -q 'waiting up to' "$out/init.log" && waited=yes
    link=$(in_container "$p" ip -d -o link show dev krg0 2>/dev/null || true)
    kind=$(grep -oE 'vlan protocol 802.1Q id [0-9]+|macvlan mode [a-z]+' <<<"$link" | tr ' ' _ || true)
    mac=$(grep -oE 'link/ether [0-9a-f:]+' <<<"$link" | cut -d' ' -f2 || true)
    addrs=$(in_container "$p" ip -o -4 address show dev krg0 2>/dev/null | awk '{print $4}' | sort | joined)
    routes=$(in_container "$p" ip -4 route show dev krg0 proto kernel 2>/dev/null | awk '{print $1}' | sort | joined)
    started=$(awk '$2 == "krg0" && $3 == "inet" {print $4}' "$out/started" 2>/dev/null | sort | joined)
    ping=-
    for other in "${!pid[@]}"; do
      [ "$other" = "$node" ] && continue
      to=$(in_container "${pid[$other]}" ip -o -4 address show dev krg0 2>/dev/null | awk '{print $4}' | head -1)
      to=${to%/*}
      if [ -n "$to" ] && in_container "$p" ping -c 1 -W 2 -q "$to" >/dev/null 2>&1; then ping=ok; else ping=fail; fi
    done
    echo "boot=$i order=$order node=$node status=${status[$node]} waited=$waited kind=${kind:--} mac=${mac:--} addrs=$addrs routes=$routes started=$started ping=$ping"
  done
  awk -v i="$i" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "took boot %d: %.1f s\n", i, b - a }'
  stop_containers
  unset helper pid status
done
