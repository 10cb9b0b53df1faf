#!/usr/bin/env bash
# Set-up on a fresh Debian machine, as root: the Debian packages the hooks and the tests
# need, the npm packages, the build; then the main job on the built-in example (the lab
# demo), unless --no-demo.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  iproute2 iptables arptables nftables iputils-ping util-linux kmod   # the hooks and tests
  qemu-system-x86 busybox-static cpio                                  # the real-kernel lab
  systemd groff-base                   # unit checks (systemd-analyze), networkd, the man page
  strace time                          # npm run bench: processes per phase, peak memory
  lintian mandoc                       # the .deb's lintian check, the man pages' lint
  containernetworking-plugins          # test/cni: the reference CNI plugins (bridge, host-local…) clusternet-cni delegates to
  podman                               # test/cni: a real runtime calling clusternet-cni through its CNI backend
  corosync pacemaker pacemaker-cli-utils resource-agents libxml2-utils   # test/pacemaker: a real cluster, ocf-tester
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup: installing npm packages and building"
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent

if [ "${1:-}" != "--no-demo" ]; then
  if [ -f test/lab/demo.ts ]; then
    npm run demo --silent
  else
    node dist/lib/cli/main.js -c etc/net.conf validate
    node dist/lib/cli/main.js -c etc/net.conf show --all
  fi
fi
