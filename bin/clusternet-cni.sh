# clusternet-cni's start path, in sh. Sourced by bin/clusternet-cni and by the copy that
# install-hooks puts in the CNI bin folder, with cn_node (the node binary) and cn_lib (this
# folder) set.
#
# Why: a runtime starts a plugin per container and command, and a Node start alone (~30 ms)
# is more than the reference bridge + host-local take for the whole ADD. The Node plugin
# (clusternet-cni.cjs, lib/cni/plugin.ts) reads net.conf, works out the node and its range,
# and leaves what it handed the delegate in the run dir (lib/cni/cache.ts), with a record
# of everything that answer came from: the network's name, net.conf's path and its file's
# identity and times, the owners and modes of its folders, and every source of the node id.
# A later call that brings the same inputs is answered here: the runtime's config checked
# by clusternet-cni.awk, that record compared, the same delegate config built, the delegate
# run. Anything this path does not recognise, or is not sure of, goes to the Node plugin,
# which answers it (and gives the spec's errors): this path only ever answers what the Node
# plugin would.
#
# The cache steers what root hands the delegate, so it is read only from a run dir that is
# ours (a folder, not a symlink, not writable by group or others, under folders that pass
# lib/system/trust.ts's rule), as a regular file of ours not writable by others.

set -f
cn_nl='
'
cn_ifs=$IFS
cn_conf=
cn_slow() {
	exec "$cn_node" "$cn_lib/clusternet-cni.cjs" <<EOF
$cn_conf
EOF
}
# The first line of cn_out, taken off it.
cn_pop() {
	case $cn_out in
	*"$cn_nl"*) cn_line=${cn_out%%"$cn_nl"*} cn_out=${cn_out#*"$cn_nl"} ;;
	*) cn_line=$cn_out cn_out= ;;
	esac
}

# VERSION, an unknown command, or a missing variable: the Node plugin, stdin untouched.
case ${CNI_COMMAND-} in
ADD | CHECK) [ -n "${CNI_NETNS-}" ] || exec "$cn_node" "$cn_lib/clusternet-cni.cjs" ;;
DEL) ;;
*) exec "$cn_node" "$cn_lib/clusternet-cni.cjs" ;;
esac
[ -n "${CNI_CONTAINERID-}" ] && [ -n "${CNI_IFNAME-}" ] && [ -n "${CNI_PATH-}" ] || exec "$cn_node" "$cn_lib/clusternet-cni.cjs"

# Our own commands from the system's folders (command -p), not the runtime's PATH.
# The runtime's config, read by awk: mawk where there is one (it starts in half gawk's time).
cn_awk=awk
[ -x /usr/bin/mawk ] && cn_awk=/usr/bin/mawk
cn_out=$(LC_ALL=C command -p "$cn_awk" -v mode=conf -f "$cn_lib/clusternet-cni.awk")
cn_pop
if [ "$cn_line" != ok ]; then
	cn_conf=$cn_out
	cn_slow
fi
cn_pop; cn_version=${cn_line#v}
cn_pop; cn_name=${cn_line#n}
cn_pop; cn_config=${cn_line#c}
cn_pop; cn_node_flag=${cn_line#i}
cn_pop; cn_passed=${cn_line#p}
cn_conf=$cn_out

# net.conf as the Node plugin finds it: the config's "config", else CLUSTERNET_CONFIG, else
# /etc/net.conf; only a plain absolute path is taken here.
if [ -n "$cn_config" ]; then
	cn_file=$cn_config
elif [ "${CLUSTERNET_CONFIG+set}" = set ]; then
	cn_file=$CLUSTERNET_CONFIG
else
	cn_file=/etc/net.conf
fi
cn_run=${CLUSTERNET_RUN_DIR-/run/clusternet}
for cn_path in "$cn_file" "$cn_run"; do
	case $cn_path in
	/*/ | *//* | */./* | */../* | */. | */.. | *"$cn_nl"*) cn_slow ;;
	/*) ;;
	*) cn_slow ;;
	esac
done
cn_cache=$cn_run/cni-$cn_name

# The folders above a path, the nearest first: each one's entry is the line before it.
cn_above() {
	cn_above= cn_rest=$1
	while :; do
		cn_rest=${cn_rest%/*}
		[ -n "$cn_rest" ] || break
		cn_above=$cn_above$cn_rest$cn_nl
	done
	cn_above=$cn_above/
}
# One stat for all. Roles: C the cache, R the run dir, r a folder above it; F net.conf,
# f a folder above it.
cn_above "$cn_run"
cn_paths=$cn_cache$cn_nl$cn_run$cn_nl$cn_above$cn_nl
cn_roles=CR
IFS=$cn_nl
for cn_path in $cn_above; do cn_roles=${cn_roles}r; done
cn_above "$cn_file"
cn_paths=$cn_paths$cn_file$cn_nl$cn_above
cn_roles=${cn_roles}F
for cn_path in $cn_above; do cn_roles=${cn_roles}f; done
# shellcheck disable=SC2086 # split on line breaks, globbing off
set -- $cn_paths
IFS=$cn_ifs
cn_stat=$(command -p stat -c '%u %f %d %i %g %s %.9Y %.9Z' -- "$@" 2>/dev/null) || cn_slow

# What the answer comes from, field by field, each as <bytes>:<value> on a line of its
# own; lib/cni/cache.ts writes the same.
cn_material='clusternet-cni cache 1'
cn_add() { cn_material="$cn_material$cn_nl${#1}:$1"; }
cn_add "$cn_name"
cn_add "$cn_file"
cn_add "$cn_node_flag"
cn_add "${CLUSTERNET_NODE_ID-}"
cn_sysfs=
[ -e /sys/kerrighed/node_id ] && cn_sysfs=$(command -p cat /sys/kerrighed/node_id 2>/dev/null)
cn_add "$cn_sysfs"
cn_cmdline=
[ -r /proc/cmdline ] && IFS= read -r cn_cmdline </proc/cmdline
cn_add "$cn_cmdline"
cn_host=
IFS= read -r cn_host 2>/dev/null </proc/sys/kernel/hostname
cn_add "$cn_host"

# The run dir and the cache must pass here and now. net.conf and its folders go into the
# material (the file's identity, size and times; each folder's owner and mode): the Node
# plugin checked them when it wrote the cache, and any change since is another material.
[ -O "$cn_run" ] && [ -O "$cn_cache" ] || cn_slow
cn_me= cn_left=$cn_roles cn_entry=
while read -r cn_uid cn_mode cn_more; do
	cn_role=${cn_left%"${cn_left#?}"}
	cn_left=${cn_left#?}
	case $cn_role$cn_uid$cn_mode in *[!0-9a-fCRrFf]*) cn_slow ;; esac
	cn_kind=$((0x$cn_mode & 0xf000))
	cn_loose=$((0x$cn_mode & 0x12))
	case $cn_role in
	C) [ "$cn_kind" -eq 32768 ] && [ "$cn_loose" -eq 0 ] || cn_slow ;;
	R) [ "$cn_kind" -eq 16384 ] && [ "$cn_loose" -eq 0 ] || cn_slow
		cn_me=$cn_uid ;;
	F) [ "$cn_kind" -eq 32768 ] || cn_slow
		cn_add "$cn_uid $cn_mode $cn_more" ;;
	r | f)
		# lib/system/trust.ts's rule: a folder of root's or ours, closed to others, or
		# sticky (as /tmp) with the entry below it root's or ours.
		[ "$cn_kind" -eq 16384 ] && { [ "$cn_uid" = 0 ] || [ "$cn_uid" = "$cn_me" ]; } || cn_slow
		if [ "$cn_loose" -ne 0 ]; then
			[ $((0x$cn_mode & 0x200)) -ne 0 ] && { [ "$cn_entry" = 0 ] || [ "$cn_entry" = "$cn_me" ]; } || cn_slow
		fi
		[ "$cn_role" = r ] || cn_add "$cn_uid $cn_mode" ;;
	esac
	cn_entry=$cn_uid
done <<EOF
$cn_stat
EOF
[ -z "$cn_left" ] || cn_slow

# The cache: the versions passed on, the delegate's type, the bridge whose live MTU
# containers get and the MTU to give when it is absent ("-": none), the delegate's config,
# then the material it was worked out from.
{
	IFS= read -r cn_versions && IFS= read -r cn_type && IFS=' ' read -r cn_bridge cn_otherwise &&
		IFS= read -r cn_delegate || cn_slow
	cn_kept= cn_sep=
	while IFS= read -r cn_line; do
		cn_kept=$cn_kept$cn_sep$cn_line cn_sep=$cn_nl
	done
} <"$cn_cache"
[ "$cn_kept" = "$cn_material" ] || cn_slow
case " $cn_versions " in *" $cn_version "*) ;; *) cn_slow ;; esac
case $cn_type in "" | *[!A-Za-z0-9_.-]*) cn_slow ;; esac
case $cn_bridge in "" | *[!A-Za-z0-9_.-]*) cn_slow ;; esac
case $cn_delegate in '{'*'}') ;; *) cn_slow ;; esac
cn_delegate=${cn_delegate#\{}
cn_delegate=${cn_delegate%\}}
# lib/cni/conf.ts containerMtu: the bridge's MTU as sysfs shows it here, else the one given.
cn_mtu=
if [ "$cn_bridge" != - ]; then
	IFS= read -r cn_mtu 2>/dev/null <"/sys/class/net/$cn_bridge/mtu"
	case $cn_mtu in [1-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9] | [1-9][0-9][0-9][0-9][0-9] | [1-9][0-9][0-9][0-9][0-9][0-9]) ;;
	*) cn_mtu=$cn_otherwise ;;
	esac
fi
case $cn_mtu in '' | -) ;;
*[!0-9]*) cn_slow ;;
*) cn_delegate="$cn_delegate,\"mtu\":$cn_mtu" ;;
esac
cn_input="{\"cniVersion\":\"$cn_version\",\"name\":\"$cn_name\",$cn_delegate$cn_passed}"

# The delegate: the first executable of its name in CNI_PATH, as libcni finds plugins.
cn_plugin=
IFS=:
for cn_dir in $CNI_PATH; do
	[ -n "$cn_dir" ] && [ -f "$cn_dir/$cn_type" ] && [ -x "$cn_dir/$cn_type" ] && { cn_plugin=$cn_dir/$cn_type; break; }
done
IFS=$cn_ifs
[ -n "$cn_plugin" ] || cn_slow

# Run as the Node plugin runs it (lib/cni/exec.ts): its stdout kept, its stderr ours.
cn_out=$("$cn_plugin" <<EOF
$cn_input
EOF
)
cn_rc=$?
if [ "$cn_rc" -eq 0 ]; then
	printf '%s\n' "$cn_out"
	exit 0
fi
# A failed ADD leaves nothing: the delegate's DEL removes what it made (see plugin.ts).
if [ "$CNI_COMMAND" = ADD ]; then
	CNI_COMMAND=DEL "$cn_plugin" >/dev/null <<EOF
$cn_input
EOF
fi
printf '%s' "$cn_out" | LC_ALL=C command -p "$cn_awk" -v mode=error -v version="$cn_version" -v type="$cn_type" -v rc="$cn_rc" -f "$cn_lib/clusternet-cni.awk" && exit "$cn_rc"
exit 1
