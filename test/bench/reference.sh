#!/bin/sh
# The benchmark's reference: the same node brought up the Kerrighed way, one `ip`,
# `iptables`, `nft` or `sysctl` process per command, no checks, no batching.
# It reaches the end state clusternet's hooks reach for that node (test/bench/bench.ts
# compares the two). POSIX sh; the node's values come already derived, as shell
# assignments in the file named by $REFCONF:
#   PHYS VIRT VIRTMAC VIRTADDR     the lower device, the link, its MAC and address/prefix
#   LINK VLANID                    macvlan | vlan, and the VLAN id (vlan only)
#   TOTAL LOCAL SEED CLUSTERMAC    the hash: nodes, this node's bucket, seed, the cluster MAC
#   CLUSTERADDRS                   "name:address name:address ..." (k cluster addresses)
#   BACKEND                        cluster-match | nft
#
#   reference.sh boot-pre                 host, before the container exists
#   reference.sh boot-post NETNS_OR_PID   host, container just created
#   reference.sh init-pre                 inside the container
#   reference.sh init-post                inside the container
#   reference.sh takeover NODE            inside a survivor: answer for NODE's bucket too
#   reference.sh release NODE             inside the survivor: stop answering for it
set -e
. "${REFCONF:?REFCONF names the node's values}"

phase=$1
case $phase in
boot-pre)
	# A macvlan (or VLAN) needs its lower device up.
	ip link set dev "$PHYS" up
	;;
boot-post)
	# Kerrighed: ip link add …; ip link set … mtu; ip link set … netns $PID.
	# The MTU is the lower device's (- 4 for a VLAN tag); read from ip, as /sys may show
	# another netns's devices.
	line=$(ip -o link show dev "$PHYS")
	mtu=${line#* mtu }
	mtu=${mtu%% *}
	if [ "$LINK" = vlan ]; then
		mtu=$((mtu - 4))
		ip link add link "$PHYS" name "$VIRT" address "$VIRTMAC" type vlan id "$VLANID"
	else
		ip link add link "$PHYS" name "$VIRT" address "$VIRTMAC" type macvlan mode bridge
	fi
	ip link set dev "$VIRT" mtu "$mtu" alias clusternet
	ip link set dev "$VIRT" netns "$2"
	;;
init-pre)
	ip link set dev lo up
	ip address add "$VIRTADDR" dev "$VIRT"
	ip link set dev "$VIRT" up
	;;
init-post)
	if [ "$BACKEND" = nft ]; then
		nft add table inet clusternet
		nft add chain inet clusternet prerouting '{ type filter hook prerouting priority mangle; policy accept; }'
		nft add table arp clusternet
		nft add chain arp clusternet output '{ type filter hook output priority filter; policy accept; }'
		for spec in $CLUSTERADDRS; do
			name=${spec%%:*}
			addr=${spec#*:}
			nft add set inet clusternet "b_$name" "{ typeof numgen inc mod $TOTAL; }"
			nft add element inet clusternet "b_$name" "{ $((LOCAL - 1)) }"
			nft add chain inet clusternet "c_$name"
			nft add rule inet clusternet "c_$name" jhash ct original ip saddr mod "$TOTAL" seed "$SEED" "@b_$name" meta pkttype set host return
			nft add rule inet clusternet "c_$name" drop
			nft add rule inet clusternet prerouting iifname "\"$VIRT\"" ip daddr "$addr" jump "c_$name" comment "\"$name\""
			nft add rule arp clusternet output oifname "\"$VIRT\"" arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ip "$addr" arp saddr ether set "$CLUSTERMAC" comment "\"$name\""
		done
	else
		iptables -w -t mangle -N CLUSTERNET
		# ARP replies for the address carry the cluster MAC: an nftables arp table, as
		# clusternet's cluster-match backend keeps it (lib/clusterip/nft.ts XT_ARP_TABLE).
		nft add table arp clusternet_xt
		nft add chain arp clusternet_xt output '{ type filter hook output priority filter; policy accept; }'
		for spec in $CLUSTERADDRS; do
			name=${spec%%:*}
			addr=${spec#*:}
			iptables -w -t mangle -N "CLUSTERNET-$name"
			iptables -w -t mangle -A CLUSTERNET -d "$addr/32" -i "$VIRT" -m comment --comment "clusternet:$name" -j "CLUSTERNET-$name"
			iptables -w -t mangle -A "CLUSTERNET-$name" -m cluster --cluster-total-nodes "$TOTAL" --cluster-local-node "$LOCAL" --cluster-hash-seed "$SEED" -m comment --comment "clusternet:$name" -j RETURN
			iptables -w -t mangle -A "CLUSTERNET-$name" -m comment --comment "clusternet:$name" -j DROP
			nft add rule arp clusternet_xt output oifname "\"$VIRT\"" arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ip "$addr" arp saddr ether set "$CLUSTERMAC" comment "\"$name\""
		done
		iptables -w -t mangle -I PREROUTING 1 -m comment --comment clusternet -j CLUSTERNET
	fi
	sysctl -q -w net.netfilter.nf_conntrack_tcp_loose=0
	ip maddr add "$CLUSTERMAC" dev "$VIRT"
	for spec in $CLUSTERADDRS; do
		ip address add "${spec#*:}/32" dev "$VIRT"
	done
	;;
takeover | release)
	# One rule per address, as a person would type it (the main address here).
	name=${CLUSTERADDRS%%:*}
	if [ "$BACKEND" = nft ]; then
		verb=add
		[ "$phase" = release ] && verb=delete
		nft "$verb" element inet clusternet "b_$name" "{ $(($2 - 1)) }"
	elif [ "$phase" = takeover ]; then
		iptables -w -t mangle -I "CLUSTERNET-$name" 1 -m cluster --cluster-total-nodes "$TOTAL" --cluster-local-node "$2" --cluster-hash-seed "$SEED" -m comment --comment "clusternet:$name" -j RETURN
	else
		iptables -w -t mangle -D "CLUSTERNET-$name" -m cluster --cluster-total-nodes "$TOTAL" --cluster-local-node "$2" --cluster-hash-seed "$SEED" -m comment --comment "clusternet:$name" -j RETURN
	fi
	;;
*)
	echo "usage: reference.sh boot-pre | boot-post NETNS_OR_PID | init-pre | init-post | takeover NODE | release NODE" >&2
	exit 2
	;;
esac
