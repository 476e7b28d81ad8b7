// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_cost - guest instructions per userfaultfd ioctl, per memory type
 *
 * Under QEMU's instruction clock (-icount shift=0) the guest TSC advances
 * one tick per guest instruction, so rdtsc around a system call counts the
 * instructions the kernel spends in it.  make bench-ioctls boots the stock
 * and the patched bench kernels with it; the difference locates what
 * make bench's round trips only show in total.
 *
 * Each case makes NR_CALLS calls on a fresh mapping, one page each (bulk:
 * NR_BULK calls of BULK_PAGES pages, per page) and prints the median:
 *
 *   COST <case> <median instructions> min=<x>
 *
 * Without -icount the numbers are TSC ticks, not instructions.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

#include <linux/userfaultfd.h>

#define PS		4096UL
#define NR_CALLS	512
#define NR_BULK		8
#define BULK_PAGES	1024

static uint64_t t[NR_CALLS];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, int n)
{
	qsort(t, n, sizeof(t[0]), cmp_u64);
	printf("COST %-16s %8llu min=%llu\n", name, (unsigned long long)t[n / 2],
	       (unsigned long long)t[0]);
	fflush(stdout);
}

static int uffd_open(char *p, size_t len, int mode)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (unsigned long)p, len }, .mode = mode,
	};
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (mode & UFFDIO_REGISTER_MODE_MINOR)
		api.features = UFFD_FEATURE_MINOR_SHMEM;
	if (fd < 0 || ioctl(fd, UFFDIO_API, &api))
		die("userfaultfd");
	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	return fd;
}

/* A shared memfd mapping of @len bytes; *@mfd keeps the file */
static char *shmem_map(size_t len, int *mfd)
{
	char *p;

	*mfd = memfd_create("ioctl_cost", 0);
	if (*mfd < 0 || ftruncate(*mfd, len))
		die("memfd");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *mfd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* One page per UFFDIO_COPY or UFFDIO_ZEROPAGE into fresh memory */
static void fill_one_page(const char *name, bool shmem, bool zero, const char *src)
{
	size_t len = NR_CALLS * PS;
	int mfd = -1, fd, i;
	char *p;

	p = shmem ? shmem_map(len, &mfd) :
		mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	fd = uffd_open(p, len, UFFDIO_REGISTER_MODE_MISSING);
	for (i = 0; i < NR_CALLS; i++) {
		struct uffdio_copy copy = {
			.dst = (unsigned long)p + i * PS, .src = (unsigned long)src, .len = PS,
		};
		struct uffdio_zeropage zp = { .range = { (unsigned long)p + i * PS, PS } };
		uint64_t t0 = __rdtsc();

		if (zero ? ioctl(fd, UFFDIO_ZEROPAGE, &zp) : ioctl(fd, UFFDIO_COPY, &copy))
			die(name);
		t[i] = __rdtsc() - t0;
	}
	report(name, NR_CALLS);
	munmap(p, len);
	close(fd);
	if (mfd >= 0)
		close(mfd);
}

/* UFFDIO_CONTINUE of pages cached through a second mapping */
static void shmem_continue(void)
{
	size_t len = NR_CALLS * PS;
	int mfd, fd, i;
	char *p = shmem_map(len, &mfd), *q;

	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (q == MAP_FAILED)
		die("mmap");
	for (i = 0; i < NR_CALLS; i++)
		q[i * PS] = 1;
	fd = uffd_open(p, len, UFFDIO_REGISTER_MODE_MINOR);
	for (i = 0; i < NR_CALLS; i++) {
		struct uffdio_continue cont = { .range = { (unsigned long)p + i * PS, PS } };
		uint64_t t0 = __rdtsc();

		if (ioctl(fd, UFFDIO_CONTINUE, &cont))
			die("UFFDIO_CONTINUE");
		t[i] = __rdtsc() - t0;
	}
	report("shmem-continue", NR_CALLS);
	munmap(q, len);
	munmap(p, len);
	close(fd);
	close(mfd);
}

/* One UFFDIO_COPY of BULK_PAGES pages, per page */
static void shmem_bulk(const char *src)
{
	size_t len = BULK_PAGES * PS;
	int r;

	for (r = 0; r < NR_BULK; r++) {
		int mfd, fd;
		char *p = shmem_map(len, &mfd);
		struct uffdio_copy copy = {
			.dst = (unsigned long)p, .src = (unsigned long)src, .len = len,
		};
		uint64_t t0;

		fd = uffd_open(p, len, UFFDIO_REGISTER_MODE_MISSING);
		t0 = __rdtsc();
		if (ioctl(fd, UFFDIO_COPY, &copy))
			die("bulk UFFDIO_COPY");
		t[r] = (__rdtsc() - t0) / BULK_PAGES;
		munmap(p, len);
		close(fd);
		close(mfd);
	}
	report("shmem-bulk/page", NR_BULK);
}

int main(void)
{
	char *src = mmap(NULL, BULK_PAGES * PS, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (src == MAP_FAILED)
		die("mmap");
	memset(src, 0x5a, BULK_PAGES * PS);
	fill_one_page("anon-copy", false, false, src);
	fill_one_page("anon-zeropage", false, true, src);
	fill_one_page("shmem-copy", true, false, src);
	fill_one_page("shmem-zeropage", true, true, src);
	shmem_continue();
	shmem_bulk(src);
	return 0;
}
