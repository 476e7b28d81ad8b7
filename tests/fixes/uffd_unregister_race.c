// SPDX-License-Identifier: GPL-2.0
/*
 * UFFDIO_UNREGISTER against a MISSING fault that is queued under the per-VMA
 * lock (the first fix of the series).
 *
 * Each round registers a range for MISSING (and WP, which makes unregister
 * walk the page tables between its wake and the point where it write-locks
 * the VMA), lets a thread touch the range's first page, and unregisters at
 * once.  Once UFFDIO_UNREGISTER has returned, no fault on the range may be
 * readable from the userfaultfd: one that is was queued after the wake and
 * would have slept until someone called UFFDIO_WAKE.
 *
 * The two threads run on different CPUs; the toucher spins, so whenever the
 * guest switches CPUs in the middle of an unregister, the touch lands there.
 * A hit is counted, the stray fault is woken, and the next round starts.
 * Rounds whose touch overlapped the unregister in time are counted too: a
 * pass needs some, or the test did not race at all, so a memory type runs
 * until MIN_OVERLAPS of them (at most four times the time asked for).
 * Exit status: 0 if no round had a hit, 1 otherwise (the stock kernel).
 *
 * usage: uffd_unregister_race [-s seconds per memory type] [anon|shmem|hugetlb ...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "mm/vm_util.h"
#include "task_stat.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif

struct mem {
	const char *name;
	size_t len;		/* of the registered range */
	unsigned int mfd_flags;	/* memfd_create() flags; none: anonymous */
};

static const struct mem mems[] = {
	/* 16 MiB of populated PTEs: a long page table walk in unregister */
	{ "anon", 16 << 20, 0 },
	{ "shmem", 16 << 20, MFD_CLOEXEC },
	{ "hugetlb", 8 << 21, MFD_CLOEXEC | MFD_HUGETLB },
};

#define MIN_OVERLAPS 10

static int uffd, memfd = -1;
static char *area;
static size_t unit;			/* the page the toucher touches */
static _Atomic unsigned int go, done, stop;
static _Atomic pid_t toucher_tid;
static _Atomic unsigned long long touch_start, touch_end;	/* ns, this round */

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long futex(_Atomic unsigned int *uaddr, int op, unsigned int val,
		  const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);	/* best effort: 1-CPU guests */
}

/* Touch the first page once per round, as soon as the round starts. */
static void *toucher(void *arg)
{
	unsigned int r;

	(void)arg;
	atomic_store(&toucher_tid, (pid_t)syscall(SYS_gettid));
	pin(1);
	for (r = 1; ; r++) {
		while (atomic_load(&go) < r)
			if (atomic_load(&stop))
				return NULL;
		atomic_store(&touch_start, now_ns());
		*(volatile char *)area = (char)r;
		atomic_store(&touch_end, now_ns());
		atomic_store(&done, r);
		futex(&done, FUTEX_WAKE, 1, NULL);
	}
}

static int do_register(size_t len, __u64 mode)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)area, .len = len }, .mode = mode,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg);
}

static int do_unregister(size_t len)
{
	struct uffdio_range range = { .start = (unsigned long)area, .len = len };

	return ioctl(uffd, UFFDIO_UNREGISTER, &range);
}

static void wake_all(size_t len)
{
	struct uffdio_range range = { .start = (unsigned long)area, .len = len };

	if (ioctl(uffd, UFFDIO_WAKE, &range))
		ksft_exit_fail_perror("UFFDIO_WAKE");
}

/* Fault messages readable now (the userfaultfd is non-blocking). */
static int pending_faults(void)
{
	struct uffd_msg msg;
	int n = 0;

	while (read(uffd, &msg, sizeof(msg)) == sizeof(msg))
		if (msg.event == UFFD_EVENT_PAGEFAULT)
			n++;
	return n;
}

/* The toucher's scheduler state: 'R' running or runnable, 'S'/'D' asleep */
static char toucher_state(void)
{
	unsigned long minflt;
	char path[64], state;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)atomic_load(&toucher_tid));
	task_stat(path, &state, &minflt);
	return state;
}

/*
 * Wait until the round's touch has completed.  Returns 1 if it had to be
 * woken because it slept on a fault nobody could read, 0 if it completed on
 * its own, -1 if it never completed (60 s).  A toucher that is only slow
 * (runnable, on a loaded host) is waited for.
 */
static int wait_done(unsigned int r, size_t len)
{
	struct timespec ts = { .tv_sec = 2 };
	int waits;

	for (waits = 0; waits < 30; waits++) {
		unsigned int d = atomic_load(&done);

		if (d >= r)
			return 0;
		if (!futex(&done, FUTEX_WAIT, d, &ts) || errno != ETIMEDOUT)
			continue;
		if (atomic_load(&done) >= r || toucher_state() == 'R')
			continue;
		/* asleep for 2 s in its touch: wake it; completing now proves it */
		wake_all(len);
		ts.tv_sec = 1;
		futex(&done, FUTEX_WAIT, d, &ts);
		ts.tv_sec = 2;
		if (atomic_load(&done) >= r)
			return 1;
	}
	return atomic_load(&done) >= r ? 0 : -1;
}

static void drop_first_unit(const struct mem *m)
{
	if (!m->mfd_flags) {
		if (madvise(area, unit, MADV_DONTNEED))
			ksft_exit_fail_perror("MADV_DONTNEED");
	} else if (fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, unit)) {
		ksft_exit_fail_perror("fallocate(PUNCH_HOLE)");
	}
}

/* A setup error: said, and the case fails under its usual name */
static void setup_fail(const struct mem *m, const char *what)
{
	ksft_print_msg("%s: %s: %s\n", m->name, what, strerror(errno));
	ksft_test_result_fail("%s: no fault delivered after UFFDIO_UNREGISTER\n", m->name);
}

static void run(const struct mem *m, int seconds)
{
	unsigned long rounds = 0, hits = 0, late = 0, overlaps = 0;
	unsigned long long u_start, u_end;
	int woken = 0;
	struct uffdio_api api = { .api = UFFD_API };
	__u64 mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP;
	pthread_t thr;
	time_t end, cap;
	unsigned int r;

	unit = m->mfd_flags & MFD_HUGETLB ? default_huge_page_size() : (size_t)getpagesize();
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		ksft_print_msg("%s: no userfaultfd (%s)\n", m->name, strerror(errno));
		ksft_test_result_skip("%s: no fault delivered after UFFDIO_UNREGISTER\n", m->name);
		return;
	}
	/* Only a kernel without this memory type skips; any other error fails. */
	if (m->mfd_flags) {
		memfd = memfd_create(m->name, m->mfd_flags);
		if (memfd < 0) {
			if (errno == EINVAL || errno == ENOSYS) {
				ksft_print_msg("%s: no memory of this type (%s)\n", m->name,
					       strerror(errno));
				ksft_test_result_skip("%s: no fault delivered after UFFDIO_UNREGISTER\n",
						      m->name);
			} else {
				setup_fail(m, "memfd_create");
			}
			goto out_uffd;
		}
		if (ftruncate(memfd, m->len)) {
			setup_fail(m, "ftruncate");
			goto out_fd;
		}
		area = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	} else {
		area = mmap(NULL, m->len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (area == MAP_FAILED) {
		setup_fail(m, "mmap");
		goto out_fd;
	}
	/* Populated, so that unregister has page table entries to walk. */
	memset(area, 1, m->len);
	if (do_register(m->len, mode)) {
		mode = UFFDIO_REGISTER_MODE_MISSING;	/* no WP here: a shorter walk */
		if (do_register(m->len, mode)) {
			setup_fail(m, "UFFDIO_REGISTER");
			goto out_unmap;
		}
	}
	if (do_unregister(m->len))
		ksft_exit_fail_perror("UFFDIO_UNREGISTER");

	atomic_store(&go, 0);
	atomic_store(&done, 0);
	atomic_store(&stop, 0);
	if (pthread_create(&thr, NULL, toucher, NULL))
		ksft_exit_fail_msg("pthread_create\n");
	pin(0);
	/*
	 * At least the time asked for, and on until MIN_OVERLAPS touches have
	 * overlapped an unregister (at most 4 times as long): under TCG the
	 * other vCPU runs in slices, and on a loaded host overlaps are rarer.
	 */
	end = time(NULL) + seconds;
	cap = time(NULL) + 4 * seconds;
	for (r = 1; time(NULL) < end || (overlaps < MIN_OVERLAPS && time(NULL) < cap); r++) {
		drop_first_unit(m);
		if (do_register(m->len, mode))
			ksft_exit_fail_perror("UFFDIO_REGISTER");
		atomic_store(&touch_start, 0);
		atomic_store(&touch_end, 0);
		atomic_store(&go, r);
		u_start = now_ns();
		if (do_unregister(m->len))
			ksft_exit_fail_perror("UFFDIO_UNREGISTER");
		u_end = now_ns();
		/* A fault readable now was delivered after unregister returned. */
		if (pending_faults()) {
			hits++;
			wake_all(m->len);
		}
		woken = wait_done(r, m->len);
		if (woken < 0)
			break;
		late += woken;
		rounds++;
		/* the touch and the unregister overlapped in time */
		if (atomic_load(&touch_start) < u_end && atomic_load(&touch_end) > u_start)
			overlaps++;
	}
	atomic_store(&stop, 1);
	if (woken < 0)
		wake_all(m->len);
	pthread_join(thr, NULL);

	ksft_print_msg("%s: %lu of %lu rounds had a fault delivered after UFFDIO_UNREGISTER (register mode %s)\n",
		       m->name, hits, rounds,
		       mode & UFFDIO_REGISTER_MODE_WP ? "MISSING|WP" : "MISSING");
	ksft_print_msg("%s: in %lu rounds the touch overlapped the unregister\n",
		       m->name, overlaps);
	if (late)
		ksft_print_msg("%s: %lu touches slept on a fault that nobody could read\n",
			       m->name, late);
	if (woken < 0)
		ksft_print_msg("%s: a touch never completed\n", m->name);
	else if (!overlaps)
		ksft_print_msg("%s: no touch overlapped an unregister: the test did not race\n",
			       m->name);
	ksft_test_result(!hits && !late && woken >= 0 && overlaps,
			 "%s: no fault delivered after UFFDIO_UNREGISTER\n", m->name);
out_unmap:
	munmap(area, m->len);
out_fd:
	if (memfd >= 0)
		close(memfd);
out_uffd:
	memfd = -1;
	close(uffd);
}

int main(int argc, char **argv)
{
	int seconds = 30, opt, i, j, n = 0;
	const struct mem *todo[3];

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's')
			ksft_exit_fail_msg("usage: %s [-s seconds] [anon|shmem|hugetlb ...]\n",
					   argv[0]);
		seconds = atoi(optarg);
	}
	for (i = optind; i < argc; i++) {
		for (j = 0; j < 3 && strcmp(argv[i], mems[j].name); j++)
			;
		if (j == 3 || n == 3)
			ksft_exit_fail_msg("unknown memory type %s\n", argv[i]);
		todo[n++] = &mems[j];
	}
	if (!n)
		for (; n < 3; n++)
			todo[n] = &mems[n];

	ksft_print_header();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		ksft_exit_skip("one CPU: the toucher could not race the unregister\n");
	ksft_set_plan(n);
	for (i = 0; i < n; i++)
		run(todo[i], seconds);
	ksft_finished();
}
