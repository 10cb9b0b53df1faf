#!/bin/bash
# The Kerrighed-style boots in a qemu guest (test/lab/kerrighed.test.ts), where the kernel
# has 802.1q: Kerrighed's net.conf (this folder) as it is, a VLAN, NODES nodes on one
# segment (each a namespace with eth0 on a bridge), installed with install-hooks --init
# kerrighed beside a stand-in for 50kerrighed_start; then boots.sh.
# Usage (cwd = the project): bash test/kerrighed/lab.sh COUNT NODES
set -euo pipefail
COUNT=${1:-20} NODES=${2:-2}
HERE=test/kerrighed
modprobe 8021q
P=$(mktemp -d)
chmod 755 "$P"
for d in krgboot_helper-pre.d krgboot_helper-post.d krginit_helper-pre.d krginit_helper-post.d; do mkdir -p "$P/etc/kerrighed/$d"; done
cp "$HERE/50kerrighed_start" "$P/etc/kerrighed/krginit_helper-post.d/"
cp "$HERE/net.conf" "$P/etc/kerrighed/net.conf"
node dist/lib/cli/main.js install-hooks --prefix "$P" --init kerrighed
ip netns add seg
ip -n seg link add br0 type bridge
ip -n seg link set br0 up
specs=()
for n in $(seq "$NODES"); do
  ip netns add "host$n"
  ip -n seg link add "n$n" type veth peer name eth0 netns "host$n"
  ip -n seg link set "n$n" master br0 up
  mkdir -p "$P/run$n"
  specs+=("$n=host$n:$P/run$n")
done
start=$(date +%s)
bash "$HERE/boots.sh" "$P/etc" "$COUNT" "${specs[@]}"
echo "KERRIGHED-BOOTS $COUNT in $(($(date +%s) - start)) s"
