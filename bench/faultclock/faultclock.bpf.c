// SPDX-License-Identifier: GPL-2.0
/*
 * faultclock: guest time spent in NUMA hint faults and in NUMA balancing's
 * scans, whoever pays it (the faulting task, the task whose task_work
 * scans). The benchmark adds it to the tiering CPU of a cell: it is not in
 * any kernel thread's CPU time.
 *
 * A hint fault is timed from numa_migrate_check() (the policy's decision:
 * upstream's, or tier_ext's ops.numa_fault()) to the return of
 * task_numa_fault() (the migration and its copy in between, mm/memory.c
 * do_numa_page() and mm/huge_memory.c do_huge_pmd_numa_page()). The
 * exception entry and the page-table lookup before it are not counted; a
 * fault that returns before task_numa_fault() (the PTE changed) is not
 * counted. A scan is task_numa_work() (kernel/sched/fair.c), entry to exit.
 * Program names start with fc_: the benchmark leaves them out of the
 * policies' BPF run time.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

/* Per CPU; user space sums them. Times in ns of the guest's clock. */
struct span {
	__u64 ns;
	__u64 count;
};

struct faultclock {
	struct span fault;
	struct span scan;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct faultclock);
} clocks SEC(".maps");

/* When the task's current fault or scan began (0: none). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} fault_start SEC(".maps"), scan_start SEC(".maps");

static __always_inline void begin(void *map)
{
	__u64 *t = bpf_task_storage_get(map, bpf_get_current_task_btf(), 0,
					BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (t)
		*t = bpf_ktime_get_ns();
}

/* Adds the ns since begin() on this task to the fault or scan span. */
static __always_inline void end(void *map, bool scan)
{
	__u64 *t = bpf_task_storage_get(map, bpf_get_current_task_btf(), 0, 0);
	struct faultclock *c;
	struct span *s;
	__u32 zero = 0;

	if (!t || !*t)
		return;
	c = bpf_map_lookup_elem(&clocks, &zero);
	if (c) {
		s = scan ? &c->scan : &c->fault;
		s->ns += bpf_ktime_get_ns() - *t;
		s->count++;
	}
	*t = 0;
}

SEC("fentry/numa_migrate_check")
int BPF_PROG(fc_fault_begin)
{
	begin(&fault_start);
	return 0;
}

SEC("fexit/task_numa_fault")
int BPF_PROG(fc_fault_end)
{
	end(&fault_start, false);
	return 0;
}

SEC("fentry/task_numa_work")
int BPF_PROG(fc_scan_begin)
{
	begin(&scan_start);
	return 0;
}

SEC("fexit/task_numa_work")
int BPF_PROG(fc_scan_end)
{
	end(&scan_start, true);
	return 0;
}
