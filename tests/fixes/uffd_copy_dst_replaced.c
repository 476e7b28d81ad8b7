// SPDX-License-Identifier: GPL-2.0
/*
 * UFFDIO_COPY whose destination is replaced while its source faults.
 *
 * When the copy from the source faults, UFFDIO_COPY drops its locks,
 * copies into the folio it allocated for the destination with faults
 * enabled, and tries again with that folio.  If other memory was mapped at
 * the destination meanwhile, the folio is of the wrong kind for it: stock
 * 6.12 hands it to the new memory's fill anyway, or, when the new memory is
 * hugetlbfs, returns without freeing it.  The series drops it (patch 9).
 *
 * Each round: an anonymous page registered MISSING on one userfaultfd is
 * the destination, an anonymous page registered MISSING on another the
 * source.  A thread copies; its copy faults on the source and sleeps there.
 * Meanwhile the destination becomes a huge page registered on the first
 * userfaultfd, then the source fault is resolved.  The copy then fails
 * (the huge page needs a huge copy), and a folio is leaked or not.  The
 * test counts the pages that no counter of /proc/vmstat accounts for
 * across the rounds.
 *
 * Then the other way round, in a quarter as many rounds: the destination is
 * a page of shmem, so the copy fills through the page cache, and becomes
 * private anonymous memory while the copy sleeps.  The copy must then fill
 * the anonymous page as any other, not go on as a page cache fill of
 * memory that has no page cache (which oopsed a draft of the series), and
 * the folio allocated for the shmem page must not be lost either.
 *
 * usage: uffd_copy_dst_replaced [-n ROUNDS]   (1024, after a quarter as many to warm up)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest.h"
#include "mm/vm_util.h"

#define PAGE	4096UL

static unsigned long hpage;

struct copier {
	int uffd;
	char *dst, *src;
	int err;	/* what UFFDIO_COPY failed with, or 0 */
};

static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		ksft_exit_fail_perror("userfaultfd");
	return uffd;
}

static void reg(int uffd, void *p, size_t len)
{
	struct uffdio_register r = {
		.range = { (unsigned long)p, len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &r))
		ksft_exit_fail_perror("UFFDIO_REGISTER");
}

static void *copy_fn(void *arg)
{
	struct copier *c = arg;
	struct uffdio_copy copy = {
		.dst = (unsigned long)c->dst, .src = (unsigned long)c->src,
		.len = PAGE,
	};

	c->err = ioctl(c->uffd, UFFDIO_COPY, &copy) ? errno : 0;
	return NULL;
}

/* The pages on the per-CPU free lists, which nr_free_pages leaves out */
static long pcp_pages(void)
{
	char line[128];
	long n = 0, v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &v) == 1)
			n += v;
	if (f)
		fclose(f);
	return n;
}

/*
 * Pages that no counter accounts for: not free (in the buddy allocator or
 * on the per-CPU lists), not slab, page table, kernel stack, anonymous or
 * file memory.  A leaked folio shows here, and little else does: the
 * slabs grow on their own, more so on a KASAN kernel, whose quarantine
 * keeps freed objects for a while.
 */
static long pages_unaccounted(void)
{
	static const char * const names[] = {
		"nr_free_pages", "nr_slab_reclaimable", "nr_slab_unreclaimable",
		"nr_page_table_pages", "nr_anon_pages", "nr_file_pages",
	};
	long sum = pcp_pages(), stack_kb = -1, v;
	char line[128], name[64];
	int found = 0;
	FILE *f = fopen("/proc/vmstat", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", name, &v) != 2)
			continue;
		if (!strcmp(name, "nr_kernel_stack"))
			stack_kb = v;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(name, names[i])) {
				sum += v;
				found++;
			}
	}
	if (f)
		fclose(f);
	if (found != sizeof(names) / sizeof(names[0]) || stack_kb < 0)
		ksft_exit_fail_msg("/proc/vmstat lacks a counter\n");
	if (getenv("CDR_DEBUG"))
		ksft_print_msg("accounted %ld pages, pcp %ld, stacks %ld kB\n",
			       sum, pcp_pages(), stack_kb);
	return -sum - stack_kb / 4;
}

/* What is mapped at the destination before and while the copy sleeps */
enum dst_kind {
	DST_ANON,	/* a private anonymous page */
	DST_HUGE,	/* a private anonymous huge page */
	DST_SHMEM,	/* a shared page of a memfd: filled through its page cache */
};

/* Map @kind at @area, registered for MISSING faults on @uffd */
static void map_dst(char *area, int uffd, enum dst_kind kind)
{
	size_t len = kind == DST_HUGE ? hpage : PAGE;
	int fd = -1, flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;

	if (kind == DST_HUGE)
		flags |= MAP_HUGETLB;
	if (kind == DST_SHMEM) {
		fd = memfd_create("dst", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, PAGE))
			ksft_exit_fail_perror("memfd");
		flags = MAP_SHARED | MAP_FIXED;
	}
	if (mmap(area, len, PROT_READ | PROT_WRITE, flags, fd, 0) != area)
		ksft_exit_fail_perror("mmap destination");
	if (fd >= 0)
		close(fd);
	reg(uffd, area, len);
}

/*
 * One round: a copy into @from at @area, whose source faults, finds @to
 * there when it retries.  Returns what the copy failed with, 0 if it
 * worked, -1 if it worked but the page does not hold the source's data.
 */
static int round_once(char *area, int uffd_dst, int uffd_src, char *fill,
		      enum dst_kind from, enum dst_kind to)
{
	struct pollfd pfd = { .fd = uffd_src, .events = POLLIN };
	struct copier c = { .uffd = uffd_dst, .dst = area };
	struct uffdio_copy resolve;
	struct uffd_msg msg;
	pthread_t t;

	map_dst(area, uffd_dst, from);
	c.src = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.src == MAP_FAILED)
		ksft_exit_fail_perror("mmap source");
	reg(uffd_src, c.src, PAGE);

	if (pthread_create(&t, NULL, copy_fn, &c))
		ksft_exit_fail_msg("pthread_create\n");
	/* The copy has dropped its locks and sleeps in the source fault */
	if (poll(&pfd, 1, 10000) != 1 || read(uffd_src, &msg, sizeof(msg)) !=
	    sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT)
		ksft_exit_fail_msg("no fault on the source\n");

	map_dst(area, uffd_dst, to);
	resolve = (struct uffdio_copy) {
		.dst = (unsigned long)c.src, .src = (unsigned long)fill,
		.len = PAGE,
	};
	if (ioctl(uffd_src, UFFDIO_COPY, &resolve))
		ksft_exit_fail_perror("UFFDIO_COPY on the source");
	pthread_join(t, NULL);
	if (!c.err && memcmp(area, fill, PAGE))
		c.err = -1;

	munmap(c.src, PAGE);
	/* Keep the reserve whole, so that nothing else lands in it */
	if (mmap(area, hpage, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) != area)
		ksft_exit_fail_perror("mmap PROT_NONE");
	return c.err;
}

int main(int argc, char **argv)
{
	long before, after, lost, rounds = 1024, einval = 0, failed = 0;
	int uffd_dst, uffd_src, opt;
	char *reserve, *area, *fill;

	while ((opt = getopt(argc, argv, "n:")) != -1)
		rounds = opt == 'n' ? atol(optarg) : rounds;

	ksft_print_header();
	ksft_set_plan(2);
	hpage = default_huge_page_size();
	if (!hpage)
		ksft_exit_skip("no huge pages\n");

	/* A huge-page-aligned address to map at, reserved for the test */
	reserve = mmap(NULL, 2 * hpage, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (reserve == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	area = (char *)(((unsigned long)reserve + hpage - 1) & ~(hpage - 1));
	fill = aligned_alloc(PAGE, PAGE);
	memset(fill, 's', PAGE);
	uffd_dst = uffd_open();
	uffd_src = uffd_open();

	/*
	 * Warm up first: the per-CPU page lists and the slabs grow to what
	 * the rounds need and stay so; a leak goes on growing after that.
	 */
	for (long i = 0; i < rounds / 4; i++)
		round_once(area, uffd_dst, uffd_src, fill, DST_ANON, DST_HUGE);
	before = pages_unaccounted();
	for (long i = 0; i < rounds; i++)
		einval += round_once(area, uffd_dst, uffd_src, fill,
				     DST_ANON, DST_HUGE) == EINVAL;
	after = pages_unaccounted();
	lost = after - before;

	ksft_print_msg("%ld rounds, %ld copies failed with EINVAL; pages unaccounted for: %+ld: %ld lost\n",
		       rounds, einval, after - before, lost);
	/* A folio a round is `rounds` pages; measured noise is some 30 */
	ksft_test_result(einval == rounds && lost < rounds / 2,
			 "the folio of a copy whose destination was replaced is freed\n");

	before = pages_unaccounted();
	for (long i = 0; i < rounds / 4; i++) {
		int err = round_once(area, uffd_dst, uffd_src, fill,
				     DST_SHMEM, DST_ANON);

		if (err)
			ksft_print_msg("round %ld: %s\n", i, err < 0 ?
				       "the copy succeeded but the page differs" :
				       strerror(err));
		failed += !!err;
	}
	lost = pages_unaccounted() - before;
	ksft_print_msg("%ld rounds, %ld failed; pages unaccounted for: %+ld\n",
		       rounds / 4, failed, lost);
	ksft_test_result(!failed && lost < rounds / 8,
			 "a shmem destination that became anonymous memory is filled\n");
	ksft_finished();
}
