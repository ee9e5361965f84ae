#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tierhost and a libvirt-managed tiered VM (-S libvirt:DOMAIN): libvirt owns
# the VM's QMP socket, tierhost goes through virsh's QEMU monitor
# pass-through (qemu-monitor-command, qemu-monitor-event). A private
# libvirtd runs in a mount namespace of its own (/etc/libvirt, /run/libvirt
# and libvirt's state on tmpfs; QEMU runs as root, nothing relabelled), so a
# system libvirt is neither needed nor touched. The domain is the tiered VM
# as libvirt describes it (two NUMA cells, HMAT interconnects, the balloon
# with x-node-targets through <qemu:override>) under make qemu's QEMU; it
# boots the initrd whose init prints each node's MemTotal.
# TAP output; the last line is "N passed, N failed, N skipped".
#   libvirt.sh [COUNTS-FILE]
set -u
counts=${1-}
if [ -z "${TIER_LIBVIRT_NS-}" ]; then
	for t in virsh libvirtd unshare; do
		command -v $t > /dev/null && continue
		echo "ok 1 - libvirt # SKIP $t is not installed (make deps installs libvirt)"
		echo "1..1"
		echo "0 passed, 0 failed, 1 skipped"
		[ -z "$counts" ] || echo "0 0 1" > "$counts"
		exit 0
	done
	exec unshare -m --propagation private env TIER_LIBVIRT_NS=1 "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need_tools
kernel=${TIER_VM_KERNEL:-$top/build/kernel/arch/x86/boot/bzImage}
initrd=$top/build/vmm/initrd.cpio.gz
[ -r "$initrd" ] || { echo "libvirt: $initrd missing (run: make vmm-initrd)" >&2; exit 1; }
dom=tier-lv-$$
serial=$work/serial.log
export LIBVIRT_DEFAULT_URI=qemu:///system
lv() { "$tierhost" "$1" -S "libvirt:$dom" "${@:2}"; }

# The private libvirt: its configuration and state on tmpfs in this
# namespace only; QEMU's output to files (no virtlogd).
for d in /etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
	mkdir -p "$d" && mount -t tmpfs tmpfs "$d" ||
		{ echo "libvirt: cannot mount a private $d" >&2; exit 1; }
done
mkdir -p /var/lib/libvirt/qemu /var/log/libvirt/qemu /var/cache/libvirt/qemu
cat > /etc/libvirt/qemu.conf <<EOF
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
EOF
: > /etc/libvirt/libvirtd.conf
# libvirtd resolves its built-in QEMU user (Debian: libvirt-qemu, created by
# libvirt-daemon-system, which make deps does not install) before it reads
# qemu.conf: without that user the QEMU driver fails to start and no socket
# appears. Give this namespace a passwd and group that have it.
cp /etc/passwd /etc/group "$work/"
grep -q '^libvirt-qemu:' "$work/passwd" ||
	echo 'libvirt-qemu:x:0:0:libvirt QEMU (tier_ext test namespace):/var/lib/libvirt:/usr/sbin/nologin' >> "$work/passwd"
grep -q '^libvirt-qemu:' "$work/group" || echo 'libvirt-qemu:x:0:' >> "$work/group"
for f in passwd group; do
	mount --bind "$work/$f" /etc/$f || { echo "libvirt: cannot bind a private /etc/$f" >&2; exit 1; }
done
lv_stop() {
	virsh destroy "$dom" > /dev/null 2>&1
	[ ! -r "$work/libvirtd.pid" ] || kill "$(cat "$work/libvirtd.pid")" 2>/dev/null
}
trap 'lv_stop; finish' EXIT
lv_up() {
	libvirtd -d --pid-file "$work/libvirtd.pid" || return 1
	# not virsh version: it wants a system qemu-system-x86_64 (the domain
	# names make qemu's), which a machine need not have
	for _ in $(seq 150); do virsh list > /dev/null 2>&1 && return 0; sleep 0.2; done
	virsh list
}
check "a private libvirtd answers virsh" lv_up || exit

# The tiered VM as a libvirt domain: node 0 256 MiB with the vCPU, node 1
# 512 MiB without, HMAT latencies and bandwidths as tierhost topology's.
cat > "$work/dom.xml" <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$dom</name>
  <memory unit='MiB'>768</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 panic=-1</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <cpu>
    <numa>
      <cell id='0' cpus='0' memory='256' unit='MiB'/>
      <cell id='1' memory='512' unit='MiB'/>
      <interconnects>
        <latency initiator='0' target='0' type='access' value='80'/>
        <latency initiator='0' target='1' type='access' value='300'/>
        <bandwidth initiator='0' target='0' type='access' value='20' unit='GiB'/>
        <bandwidth initiator='0' target='1' type='access' value='5' unit='GiB'/>
      </interconnects>
    </numa>
  </cpu>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>$qemu</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'><source path='$serial'/><target port='0'/></serial>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>
    </memballoon>
  </devices>
  <qemu:override>
    <qemu:device alias='balloon0'>
      <qemu:frontend>
        <qemu:property name='x-node-targets' type='bool' value='true'/>
      </qemu:frontend>
    </qemu:device>
  </qemu:override>
</domain>
EOF
# node N's MemTotal in kB, from the init's latest console line
memtotal() { grep -o "node$1=[0-9]*" "$serial" 2>/dev/null | tail -1 | cut -d= -f2; }
boots() {
	local out
	out=$(virsh create "$work/dom.xml" 2>&1) || { echo "$out" | sed 's/^/#   /'; return 1; }
	for _ in $(seq 600); do [ -n "$(memtotal 1)" ] && return 0; sleep 0.2; done
	note "no MemTotal line from the guest; console:"
	tail -n 20 "$serial" | sed 's/^/#   /'
	return 1
}
check "libvirt starts the tiered domain under make qemu's QEMU" boots || exit

# tierhost show through libvirt: MiB columns as for a QMP socket
shows() {
	local out
	out=$(lv show) || return 1
	echo "$out" | sed 's/^/#   /'
	echo "$out" | awk -v d="$dom" '$1 == d && $2 == 0 && $3 == "fast" && $5 == 256 && $10 == "yes" { f = 1 }
		$1 == d && $2 == 1 && $3 == "slow" && $5 == 512 && $10 == "yes" { s = 1 } END { exit !(f && s) }'
}
check "show -S libvirt:DOMAIN: the fast node with the CPU, the slow one, guest support" shows
json_reply() {
	lv show --json | python3 -c 'import json, sys
m = json.loads(sys.stdin.readline())
nodes = m["return"]
sys.exit(0 if m["vm"] == sys.argv[1] and [n["pxm"] for n in nodes] == [0, 1] else 1)' "$dom"
}
check "show --json passes QMP's reply through libvirt (pxm included)" json_reply

# set and wait through libvirt; watch sees the events through virsh
before=$(memtotal 1)
lv watch -n 2 -t 120 > "$work/watch.out" 2>&1 &
watch=$!
sleep 2
resizes() {
	local after
	lv set --slow 384M && lv wait -t 120 || return 1
	sleep 1.5	# the init prints every 500 ms
	after=$(memtotal 1)
	note "node 1 MemTotal $((before / 1024)) -> $((after / 1024)) MiB"
	[ $((before - after)) -ge $((120 * 1024)) ] && [ $((before - after)) -le $((136 * 1024)) ]
}
check "set --slow 384M through libvirt: the guest's node 1 shrinks by 128 MiB" resizes
events() {
	wait "$watch" || return 1
	sed 's/^/#   /' "$work/watch.out"
	grep -q "node 1 target 384 actual 384 MiB" "$work/watch.out"
}
check "watch -S libvirt:DOMAIN: BALLOON_NODE_CHANGE events through virsh" events
plans() {
	local line
	line=$(lv daemon --budget 200M --min 128M --dry-run -n 3 --interval 1000 | grep -v "^#" | tail -1)
	note "daemon --dry-run: $line"
	echo "$line" | awk -v d="$dom" '$2 == d && $9 == "used" && $8 == 200 { ok = 1 } END { exit !ok }'
}
check "daemon through libvirt: balloon statistics and a plan" plans
# a reply of hundreds of KiB comes through virsh whole
big_reply() {
	lv qmp query-qmp-schema | python3 -c 'import json, sys
s = json.load(sys.stdin)
print("# query-qmp-schema: %d entries" % len(s))
sys.exit(0 if len(s) > 500 else 1)'
}
check "qmp through libvirt: query-qmp-schema's reply whole" big_reply
refuses() {
	local out rc=0
	out=$("$tierhost" show -S libvirt:no-such-domain 2>&1) || rc=$?
	echo "# $out"
	[ $rc -eq 1 ] && [ "$out" = "tierhost: libvirt:no-such-domain: failed to get domain 'no-such-domain'" ]
}
check "an unknown domain: one line, exit 1" refuses
clean() { ! kernel_log_warned "$serial"; }
check "the guest's kernel log is clean" clean
