// SPDX-License-Identifier: GPL-2.0
/*
 * userfaultfd write-protection survives swap-out.
 *
 * uffd-unit-tests (6.12) page out only private anonymous memory, so WP on
 * swapped-out shmem is untested there.  When MADV_PAGEOUT swaps out a
 * write-protected page the PTE goes away: for anon the swap PTE keeps the
 * uffd-wp bit; for shmem the page leaves the page cache and only a uffd-wp
 * PTE marker remembers the protection.  Without it the next write would
 * fault the page back in writable and go through silently.
 *
 * For anonymous private memory and shmem (memfd, MAP_SHARED), 64 pages are
 * filled with a pattern, registered for WP, and:
 * - <type>-wp-swapped: write-protected, paged out (checked: pagemap swap
 *   entries for anon, mincore() for shmem, and smaps "Swap:" for both),
 *   then a thread writes one byte to each page: every write must raise a
 *   WP fault at its page, resolved by UFFDIO_WRITEPROTECT mode 0, 64 in
 *   all, and the memory must then hold the pattern plus the writes;
 * - <type>-unprotected-swapped-no-fault: the same with the protection
 *   removed before pageout: no fault at all.
 *
 * Needs swap (the guest's init puts 512 MiB on zram); skips without it.
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

#define NPAGES		64
#define PAGEOUT_TRIES	5
#define FAULT_TIMEOUT	30000	/* ms to wait for a fault or the writer */

enum mtype { ANON, SHMEM };
static const char * const tname[] = { [ANON] = "anon", [SHMEM] = "shmem" };

static unsigned long ps;
static __u64 offered;
static int pagemap_fd;

/* The pattern, and the byte the writer puts where in page @i */
static char pattern(unsigned long i, unsigned long off)
{
	return (char)(i * 37 + off * 7 + 1);
}

static unsigned long woff(unsigned long i)
{
	return (i * 61) % ps;
}

static char wval(unsigned long i)
{
	return ~pattern(i, woff(i));
}

static bool have_swap(void)
{
	char line[256];
	int lines = 0;
	FILE *f = fopen("/proc/swaps", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	return lines > 1;	/* a header, then one line a swap area */
}

/* A "Key:  N kB" line of /proc/meminfo, or of @p's VMA in smaps, in kB */
static long kb_field(const char *file, void *p, const char *key)
{
	char line[256], start[32];
	size_t klen = strlen(key);
	bool in = !p;
	long val = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		ksft_exit_fail_msg("%s: %s\n", file, strerror(errno));
	snprintf(start, sizeof(start), "%lx-", (unsigned long)p);
	while (fgets(line, sizeof(line), f)) {
		if (p && !strncmp(line, start, strlen(start)))
			in = true;
		else if (in && !strncmp(line, key, klen)) {
			val = atol(line + klen);
			break;
		}
	}
	fclose(f);
	if (val < 0)
		ksft_exit_fail_msg("%s: no %s\n", file, key);
	return val;
}

/* Pages of @p that are swapped out: so each type's own check says */
static int swapped_pages(enum mtype t, char *p, int *markers)
{
	unsigned char vec[NPAGES];
	int i, n = 0;

	*markers = 0;
	if (t == SHMEM && mincore(p, NPAGES * ps, vec))
		ksft_exit_fail_msg("mincore: %s\n", strerror(errno));
	for (i = 0; i < NPAGES; i++) {
		/* for shmem a swap PTE is a uffd-wp marker */
		bool swp = pagemap_is_swapped(pagemap_fd, p + i * ps);

		*markers += swp;
		n += t == ANON ? swp : !(vec[i] & 1);
	}
	return n;
}

/* Page @p out until all of it is swapped; false, and why, if not */
static bool page_out(const char *name, enum mtype t, char *p)
{
	long free0 = kb_field("/proc/meminfo", NULL, "SwapFree:");
	int tries, n = 0, pm = 0;
	long swap_kb = 0;

	for (tries = 1; tries <= PAGEOUT_TRIES; tries++) {
		if (madvise(p, NPAGES * ps, MADV_PAGEOUT))
			ksft_exit_fail_msg("MADV_PAGEOUT: %s\n", strerror(errno));
		n = swapped_pages(t, p, &pm);
		swap_kb = kb_field("/proc/self/smaps", p, "Swap:");
		if (n == NPAGES && swap_kb == (long)(NPAGES * ps / 1024))
			break;
	}
	ksft_print_msg("%s: %d/%d pages swapped (%s), smaps Swap %ld kB, SwapFree %+ld kB, %d swap PTEs or markers, after %d MADV_PAGEOUT\n",
		       name, n, NPAGES, t == ANON ? "pagemap" : "mincore",
		       swap_kb, kb_field("/proc/meminfo", NULL, "SwapFree:") - free0,
		       pm, tries > PAGEOUT_TRIES ? PAGEOUT_TRIES : tries);
	if (tries > PAGEOUT_TRIES)
		ksft_print_msg("%s: not all pages swapped out: the guest has swap, investigate\n",
			       name);
	return tries <= PAGEOUT_TRIES;
}

struct writer {
	char *p;
	int done;	/* the write end of a pipe, closed when done */
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	unsigned long i;

	for (i = 0; i < NPAGES; i++)
		((volatile char *)w->p)[i * ps + woff(i)] = wval(i);
	close(w->done);
	return NULL;
}

static int wp(int uffd, char *p, size_t len, bool on)
{
	struct uffdio_writeprotect wpr = {
		.range = { (unsigned long)p, len },
		.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(uffd, UFFDIO_WRITEPROTECT, &wpr);
}

/*
 * Run the writer, resolving the WP faults it raises; the number of faults,
 * or -1 after an error.  Each fault must be a WP one at the next page.
 */
static int serve_writer(const char *name, int uffd, char *p)
{
	struct writer w = { .p = p };
	int pipefd[2], faults = 0, err = 0;
	struct uffd_msg msg;
	pthread_t th;

	if (pipe(pipefd))
		ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
	w.done = pipefd[1];
	if (pthread_create(&th, NULL, writer_fn, &w))
		ksft_exit_fail_msg("pthread_create failed\n");

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = uffd, .events = POLLIN },
			{ .fd = pipefd[0], .events = POLLIN },
		};
		unsigned long addr, want;
		int ret = poll(pfd, 2, FAULT_TIMEOUT);

		if (ret <= 0) {
			ksft_print_msg("%s: poll: %s\n", name,
				       ret ? strerror(errno) : "timed out");
			err = 1;
			break;
		}
		if (!(pfd[0].revents & POLLIN))
			break;	/* the writer is done, with no fault pending */
		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg)) {
			if (errno == EAGAIN)
				continue;
			ksft_print_msg("%s: read uffd: %s\n", name, strerror(errno));
			err = 1;
			break;
		}
		addr = msg.arg.pagefault.address & ~(ps - 1);
		want = (unsigned long)p + faults * ps;
		if (msg.event != UFFD_EVENT_PAGEFAULT ||
		    !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) ||
		    addr != want) {
			ksft_print_msg("%s: fault %d: event 0x%x flags 0x%llx at 0x%lx, want a WP fault at 0x%lx\n",
				       name, faults, msg.event,
				       (unsigned long long)msg.arg.pagefault.flags,
				       addr, want);
			err = 1;
		}
		faults++;
		/* unprotect the page, which wakes the writer */
		if (wp(uffd, (char *)addr, ps, false)) {
			ksft_print_msg("%s: unprotect: %s\n", name, strerror(errno));
			err = 1;
			break;
		}
	}
	if (err)	/* let a blocked writer go */
		wp(uffd, p, NPAGES * ps, false);
	pthread_join(th, NULL);
	close(pipefd[0]);

	/* nothing may be left over */
	if (read(uffd, &msg, sizeof(msg)) >= 0 || errno != EAGAIN) {
		ksft_print_msg("%s: a message left on the uffd (%s)\n", name,
			       strerror(errno));
		err = 1;
	}
	return err ? -1 : faults;
}

static bool check_data(const char *name, char *p)
{
	unsigned long i, off;

	for (i = 0; i < NPAGES; i++)
		for (off = 0; off < ps; off++) {
			char want = off == woff(i) ? wval(i) : pattern(i, off);

			if (p[i * ps + off] != want) {
				ksft_print_msg("%s: page %lu offset %lu holds 0x%02x, want 0x%02x\n",
					       name, i, off,
					       (unsigned char)p[i * ps + off],
					       (unsigned char)want);
				return false;
			}
		}
	return true;
}

static void test_case(enum mtype t, bool protect)
{
	size_t len = NPAGES * ps;
	unsigned long i, off;
	char name[64];
	int uffd, fd = -1, faults;
	struct uffdio_api api = { .api = UFFD_API };
	uint64_t ioctls;
	bool ok;
	char *p;

	snprintf(name, sizeof(name), "%s-%s", tname[t],
		 protect ? "wp-swapped" : "unprotected-swapped-no-fault");
	if (!have_swap()) {
		ksft_test_result_skip("%s: no swap in /proc/swaps\n", name);
		return;
	}
	if (!(offered & UFFD_FEATURE_PAGEFAULT_FLAG_WP)) {
		ksft_test_result_skip("%s: no uffd-wp\n", name);
		return;
	}
	if (t == SHMEM && !(offered & UFFD_FEATURE_WP_HUGETLBFS_SHMEM)) {
		ksft_test_result_skip("%s: no uffd-wp on shmem\n", name);
		return;
	}

	if (t == SHMEM) {
		fd = memfd_create("swap_wp", 0);
		if (fd < 0 || ftruncate(fd, len))
			ksft_exit_fail_msg("memfd: %s\n", strerror(errno));
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	for (i = 0; i < NPAGES; i++)
		for (off = 0; off < ps; off++)
			p[i * ps + off] = pattern(i, off);

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (t == SHMEM)
		api.features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		ksft_exit_fail_msg("userfaultfd: %s\n", strerror(errno));
	if (uffd_register_with_ioctls(uffd, p, len, false, true, false, &ioctls) ||
	    !(ioctls & (1ULL << _UFFDIO_WRITEPROTECT)))
		ksft_exit_fail_msg("%s: register WP: %s, ioctls 0x%llx\n", name,
				   strerror(errno), (unsigned long long)ioctls);
	if (wp(uffd, p, len, true))
		ksft_exit_fail_msg("%s: protect: %s\n", name, strerror(errno));
	if (!protect && wp(uffd, p, len, false))
		ksft_exit_fail_msg("%s: unprotect: %s\n", name, strerror(errno));

	ok = page_out(name, t, p);
	if (ok) {
		faults = serve_writer(name, uffd, p);
		ksft_print_msg("%s: %d WP faults, want %d\n", name, faults,
			       protect ? NPAGES : 0);
		ok = faults == (protect ? NPAGES : 0);
		ok &= check_data(name, p);
	}
	ksft_test_result(ok, "%s\n", name);

	close(uffd);
	munmap(p, len);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd;

	ksft_print_header();
	ksft_set_plan(4);
	ps = psize();

	/* What the kernel offers: UFFDIO_API with no features asked */
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		ksft_exit_fail_msg("userfaultfd: %s\n", strerror(errno));
	offered = api.features;
	close(uffd);
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap_fd < 0)
		ksft_exit_fail_msg("pagemap: %s\n", strerror(errno));

	test_case(ANON, true);
	test_case(ANON, false);
	test_case(SHMEM, true);
	test_case(SHMEM, false);
	ksft_finished();
}
