#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Idempotent install of the Debian packages tier_ext needs to build and test
# (libvirt's daemon without libvirt-daemon-system: selftests/vmm/libvirt.sh
# runs a private libvirtd; no service is installed or started).
# It never replaces the system's QEMU: the project runs the QEMU that make qemu
# builds under build/ (with Debian's firmware packages, whatever their release).
# On Debian 12 (bookworm) libbpf-dev, bpftool and meson, and only they (with
# what their versions depend on), come from bookworm-backports: apt is asked
# for PKG/bookworm-backports, no release is made the default (linux-source-6.12
# comes from there too: it is in no other bookworm suite).
#   install-deps.sh [bench]   bench: also the benchmark suite's applications
#   install-deps.sh --list [bench]  print the packages it would install, one per line
set -euo pipefail

pkgs_common=(build-essential flex bison bc cpio rsync xz-utils kmod libelf-dev libssl-dev
	     zlib1g-dev pkg-config dwarves ccache clang llvm libclang-rt-dev libnuma-dev libjson-c-dev numactl python3 python3-ply
	     man-db bash-completion
	     libglib2.0-dev linux-source-6.12 stress-ng
	     dpkg-dev ninja-build libpixman-1-dev libfdt-dev python3-venv
	     seabios ipxe-qemu qemu-system-data
	     libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu)
# libclang-rt-dev: clang's sanitizer and libFuzzer runtimes (make fuzz), only
# recommended by clang, and apt is told --no-install-recommends
# libbpf >= 1.4 (struct_ops link update), bpftool >= 7.4, meson >= 1.5 (QEMU 10.0)
pkgs_backports=(libbpf-dev bpftool meson)
# the benchmark suite runs them in the guest (whose root is the host's)
pkgs_bench=(redis-server redis-tools sqlite3 liblinear-tools gnuplot-nox)
list=
[ "${1-}" != --list ] || { list=1; shift; }
case ${1-} in
bench) pkgs_common+=("${pkgs_bench[@]}") ;;
"") ;;
*) echo "install-deps: unknown argument '$1' (usage: install-deps.sh [--list] [bench])" >&2; exit 2 ;;
esac
if [ -n "$list" ]; then
	printf '%s\n' "${pkgs_common[@]}" "${pkgs_backports[@]}"
	exit 0
fi

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			echo "$p"
	done
}

new_enough() {
	local v
	v=$(dpkg-query -W -f='${Version}' libbpf-dev 2>/dev/null) || return 1
	dpkg --compare-versions "$v" ge 1:1.4 || return 1
	v=$(dpkg-query -W -f='${Version}' bpftool 2>/dev/null) || return 1
	dpkg --compare-versions "$v" ge 7.4 || return 1
	v=$(dpkg-query -W -f='${Version}' meson 2>/dev/null) || return 1
	dpkg --compare-versions "$v" ge 1.5 || return 1
}

if [ -z "$(missing "${pkgs_common[@]}" "${pkgs_backports[@]}")" ] && new_enough; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages; run as root: $0" >&2
	exit 1
fi

. /etc/os-release
suffix=
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
	src=/etc/apt/sources.list.d/tier-ext-backports.sources
	if [ ! -f "$src" ]; then
		cat > "$src" <<EOS
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	fi
	suffix=/bookworm-backports
fi

export DEBIAN_FRONTEND=noninteractive
# Other configured repositories may be unreachable; the Debian ones are what we need.
apt-get update -qq || echo "install-deps: apt-get update reported errors, continuing" >&2
# redis-server's package starts a system service: not on the host
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${pkgs_common[@]}" >/dev/null
apt-get install -y -qq --no-install-recommends "${pkgs_backports[@]/%/$suffix}" >/dev/null
if ! new_enough; then
	echo "install-deps: libbpf-dev >= 1.4, bpftool >= 7.4 and meson >= 1.5 are required" >&2
	exit 1
fi
echo "install-deps: done"
