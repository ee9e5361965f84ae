# SPDX-License-Identifier: GPL-2.0
# tier_ext: build the guest kernel, the BPF policies, tierctl and the
# selftests, and run the selftests in a tiered VM. See README.md.

BUILD		:= build
KOBJ		:= $(BUILD)/kernel
KSRC		:= $(BUILD)/linux
VMLINUX		:= $(KOBJ)/vmlinux
VMLINUX_H	:= $(BUILD)/include/vmlinux.h
# The kernel BTF the BPF programs are compiled against: the project's
# kernel, or KERNEL_BTF=FILE, another tier_ext kernel's (the running one's:
# make bpf KERNEL_BTF=/sys/kernel/btf/vmlinux), and then no kernel is built.
KERNEL_BTF	?=
BTF_FILE	:= $(or $(KERNEL_BTF),$(VMLINUX))
KSFT_DIR	:= $(KSRC)/tools/testing/selftests

CC		:= gcc
CLANG		?= clang
BPFTOOL		?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
CFLAGS		:= -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Ibpf-progs/include -Iloader
LIBS		:= -lbpf -lelf -lz
BPF_CFLAGS	:= -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror \
		   -I$(BUILD)/include -Ibpf-progs/include

BPF_HEADERS	:= $(wildcard bpf-progs/include/tier_ext/*.h)
POLICY_OBJS	:= $(patsubst policies/%.bpf.c,$(BUILD)/policies/%.bpf.o,$(wildcard policies/*.bpf.c))
TEST_BPF_OBJS	:= $(patsubst selftests/progs/%.bpf.c,$(BUILD)/selftests/progs/%.bpf.o,$(wildcard selftests/progs/*.bpf.c))
TEST_PROGS	:= $(patsubst selftests/%.c,$(BUILD)/selftests/%,$(wildcard selftests/*.c))
LOADER_SRCS	:= loader/policy.c loader/policy.h loader/memtier.h $(BPF_HEADERS)

.PHONY: FORCE all deps kernel kselftest qemu host-tools vmm-initrd bpf loader selftests install check demo checkpatch bisect-check testbed workloads bench bench-full bench-quick bench-virt fuzz clean distclean

all: bpf loader selftests host-tools

# Packages; idempotent and quick when everything is installed.
deps:
	@scripts/install-deps.sh

kernel: deps
	@scripts/build-kernel.sh

# QEMU 10.0 with vmm-patch/ (per-node balloon), x86_64-softmmu only.
qemu: deps
	@scripts/build-qemu.sh

# Host tools: tierhost resizes the tiers of running VMs over QMP.
host-tools: $(BUILD)/bin/tierhost

HOST_SRCS	:= host/qmp.c host/plan.c host/parse.c
HOST_HDRS	:= host/qmp.h host/plan.h host/parse.h

$(BUILD)/bin/tierhost: host/tierhost.c $(HOST_SRCS) $(HOST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(CFLAGS) -o $@ host/tierhost.c $(HOST_SRCS) -ljson-c

bpf: $(if $(KERNEL_BTF),deps,kernel)
	@$(MAKE) --no-print-directory $(POLICY_OBJS) $(TEST_BPF_OBJS)

loader: deps
	@$(MAKE) --no-print-directory $(BUILD)/bin/tierctl $(BUILD)/bin/hotset

selftests: bpf loader
	@$(MAKE) --no-print-directory $(TEST_PROGS)

# tierctl, tierhost, the policies (where tierctl looks: ../lib/tier_ext/
# policies from its binary), the BPF headers for writing policies, the man
# page, bash completion, systemd units and their /etc/default examples.
# PREFIX and DESTDIR as usual; builds nothing.
PREFIX		?= /usr/local
INSTALL		?= install
install:
	@for f in $(BUILD)/bin/tierctl $(BUILD)/bin/tierhost $(POLICY_OBJS); do \
		[ -e $$f ] || { echo "install: $$f is missing (run: make all)" >&2; exit 1; }; done
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/tier_ext/policies \
		$(DESTDIR)$(PREFIX)/include/tier_ext $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	$(INSTALL) -m 755 $(BUILD)/bin/tierctl $(BUILD)/bin/tierhost $(DESTDIR)$(PREFIX)/bin/
	$(INSTALL) -m 644 $(POLICY_OBJS) $(DESTDIR)$(PREFIX)/lib/tier_ext/policies/
	$(INSTALL) -m 644 $(BPF_HEADERS) $(DESTDIR)$(PREFIX)/include/tier_ext/
	$(INSTALL) -m 644 loader/tierctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	$(INSTALL) -m 644 loader/tierctl.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tierctl
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/tier_ext
	for u in tier-ext tierhost; do \
		sed 's|@BINDIR@|$(PREFIX)/bin|g' loader/systemd/$$u.service.in > $(DESTDIR)$(PREFIX)/lib/systemd/system/$$u.service && \
		$(INSTALL) -m 644 loader/systemd/$$u.default $(DESTDIR)$(PREFIX)/share/tier_ext/$$u.default || exit 1; \
	done

# Boot the tiered VM, run the hot-set workload under static, swap demeter in.
demo: bpf loader qemu
	@scripts/demo.sh

# The series' kselftest target (tools/testing/selftests/tier_ext, kernel-patch
# 0035): built here against the kernel's BTF and the tree's libbpf into
# build/kernel/kselftest/tier_ext; make check runs it in the main VM through
# the kernel's runner (make -C tools/testing/selftests TARGETS=tier_ext run_tests).
kselftest: kernel
	@$(MAKE) --no-print-directory -s -C $(KSFT_DIR) TARGETS=tier_ext \
		O=$(abspath $(KOBJ)) VMLINUX_BTF=$(abspath $(VMLINUX))

# Host-side checks, every selftest inside a booted tiered VM, the testbed check.
check: selftests kselftest testbed qemu host-tools vmm-initrd $(BUILD)/bin/ballast $(BUILD)/bin/gups $(BUILD)/bin/faultclock
	@scripts/run-checks.sh

# which BTF vmlinux.h came from: switching KERNEL_BTF regenerates it
$(BUILD)/include/btf-source: FORCE
	@mkdir -p $(dir $@)
	@echo "$(abspath $(BTF_FILE))" | cmp -s - $@ || echo "$(abspath $(BTF_FILE))" > $@

$(VMLINUX_H): $(BTF_FILE) $(BUILD)/include/btf-source
	@mkdir -p $(dir $@)
	@$(BPFTOOL) btf dump file $< format raw | grep -q "STRUCT 'tier_ext_ops'" || { \
		echo "bpf: $< has no struct tier_ext_ops: that kernel lacks tier_ext (README.md, \"Your own kernel\")" >&2; exit 1; }
	$(BPFTOOL) btf dump file $< format c > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; touch $@; else mv $@.tmp $@; fi

# policies/*.bpf.h: code that some policies share (not installed)
$(BUILD)/policies/%.bpf.o: policies/%.bpf.c $(BPF_HEADERS) $(wildcard policies/*.bpf.h) $(VMLINUX_H)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/selftests/progs/%.bpf.o: selftests/progs/%.bpf.c $(BPF_HEADERS) $(VMLINUX_H)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bin/tierctl: loader/tierctl.c $(LOADER_SRCS)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(CFLAGS) -o $@ loader/tierctl.c loader/policy.c $(LIBS) -ljson-c -lnuma

$(BUILD)/bin/hotset: bench/workloads/hotset.c bench/workloads/hotset.h loader/memtier.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) -o $@ $< -lnuma -lpthread

# The benchmark suite's own workloads (bench/workloads/*.c but hotset).
WORKLOADS	:= $(filter-out $(BUILD)/bin/hotset,$(patsubst bench/workloads/%.c,$(BUILD)/bin/%,$(wildcard bench/workloads/*.c)))

$(BUILD)/bin/%: bench/workloads/%.c bench/workloads/workload.h loader/memtier.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) -o $@ $< -lnuma -lm

# faultclock: guest time in NUMA hint faults and scans (bench/faultclock/),
# one binary with its BPF object embedded (a libbpf skeleton).
$(BUILD)/faultclock/faultclock.bpf.o: bench/faultclock/faultclock.bpf.c $(VMLINUX_H)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/faultclock/faultclock.skel.h: $(BUILD)/faultclock/faultclock.bpf.o
	$(BPFTOOL) gen skeleton $< name faultclock_bpf > $@

$(BUILD)/bin/faultclock: bench/faultclock/faultclock.c $(BUILD)/faultclock/faultclock.skel.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(CFLAGS) -I$(BUILD)/faultclock -o $@ $< $(LIBS)

# Selftests use the kernel tree's kselftest_harness.h (GNU C), whose macros
# compare mixed signedness and leave parameters unused; GCC mistakes its
# setjmp-guarded fork for a clobber when a test body is inlined.
$(BUILD)/selftests/%: selftests/%.c selftests/tier_test.h bench/workloads/hotset.h $(LOADER_SRCS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) -Wno-sign-compare -Wno-unused-parameter -Wno-clobbered -I$(KSFT_DIR) -Iselftests -Ibench/workloads -o $@ $< loader/policy.c $(LIBS) -lpthread -lnuma -ljson-c

# tierhost's QMP client and CLI, on the host, against a fake QMP server.
$(BUILD)/selftests/tierhost_test: selftests/tierhost_test.c host/qmp.c host/qmp.h host/plan.c host/plan.h host/parse.c host/parse.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) -Wno-sign-compare -Wno-unused-parameter -I$(KSFT_DIR) -Ihost -o $@ $< host/qmp.c host/plan.c host/parse.c -lpthread -ljson-c

# The migration test's guest: an initrd whose init prints each node's MemTotal.
vmm-initrd: $(BUILD)/vmm/initrd.cpio.gz

$(BUILD)/vmm/initrd.cpio.gz: selftests/vmm/migrate_init.c
	@rm -rf $(BUILD)/vmm/root && mkdir -p $(BUILD)/vmm/root/dev
	$(CC) -static -O2 -Wall -Wextra -Werror -o $(BUILD)/vmm/root/init $<
	@mknod $(BUILD)/vmm/root/dev/console c 5 1
	@cd $(BUILD)/vmm/root && find . | cpio -o -H newc --quiet | gzip > ../initrd.cpio.gz

# The TCG plugin that measures placement and charges the memory model
# (bench/testbed/); built against make qemu's plugin API (vmm-patch/0006).
testbed: deps qemu $(BUILD)/bin/tier_access.so

QEMU_PLUGIN_H	:= $(BUILD)/qemu-src/include/qemu/qemu-plugin.h
$(QEMU_PLUGIN_H):
	@scripts/build-qemu.sh

# Plugin callbacks have fixed signatures: unused parameters are expected.
$(BUILD)/bin/tier_access.so: bench/testbed/tier_access.c $(QEMU_PLUGIN_H)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) -Wno-unused-parameter -fPIC -shared -I$(dir $(QEMU_PLUGIN_H)) \
		$$(pkg-config --cflags glib-2.0) -o $@ $< $$(pkg-config --libs glib-2.0)

# The benchmark suite (bench/README.md): gups and pagerank under every
# contender, 3 seeds, in the virtual-time testbed (two VMs side by side:
# icount runs a VM on one thread; bench/results/2026-12-01-final took about
# 154 minutes beside other work); bench-full: also btree and xsbench
# (several hours); bench-quick: gups under static and demeter; bench-virt:
# the virtualized cloud, KVM guests in a tiered host VM (bench/virt.sh).
workloads: $(WORKLOADS) $(BUILD)/bin/faultclock

bench: bpf loader testbed workloads
	@scripts/install-deps.sh bench
	@bench/run.sh

bench-full: bpf loader testbed workloads
	@scripts/install-deps.sh bench
	@bench/run.sh --workloads gups,pagerank,btree,xsbench

bench-quick: bpf loader testbed workloads
	@scripts/install-deps.sh bench
	@bench/run.sh --quick

bench-virt: bpf loader testbed workloads host-tools
	@scripts/install-deps.sh bench
	@bench/virt.sh

# libFuzzer targets for the parsers of untrusted input (fuzz/fuzz_*.c, with
# ASan and UBSan): each runs FUZZ_SECONDS from its seeds in fuzz/corpus/ and
# what earlier runs found in $(BUILD)/fuzz/corpus/, with fuzz/NAME.dict if
# there is one; fails if any finds a crash, a leak or a sanitizer report
# (the input in $(BUILD)/fuzz/artifacts/NAME/, the log in $(BUILD)/fuzz/NAME.log).
# Not part of make check.
FUZZ_SECONDS	?= 60
FUZZ_CC		?= clang
FUZZ_CFLAGS	:= -g -O1 -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE \
		   -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		   -Ibpf-progs/include -Iloader -Ihost
FUZZ_NAMES	:= $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))

fuzz: $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_NAMES))
	@fail=; for t in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/artifacts/$$t; \
		dict=; [ ! -f fuzz/$$t.dict ] || dict=-dict=fuzz/$$t.dict; \
		if $(BUILD)/fuzz/fuzz_$$t $$dict -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/artifacts/$$t/ $(BUILD)/fuzz/corpus/$$t \
			fuzz/corpus/$$t > $(BUILD)/fuzz/$$t.log 2>&1; then \
			echo "fuzz: $$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' \
				$(BUILD)/fuzz/$$t.log) runs in $(FUZZ_SECONDS) s, nothing found"; \
		else \
			echo "fuzz: $$t FAILED: $$(grep -m1 -E '^(SUMMARY|==[0-9]+== ?ERROR)' \
				$(BUILD)/fuzz/$$t.log) (see $(BUILD)/fuzz/$$t.log)" >&2; fail=1; \
		fi; \
	done; [ -z "$$fail" ]

$(BUILD)/fuzz/fuzz_tierctl_param: fuzz/fuzz_tierctl_param.c $(LOADER_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< loader/policy.c $(LIBS)

$(BUILD)/fuzz/fuzz_qmp: fuzz/fuzz_qmp.c host/qmp.c host/qmp.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< -ljson-c

$(BUILD)/fuzz/fuzz_tierhost_%: fuzz/fuzz_tierhost_%.c $(HOST_SRCS) $(HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(HOST_SRCS) -ljson-c

clean:
	rm -rf $(BUILD)/bin $(BUILD)/policies $(BUILD)/selftests $(BUILD)/include $(BUILD)/vm $(BUILD)/fuzz

distclean:
	rm -rf $(BUILD)

# every patch of the kernel series compiles and links on its own
# (scripts/bisect-check.sh; about a minute per patch)
bisect-check: kernel
	@scripts/bisect-check.sh

# checkpatch.pl --strict over the kernel series, run inside the unpacked
# tree (outside a kernel tree it misreads patches). FILE_PATH_CHANGES is
# ignored: it asks for a MAINTAINERS change in every patch that adds a file,
# and patch 0001's entry (F: mm/tier_ext/) already covers those files.
checkpatch: kernel
	@for p in kernel-patch/*.patch; do \
		(cd $(KSRC) && PATH=/usr/bin:$$PATH scripts/checkpatch.pl --strict -q \
			--ignore FILE_PATH_CHANGES $(CURDIR)/$$p) || exit 1; \
	done; echo "checkpatch: $$(ls kernel-patch/*.patch | wc -l) patches clean"
