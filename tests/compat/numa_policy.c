// SPDX-License-Identifier: GPL-2.0
/*
 * On which NUMA node a UFFDIO_COPY places the pages it fills.
 *
 * A page filled by UFFDIO_COPY is allocated by the kernel on behalf of the
 * faulting mm, and stock 6.12 allocates it by the memory policy that a
 * fault would use: for anonymous memory the VMA's policy, else the
 * policy of the task that copies; for shmem the file's shared policy
 * (which mbind() on a mapping sets), else the copying task's.  Module
 * memory, whose folios uffd_pagecache_copy() allocates with
 * vma_alloc_folio(), must honour the VMA's policy and fall back to the
 * task's as shmem does.
 *
 * For each memory type and each node N of {0, 1}, with the process pinned
 * to a CPU of the other node so that a local allocation would land there:
 * - mbind-nodeN: 64 pages bound to N with mbind(MPOL_BIND), registered
 *   for MISSING faults and filled with UFFDIO_COPY, are all on N
 *   (move_pages() reports each page's node);
 * - task-policy-nodeN: the same without mbind() but with the task bound
 *   to N by set_mempolicy(MPOL_BIND): stock places anon and shmem pages
 *   on N, as the copying task's policy says, and module memory must too.
 *
 * Without arguments: anonymous private memory and shmem (memfd), which
 * stock has.  With --module: memory of the reference provider only
 * (/dev/uffd_sample, uffd_sample.ko of samples/userfaultfd loaded).
 * Needs two NUMA nodes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest.h"
#include "mm/vm_util.h"
#include "uffd_sample.h"
#include "compat_mem.h"

#define NPAGES		64
#define NODE_DIR	"/sys/devices/system/node/node"

static const char *const names[] = {
	[ANON] = "anon", [SHMEM] = "shmem", [MODULE] = "module",
};

static unsigned long size;
static char *src;
static cpu_set_t all_cpus;

/* No libnuma: the system calls themselves */
static long mbind_(void *p, unsigned long len, int mode,
		   const unsigned long *nodes)
{
	return syscall(__NR_mbind, p, len, mode, nodes, 8 * sizeof(*nodes), 0);
}

static long set_mempolicy_(int mode, const unsigned long *nodes)
{
	return syscall(__NR_set_mempolicy, mode, nodes,
		       nodes ? 8 * sizeof(*nodes) : 0);
}

static long move_pages_(unsigned long count, void **pages, int *status)
{
	return syscall(__NR_move_pages, 0, count, pages, NULL, status, 0);
}

/* Run on the first CPU of @node; false if it has none */
static bool pin_to(int node)
{
	char path[64], list[256];
	cpu_set_t set;
	FILE *f;
	int cpu;

	snprintf(path, sizeof(path), NODE_DIR "%d/cpulist", node);
	f = fopen(path, "r");
	if (!f)
		return false;
	cpu = fgets(list, sizeof(list), f) && list[0] >= '0' &&
	      list[0] <= '9' ? atoi(list) : -1;
	fclose(f);
	if (cpu < 0)
		return false;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

/* A userfaultfd with [p, p + size) registered for MISSING faults */
static int uffd_missing(char *p)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		ksft_exit_fail_msg("userfaultfd: %s\n", strerror(errno));
	if (uffd_register(uffd, p, size, true, false, false))
		ksft_exit_fail_msg("UFFDIO_REGISTER MISSING: %s\n",
				   strerror(errno));
	return uffd;
}

/* Fill [p, p + size) from src; 0 or an errno */
static int fill(int uffd, char *p)
{
	struct uffdio_copy copy;
	unsigned long done = 0;

	while (done < size) {
		copy = (struct uffdio_copy){
			.dst = (unsigned long)p + done,
			.src = (unsigned long)src + done, .len = size - done,
		};
		if (ioctl(uffd, UFFDIO_COPY, &copy) && errno != EAGAIN)
			return errno;
		if (copy.copy > 0)
			done += copy.copy;
	}
	return 0;
}

/*
 * Fill memory of type @t and check that every page went to @node.  With
 * @task, the task is bound to @node for the fill; else the range is.
 */
static void test_case(enum mtype t, int node, bool task)
{
	unsigned long mask = 1UL << node, i;
	int status[NPAGES], on[2] = { 0, 0 }, other = 0, uffd, fd, err;
	const char *mode = task ? "task-policy" : "mbind";
	void *pages[NPAGES];
	char *p;

	p = mem_create(t, size, "numa_policy", &fd);
	if (!p) {
		ksft_test_result_skip("%s-%s-node%d: %s: %s (module not loaded?)\n",
				      names[t], mode, node, UFFD_SAMPLE_DEV,
				      strerror(errno));
		return;
	}
	/* A local allocation goes to the other node: the policy must win */
	if (!pin_to(!node))
		ksft_exit_fail_msg("node%d has no CPU to run on: a local allocation would pass\n",
				   !node);
	if (!task && mbind_(p, size, MPOL_BIND, &mask))
		ksft_exit_fail_msg("mbind: %s\n", strerror(errno));
	uffd = uffd_missing(p);

	if (task && set_mempolicy_(MPOL_BIND, &mask))
		ksft_exit_fail_msg("set_mempolicy: %s\n", strerror(errno));
	err = fill(uffd, p);
	if (task && set_mempolicy_(MPOL_DEFAULT, NULL))
		ksft_exit_fail_msg("set_mempolicy: %s\n", strerror(errno));
	if (sched_setaffinity(0, sizeof(all_cpus), &all_cpus))
		ksft_exit_fail_perror("sched_setaffinity");

	if (!err) {
		for (i = 0; i < NPAGES; i++)
			pages[i] = p + i * psize();
		if (move_pages_(NPAGES, pages, status))
			ksft_exit_fail_msg("move_pages: %s\n", strerror(errno));
		for (i = 0; i < NPAGES; i++) {
			if (status[i] == 0 || status[i] == 1)
				on[status[i]]++;
			else
				other++;
			/* Mapped by the fill: reading cannot fault */
			if (p[i * psize()] != src[i * psize()])
				err = EIO;
		}
	}
	ksft_print_msg("%s-%s-node%d: fill: %s; pages on node0 %d, node1 %d, neither %d\n",
		       names[t], mode, node, err ? strerror(err) : "ok",
		       on[0], on[1], other);
	ksft_test_result(!err && on[node] == NPAGES, "%s-%s-node%d\n",
			 names[t], mode, node);

	close(uffd);
	munmap(p, size);
	if (fd >= 0)
		close(fd);
}

static void test_type(enum mtype t)
{
	int node;

	for (node = 0; node <= 1; node++)
		test_case(t, node, false);
	for (node = 0; node <= 1; node++)
		test_case(t, node, true);
}

int main(int argc, char **argv)
{
	bool module = argc > 1 && !strcmp(argv[1], "--module");
	unsigned long i;

	ksft_print_header();
	if (argc > 1 && !module)
		ksft_exit_fail_msg("usage: %s [--module]\n", argv[0]);
	if (access(NODE_DIR "1", F_OK))
		ksft_exit_skip("no NUMA node 1: %s\n", strerror(errno));

	size = NPAGES * psize();
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus))
		ksft_exit_fail_perror("sched_getaffinity");
	/* Wherever it lands: the source's node does not matter */
	src = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	for (i = 0; i < size; i++)
		src[i] = 1 + (i / psize()) % 251;

	ksft_set_plan(module ? 4 : 8);
	if (module) {
		test_type(MODULE);
	} else {
		test_type(ANON);
		test_type(SHMEM);
	}
	ksft_finished();
}
