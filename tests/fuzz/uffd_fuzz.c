// SPDX-License-Identifier: GPL-2.0
/*
 * uffd_fuzz - a bounded, seeded, multi-threaded userfaultfd fuzzer
 *
 * Worker threads pick random memory regions ("slots") and random operations
 * on them: (un)registration with random modes, UFFDIO_COPY / ZEROPAGE /
 * CONTINUE / WRITEPROTECT / POISON / WAKE, munmap, mremap, MADV_DONTNEED,
 * hole punching, truncation, fork, and plain reads and writes that fault.
 * One handler thread per userfaultfd resolves the faults, so that no toucher
 * can block for good; one of the userfaultfds uses UFFD_FEATURE_SIGBUS
 * instead, and touchers catch SIGBUS with sigsetjmp and resolve the fault
 * themselves.  A watchdog reports an operation that takes too long as a hang.
 *
 * Memory types: anon (MAP_PRIVATE|MAP_ANONYMOUS), shmem (memfd), hugetlb
 * (memfd MFD_HUGETLB, 2 MiB pages) and module (the uffd_sample reference
 * module, the vm_uffd_ops provider built in module/).
 *
 * What is checked:
 *  - every ioctl either succeeds or fails with an errno documented for it,
 *    and the ioctls that must fail (bad modes, MINOR on anon, ZEROPAGE on
 *    hugetlb, MISSING on a MINOR-only provider, ...) do fail;
 *  - the output fields (copy, zeropage, mapped, updated) agree with the
 *    return value, and UFFDIO_REGISTER reports the ioctls of the memory type;
 *  - page contents: each page carries an expected-content tag, set only
 *    while a thread owns the slot exclusively (so nothing else can change
 *    it) and dropped by anything that may change or drop the page.  A page
 *    with a tag is known to be present, so a fill ioctl that succeeds on it
 *    overwrote a present page, and a later read that differs is corruption;
 *  - userfaultfds that must not deliver some messages (SIGBUS, WP_ASYNC)
 *    do not;
 *  - at the end, with all module memory closed, the module's page count is 0.
 *
 * Locking: each slot has a rwlock.  Operations that change the layout of a
 * slot (create, munmap, mremap) and the ones that set or check content tags
 * hold it for writing; all others hold it for reading, so that they race
 * with each other on purpose (faults vs. DONTNEED vs. WP vs. COPY vs.
 * unregister ...) but never with an munmap of the memory they touch.
 * Handlers never take slot locks: a fault is pending only while the faulting
 * thread holds its slot's lock, which keeps the mapping in place.
 *
 * Known kernel bugs: with --stock, WP is not registered on hugetlb, since a
 * stale uffd-wp bit there makes write faults spin forever on a kernel
 * without the series' hugetlb fix (see hugetlb_mode()).  The UFFDIO_REGISTER
 * ioctls check fails on
 * MINOR-only module memory registered WP-only in WP_ASYNC mode, which
 * does not report UFFDIO_WRITEPROTECT although it works (see do_register()).
 *
 * Replay: the seed is printed first.  --seed N replays each thread's
 * sequence of random choices; with more than one thread the interleaving,
 * and so the outcome of races, may differ.  --threads 1 is closest to
 * deterministic.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/memfd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest.h"

/* The user APIs of the sample provider and of the test driver, from the series' tree */
#if __has_include("uffd_sample.h") && __has_include("test_uffd_ops_uapi.h")
#include "uffd_sample.h"
#include "test_uffd_ops_uapi.h"
#define HAVE_UFFD_SAMPLE 1
#endif

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#endif

#define PSZ		4096UL
#define HPSZ		(2UL << 20)
#define MAXP_SMALL	32		/* pages of a 4 KiB slot's file */
#define MAXP_HUGE	4		/* pages of a hugetlb slot's file */
#define MAXP		MAXP_SMALL
#define MAX_SLOTS	32
#define MAX_WORKERS	32
#define NUFFD		4
#define MAX_K_SMALL	8		/* pages per ranged op, 4 KiB slots */
#define MAX_K_HUGE	2		/* pages per ranged op, hugetlb slots */
#define SRC_LEN		(MAX_K_HUGE * HPSZ)
#define RING		24		/* recent ops kept per thread */
#define DESC		200
#define NERR		140		/* errno buckets; 0 is success */
#define SENTINEL	((int64_t)0x5a5a5a5a5a5a5a5aLL)
#define TAG_ZERO	1ULL		/* tag of a page known to be all zero */

enum mem_type { MT_ANON, MT_SHMEM, MT_HUGETLB, MT_MODULE, NR_MT };
static const char *const mt_name[NR_MT + 1] = {
	"anon", "shmem", "hugetlb", "module", "general"
};

/* Every counted operation; worker ops first, then handler/signal ones */
#define OPS(X)								\
	X(CREATE) X(DESTROY) X(MREMAP) X(MUNMAP) X(VERIFY)		\
	X(TAG_COPY) X(TAG_ZERO) X(TAG_WRITE) X(TAG_CONTINUE)		\
	X(READ) X(WRITE) X(COPY) X(ZEROPAGE) X(CONTINUE) X(WP_ON)	\
	X(WP_OFF) X(POISON) X(WAKE) X(DONTNEED) X(PUNCH) X(TRUNCATE)	\
	X(FORK) X(REGISTER) X(UNREGISTER) X(MUST_FAIL)		\
	X(H_COPY) X(H_ZEROPAGE) X(H_CONTINUE) X(H_UNPROTECT)		\
	X(H_POISON) X(H_WAKE) X(H_STALE) X(EV_FORK) X(EV_REMAP)		\
	X(EV_REMOVE) X(EV_UNMAP) X(SIGBUS) X(SB_RESOLVE) X(VERIFIED)
#define X_ENUM(n) OP_##n,
#define X_NAME(n) #n,
enum op { OPS(X_ENUM) NR_OPS };
static const char *const op_name[] = { OPS(X_NAME) };

/*
 * Weights of the worker operations (exclusive ones marked in op_excl()).
 * Operations that are slow in an emulated guest (fork above all, then
 * faults and address space changes that wait for event readers) are
 * rarer, so that a run does its 100000 operations in a minute or two.
 */
static const int op_weight[NR_OPS] = {
	[OP_DESTROY] = 2, [OP_MREMAP] = 4, [OP_MUNMAP] = 3, [OP_VERIFY] = 10,
	[OP_TAG_COPY] = 12, [OP_TAG_ZERO] = 4, [OP_TAG_WRITE] = 6,
	[OP_TAG_CONTINUE] = 8,
	[OP_READ] = 20, [OP_WRITE] = 14, [OP_COPY] = 20, [OP_ZEROPAGE] = 8,
	[OP_CONTINUE] = 12, [OP_WP_ON] = 12, [OP_WP_OFF] = 10, [OP_POISON] = 6,
	[OP_WAKE] = 6, [OP_DONTNEED] = 8, [OP_PUNCH] = 4, [OP_TRUNCATE] = 2,
	[OP_FORK] = 1, [OP_REGISTER] = 12, [OP_UNREGISTER] = 8,
	[OP_MUST_FAIL] = 8,
};

static bool op_excl(int op)
{
	switch (op) {
	case OP_CREATE: case OP_DESTROY: case OP_MREMAP: case OP_MUNMAP:
	case OP_VERIFY: case OP_TAG_COPY: case OP_TAG_ZERO: case OP_TAG_WRITE:
	case OP_TAG_CONTINUE:
		return true;
	}
	return false;
}

/* The uffd ioctls, for the errno sets documented for each */
enum ioc { IOC_API, IOC_REGISTER, IOC_UNREGISTER, IOC_WAKE, IOC_COPY,
	   IOC_ZEROPAGE, IOC_WP, IOC_CONTINUE, IOC_POISON };
static const char *const ioc_name[] = {
	"UFFDIO_API", "UFFDIO_REGISTER", "UFFDIO_UNREGISTER", "UFFDIO_WAKE",
	"UFFDIO_COPY", "UFFDIO_ZEROPAGE", "UFFDIO_WRITEPROTECT",
	"UFFDIO_CONTINUE", "UFFDIO_POISON"
};

/*
 * The errnos userfaultfd(2) and ioctl_userfaultfd(2) document, per ioctl,
 * plus the ones a fill can pass up from the memory type: ENOMEM/ENOSPC
 * when out of memory or huge pages, EIO for CONTINUE on a poisoned folio.
 */
static bool errno_documented(enum ioc k, int e)
{
	switch (k) {
	case IOC_API:
		return e == EINVAL || e == EFAULT || e == EPERM;
	case IOC_REGISTER:
		return e == EINVAL || e == EBUSY || e == ENOMEM || e == EFAULT ||
		       e == EPERM;
	case IOC_UNREGISTER:
		return e == EINVAL || e == ENOMEM || e == EFAULT;
	case IOC_WAKE:
		return e == EINVAL || e == EFAULT;
	case IOC_COPY:
	case IOC_ZEROPAGE:
		return e == EINVAL || e == EEXIST || e == ENOENT ||
		       e == EAGAIN || e == EFAULT || e == ENOMEM ||
		       e == ENOSPC || e == ESRCH;
	case IOC_CONTINUE:
		return e == EINVAL || e == EEXIST || e == ENOENT ||
		       e == EAGAIN || e == EFAULT || e == ENOMEM ||
		       e == ESRCH || e == EIO;
	case IOC_POISON:
		return e == EINVAL || e == EEXIST || e == ENOENT ||
		       e == EAGAIN || e == EFAULT || e == ENOMEM || e == ESRCH;
	case IOC_WP:
		return e == EINVAL || e == ENOENT || e == EAGAIN ||
		       e == EFAULT || e == ENOMEM || e == ESRCH;
	}
	return false;
}

struct slot {
	pthread_rwlock_t lock;
	int idx;
	/* Fixed from setup on: handlers read them without the lock */
	int type;
	unsigned long psz;
	/* Per incarnation, written under the write lock */
	bool minor_only;	/* module memory from the MINOR-only device */
	bool priv;		/* MAP_PRIVATE file mapping */
	unsigned long maxp;	/* pages in the file (or the anon maximum) */
	int fd;
	char *alias;		/* MAP_SHARED view of the whole file */
	_Atomic bool live;
	_Atomic unsigned long base, len;
	/* Hints for choosing arguments: may be stale, never trusted */
	_Atomic int ufd;	/* index of the uffd registered with, or -1 */
	_Atomic unsigned long modes;
	/* Expected content per page: 0 unknown, TAG_ZERO, or a pattern */
	_Atomic uint64_t tag[MAXP];
	char origin[MAXP][48];	/* how the tag was set, for reports */
	/* Recent operations on this slot by any thread, for hang reports */
	pthread_mutex_t hist_lock;
	char hist[RING][DESC + 16];
	unsigned int histpos;
};

struct uffd {
	int fd;
	uint64_t features;
	const char *name;
	pthread_t th;
};

struct worker {
	int id;
	bool handler;
	uint64_t rng;
	pthread_t th;
	char *srcw, *srcr;	/* two views of one memfd: writer, COPY source */
	char *hbuf;		/* handler fill buffer */
	_Atomic long op_start_ms;	/* 0 while idle, for the watchdog */
	char cur[DESC];
	struct slot *cur_slot;		/* slot of the current op, or NULL */
	_Atomic unsigned long touch_addr;	/* address being touched, or 0 */
	char ring[RING][DESC];
	unsigned int ringpos;
	int cur_type;
};

/* Options */
static uint64_t opt_seed;
static long opt_ops = 100000;
static int opt_seconds = 60;
static int opt_threads = 4;
static int opt_hang = 30;
static int opt_verbose;
static int opt_stock;		/* a kernel without vm_uffd_ops */
static bool mem_wanted[NR_MT] = { true, true, true, true };
static bool mem_avail[NR_MT];
static const char *mem_skip_why[NR_MT];

static struct slot slots[MAX_SLOTS];
static int nslots;
static struct uffd uffds[NUFFD];
static struct worker workers[MAX_WORKERS];
static struct worker hworkers[NUFFD];
static int mod_dev = -1, mod_minor_dev = -1;
static uint64_t uffd_avail_features;

static _Atomic long g_ops_started, g_ops_done;
static _Atomic bool g_stop, g_handlers_stop;
static _Atomic long g_failures;
static _Atomic long type_failures[NR_MT + 1];
static _Atomic unsigned long cnt[NR_MT + 1][NR_OPS][NERR];
static _Atomic unsigned long op_us[NR_OPS];	/* time spent per worker op */
static long t_start_ms, t_deadline_ms;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static __thread struct worker *self;

/*
 * Every change to the address space, for reports of a signal on memory
 * the fuzzer believes mapped: which operation last unmapped or moved it.
 */
#define MAPLOG 512
struct maplog_ent {
	unsigned long start, len;
	char what[96];
};
static struct maplog_ent maplog[MAPLOG];
static unsigned long maplog_pos;
static pthread_mutex_t maplog_lock = PTHREAD_MUTEX_INITIALIZER;

static __printf(3, 4) void maplog_add(unsigned long start, unsigned long len,
				      const char *fmt, ...)
{
	struct maplog_ent *e;
	va_list ap;

	pthread_mutex_lock(&maplog_lock);
	e = &maplog[maplog_pos++ % MAPLOG];
	e->start = start;
	e->len = len;
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&maplog_lock);
}

static void maplog_dump(unsigned long addr)
{
	pthread_mutex_lock(&maplog_lock);
	for (unsigned long i = maplog_pos > MAPLOG ? maplog_pos - MAPLOG : 0;
	     i < maplog_pos; i++) {
		struct maplog_ent *e = &maplog[i % MAPLOG];

		if (addr >= e->start && addr < e->start + e->len)
			ksft_print_msg("  maplog[%lu] %#lx+%#lx %s\n", i,
				       e->start, e->len, e->what);
	}
	pthread_mutex_unlock(&maplog_lock);
}
static __thread sigjmp_buf t_jb;
static __thread volatile sig_atomic_t t_armed;
static __thread volatile int t_sig;

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000L;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* splitmix64: small, fast, and a good enough stream per thread */
static uint64_t rnd(struct worker *w)
{
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long rn(struct worker *w, unsigned long n)
{
	return n ? rnd(w) % n : 0;
}

static void count(int type, int op, int e)
{
	if (e < 0)
		e = -e;
	if (e >= NERR)
		e = NERR - 1;
	atomic_fetch_add_explicit(&cnt[type][op][e], 1, memory_order_relaxed);
}

/* Describe the current operation: shown by failures and by the watchdog */
static __printf(3, 4) void desc(struct worker *w, int type, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->cur, DESC, fmt, ap);
	va_end(ap);
	w->cur_type = type;
	memcpy(w->ring[w->ringpos++ % RING], w->cur, DESC);
	if (w->cur_slot) {
		struct slot *s = w->cur_slot;

		pthread_mutex_lock(&s->hist_lock);
		snprintf(s->hist[s->histpos++ % RING], DESC + 16, "%c%d: %s",
			 w->handler ? 'h' : 't', w->id, w->cur);
		pthread_mutex_unlock(&s->hist_lock);
	}
}

static __printf(3, 4) void fail(struct worker *w, int type, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	long n = atomic_fetch_add(&g_failures, 1);

	atomic_fetch_add(&type_failures[type], 1);
	if (n >= 20 && !opt_verbose)
		return;	/* enough to debug; the count is in the summary */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&print_lock);
	ksft_print_msg("FAIL [%s %d, %s] %s\n", w->handler ? "handler" : "thread",
		       w->id, mt_name[type], msg);
	ksft_print_msg("  seed=%" PRIu64 " op: %s\n", opt_seed, w->cur);
	ksft_print_msg("  recent ops of this thread, oldest first:\n");
	for (unsigned int i = 0; i < RING; i++) {
		const char *r = w->ring[(w->ringpos + i) % RING];

		if (r[0])
			ksft_print_msg("    %s\n", r);
	}
	pthread_mutex_unlock(&print_lock);
}

/*
 * Issue a userfaultfd ioctl, check that it succeeds or fails with an errno
 * documented for it, and count the outcome.  Returns 0 or -errno.
 */
static int uioctl(struct worker *w, int type, int op, enum ioc k, int fd,
		  unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);
	int e = r < 0 ? errno : 0;

	count(type, op, e);
	if (e && !errno_documented(k, e))
		fail(w, type, "%s failed with undocumented errno %d (%s)",
		     ioc_name[k], e, strerror(e));
	return -e;
}

/*
 * Check the output field of COPY/ZEROPAGE/CONTINUE/POISON against the
 * return value: the full length on success; on failure -errno, or a
 * partial length with -EAGAIN, or untouched if the arguments were refused
 * before any work (EINVAL, EFAULT, ESRCH).  Returns the bytes done.
 */
static long check_out(struct worker *w, int type, enum ioc k, int ret,
		      int64_t out, unsigned long len, unsigned long psz)
{
	if (!ret) {
		if (out != (int64_t)len)
			fail(w, type, "%s succeeded but reported %" PRId64
			     " for len %lu", ioc_name[k], out, len);
		return len;
	}
	if (out == ret)
		return 0;
	if (ret == -EAGAIN && out > 0 && out < (int64_t)len && !(out % psz))
		return out;
	if (out == SENTINEL &&
	    (ret == -EINVAL || ret == -EFAULT || ret == -ESRCH))
		return 0;
	fail(w, type, "%s returned %d but reported %" PRId64 " (len %lu)",
	     ioc_name[k], ret, out, len);
	return 0;
}

/* Expected content: words sampled across the page (all of a 4 KiB page) */
static unsigned long sample_step(unsigned long psz)
{
	unsigned long nwords = psz / 8;

	return nwords <= 512 ? 1 : nwords / 64 + 1;
}

static uint64_t pattern(uint64_t tag, unsigned long i)
{
	return tag == TAG_ZERO ? 0 : tag ^ (i * 0x9e3779b97f4a7c15ULL);
}

static uint64_t new_tag(struct worker *w)
{
	return rnd(w) | 2;	/* never 0 (unknown) or TAG_ZERO */
}

/* The sampled words of a page: every step-th word, and the last one */
static unsigned long next_sample(unsigned long i, unsigned long step,
				 unsigned long n)
{
	if (i == n - 1)
		return n;
	return i + step < n ? i + step : n - 1;
}

static void fill_pattern(char *page, unsigned long psz, uint64_t tag)
{
	unsigned long step = sample_step(psz), n = psz / 8, i;
	uint64_t *p = (uint64_t *)page;

	for (i = 0; i < n; i = next_sample(i, step, n))
		p[i] = pattern(tag, i);
}

/*
 * Touching registered memory may raise SIGBUS (poison, UFFD_FEATURE_SIGBUS,
 * beyond EOF) and must not raise SIGSEGV.  Touches are armed: the signal
 * handler jumps back to the toucher, which reports or resolves it.
 */
static void sig_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (t_armed) {
		t_armed = 0;
		t_sig = sig;
		siglongjmp(t_jb, 1);
	}
	/* Not ours to catch: die with the default action and a core */
	signal(sig, SIG_DFL);
}

static __attribute__((noinline)) int g_read(const volatile uint64_t *p,
					     uint64_t *v)
{
	if (sigsetjmp(t_jb, 0))
		return t_sig;
	t_armed = 1;
	*v = *p;
	t_armed = 0;
	return 0;
}

static __attribute__((noinline)) int g_write(volatile uint64_t *p, uint64_t v)
{
	if (sigsetjmp(t_jb, 0))
		return t_sig;
	t_armed = 1;
	*p = v;
	t_armed = 0;
	return 0;
}

static unsigned long slot_np(struct slot *s)
{
	return atomic_load(&s->len) / s->psz;
}

static char *slot_page(struct slot *s, unsigned long p)
{
	return (char *)atomic_load(&s->base) + p * s->psz;
}

/* A random sampled word offset within a page */
static unsigned long rand_word(struct worker *w, unsigned long psz)
{
	unsigned long step = sample_step(psz);

	return rn(w, psz / 8 / step) * step;
}

/*
 * The toucher got SIGBUS on a page of a slot registered with the
 * SIGBUS-mode uffd (or poisoned, or beyond EOF): resolve what it can, as a
 * handler thread would, so that the retry may get further.
 */
static void sb_resolve(struct worker *w, struct slot *s, unsigned long page)
{
	int u = atomic_load(&s->ufd);
	unsigned long modes = atomic_load(&s->modes);
	int fd, r;

	if (u < 0)
		return;
	fd = uffds[u].fd;
	if (modes & UFFDIO_REGISTER_MODE_WP) {
		struct uffdio_writeprotect wp = {
			.range = { page, s->psz }, .mode = 0 };

		uioctl(w, s->type, OP_SB_RESOLVE, IOC_WP, fd,
		       UFFDIO_WRITEPROTECT, &wp);
	}
	if (modes & UFFDIO_REGISTER_MODE_MINOR) {
		struct uffdio_continue c = { .range = { page, s->psz },
					     .mapped = SENTINEL };

		r = uioctl(w, s->type, OP_SB_RESOLVE, IOC_CONTINUE, fd,
			   UFFDIO_CONTINUE, &c);
		check_out(w, s->type, IOC_CONTINUE, r, c.mapped, s->psz, s->psz);
	}
	if (modes & UFFDIO_REGISTER_MODE_MISSING) {
		struct uffdio_copy c = { .dst = page,
					 .src = (unsigned long)w->srcr,
					 .len = s->psz, .copy = SENTINEL };

		r = uioctl(w, s->type, OP_SB_RESOLVE, IOC_COPY, fd,
			   UFFDIO_COPY, &c);
		check_out(w, s->type, IOC_COPY, r, c.copy, s->psz, s->psz);
	}
}

/*
 * Read or write one word of a slot page, resolving SIGBUS up to 3 times.
 * Returns 0, or the signal that stopped it.
 */
static int touch(struct worker *w, struct slot *s, unsigned long p,
		 unsigned long word, bool write, uint64_t val, uint64_t *out)
{
	volatile uint64_t *addr = (uint64_t *)slot_page(s, p) + word;
	uint64_t v;
	int sig = 0;

	for (int tries = 0; tries < 3; tries++) {
		atomic_store(&w->touch_addr, (unsigned long)addr);
		sig = write ? g_write(addr, val) : g_read(addr, &v);
		atomic_store(&w->touch_addr, 0);
		if (!sig) {
			if (out)
				*out = v;
			return 0;
		}
		count(s->type, OP_SIGBUS, sig);
		if (sig != SIGBUS) {
			fail(w, s->type, "signal %d touching %p (slot %d page %lu)",
			     sig, addr, s->idx, p);
			maplog_dump((unsigned long)addr);
			return sig;
		}
		sb_resolve(w, s, (unsigned long)slot_page(s, p));
	}
	return sig;
}

/* Write the whole sampled pattern of a tag into page p of a slot */
static int write_pattern(struct worker *w, struct slot *s, unsigned long p,
			 uint64_t tag)
{
	unsigned long step = sample_step(s->psz), n = s->psz / 8, i;
	int sig;

	for (i = 0; i < n; i = next_sample(i, step, n)) {
		sig = touch(w, s, p, i, true, pattern(tag, i), NULL);
		if (sig)
			return sig;
	}
	return 0;
}

/* Set a page's expected content (exclusive ops only) */
static __printf(4, 5) void set_tag(struct slot *s, unsigned long p,
				   uint64_t tag, const char *fmt, ...)
{
	va_list ap;

	atomic_store(&s->tag[p], tag);
	va_start(ap, fmt);
	vsnprintf(s->origin[p], sizeof(s->origin[p]), fmt, ap);
	va_end(ap);
}

/* Forget pages [p, p + k): their content may change or go */
static void drop_tags(struct slot *s, unsigned long p, unsigned long k)
{
	for (unsigned long i = p; i < p + k && i < MAXP; i++)
		atomic_store(&s->tag[i], 0);
}

/*
 * A fill ioctl (COPY, ZEROPAGE, CONTINUE, POISON) succeeded on pages
 * [p, p + k): none of them may have had a tag, since a tagged page is
 * present and fills refuse present pages with -EEXIST.
 */
static void check_filled_untagged(struct worker *w, struct slot *s,
				  enum ioc k_ioc, unsigned long p,
				  unsigned long k)
{
	for (unsigned long i = p; i < p + k; i++) {
		uint64_t t = atomic_load(&s->tag[i]);

		if (t)
			fail(w, s->type, "%s filled page %lu of slot %d that "
			     "was present with tag %#" PRIx64 " (%s)",
			     ioc_name[k_ioc], i, s->idx, t, s->origin[i]);
	}
}

/* ---- userfaultfd setup ------------------------------------------------ */

static int uffd_open(void)
{
	return syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
}

static int uffd_api(int fd, uint64_t *features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = *features };

	if (ioctl(fd, UFFDIO_API, &api))
		return -errno;
	*features = api.features;
	return 0;
}

/* ---- registration ------------------------------------------------------ */

static unsigned long type_features(struct slot *s)
{
	switch (s->type) {
	case MT_ANON:
		return UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP;
	case MT_MODULE:
		if (s->minor_only)
			return UFFDIO_REGISTER_MODE_MINOR;
		/* fall through */
	default:
		return UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP |
		       UFFDIO_REGISTER_MODE_MINOR;
	}
}

/* The range ioctls each memory type declares (before mode masking) */
static uint64_t type_ioctls(struct slot *s)
{
	const uint64_t b = 1;

	switch (s->type) {
	case MT_ANON:
		return UFFD_API_RANGE_IOCTLS;
	case MT_SHMEM:
		/* Before vm_uffd_ops shmem also reported UFFDIO_MOVE */
		if (opt_stock)
			return UFFD_API_RANGE_IOCTLS;
		break;
	case MT_HUGETLB:
		return b << _UFFDIO_WAKE | b << _UFFDIO_COPY |
		       b << _UFFDIO_WRITEPROTECT | b << _UFFDIO_CONTINUE |
		       b << _UFFDIO_POISON;
	case MT_MODULE:
		if (s->minor_only)
			return b << _UFFDIO_WAKE | b << _UFFDIO_CONTINUE;
		break;
	}
	return b << _UFFDIO_WAKE | b << _UFFDIO_COPY | b << _UFFDIO_ZEROPAGE |
	       b << _UFFDIO_WRITEPROTECT | b << _UFFDIO_CONTINUE |
	       b << _UFFDIO_POISON;
}

/*
 * Stock 6.12 bug, fixed at the head of the series ("mm/hugetlb: Let writes
 * through a stale uffd-wp bit"): hugetlb_fault() and hugetlb_no_page() trust
 * a uffd-wp bit or marker in a huge PTE without checking that the VMA is
 * still registered for WP.  A bit left behind when WP goes away (registering
 * the range again without WP) makes every later write fault on the page
 * return without doing anything: the writer spins in the fault forever.  So
 * no WP on hugetlb on a stock kernel (--stock).
 */
static unsigned long hugetlb_mode(struct slot *s, unsigned long mode)
{
	if (s->type != MT_HUGETLB || !opt_stock)
		return mode;
	mode &= ~UFFDIO_REGISTER_MODE_WP;
	return mode ? mode : UFFDIO_REGISTER_MODE_MISSING;
}

/* A random valid mode for the memory type */
static unsigned long rand_mode(struct worker *w, struct slot *s)
{
	unsigned long f = type_features(s), m;

	do {
		m = rn(w, 8) & f;
	} while (!m);
	return hugetlb_mode(s, m);
}

static int do_register(struct worker *w, struct slot *s, int u,
		       unsigned long start, unsigned long len,
		       unsigned long mode)
{
	struct uffdio_register reg = { .range = { start, len }, .mode = mode };
	bool wp_async = uffds[u].features & UFFD_FEATURE_WP_ASYNC;
	bool whole = start == atomic_load(&s->base) &&
		     len == atomic_load(&s->len);
	int r;

	desc(w, s->type, "REGISTER slot=%d %s%s uffd=%s range=%#lx+%#lx mode=%#lx",
	     s->idx, mt_name[s->type], s->minor_only ? "(minor)" : "",
	     uffds[u].name, start, len, mode);
	r = uioctl(w, s->type, OP_REGISTER, IOC_REGISTER, uffds[u].fd,
		   UFFDIO_REGISTER, &reg);

	/* Modes the memory type does not declare are refused with -EINVAL */
	if ((mode & ~type_features(s)) &&
	    !(wp_async && mode == UFFDIO_REGISTER_MODE_WP && s->type != MT_ANON)) {
		if (!r)
			fail(w, s->type, "REGISTER mode %#lx succeeded on memory "
			     "that supports only %#lx", mode, type_features(s));
		else if (r != -EINVAL)
			fail(w, s->type, "REGISTER mode %#lx failed with %d, "
			     "expected -EINVAL", mode, r);
		return r;
	}
	if (r)
		return r;

	/* The ioctls reported: the type's, masked by the modes registered */
	{
		uint64_t exp = type_ioctls(s);
		const uint64_t b = 1;

		if (!(mode & UFFDIO_REGISTER_MODE_WP))
			exp &= ~(b << _UFFDIO_WRITEPROTECT);
		if (!(mode & UFFDIO_REGISTER_MODE_MINOR))
			exp &= ~(b << _UFFDIO_CONTINUE);
		/*
		 * WP_ASYNC lets any memory register WP alone, and
		 * UFFDIO_WRITEPROTECT works there, so it must be reported:
		 * vma_uffd_ioctls() says such ranges keep the full set.
		 * Known kernel bug: for memory whose vm_uffd_ops lack WP
		 * (the module's MINOR-only device) it reports WAKE only.
		 */
		if (wp_async && mode == UFFDIO_REGISTER_MODE_WP)
			exp |= b << _UFFDIO_WRITEPROTECT;
		if (reg.ioctls != exp)
			fail(w, s->type, "REGISTER reported ioctls %#llx, "
			     "expected %#" PRIx64, (unsigned long long)reg.ioctls,
			     exp);
	}
	atomic_store(&s->ufd, u);
	if (whole)
		atomic_store(&s->modes, mode);
	else
		atomic_fetch_or(&s->modes, mode);
	return 0;
}

/* ---- slot life cycle --------------------------------------------------- */

static void slot_unmap(struct slot *s)
{
	unsigned long base = atomic_load(&s->base), len = atomic_load(&s->len);

	atomic_store(&s->live, false);
	maplog_add(base, len, "slot %d munmap", s->idx);
	if (s->alias)
		maplog_add((unsigned long)s->alias, s->maxp * s->psz,
			   "slot %d munmap alias", s->idx);
	if (base && munmap((void *)base, len))
		ksft_print_msg("munmap slot %d: %s\n", s->idx, strerror(errno));
	if (s->alias && munmap(s->alias, s->maxp * s->psz))
		ksft_print_msg("munmap alias %d: %s\n", s->idx, strerror(errno));
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->alias = NULL;
	atomic_store(&s->base, 0);
	atomic_store(&s->len, 0);
	atomic_store(&s->ufd, -1);
	atomic_store(&s->modes, 0);
	drop_tags(s, 0, MAXP);
}

static void op_create(struct worker *w, struct slot *s)
{
	unsigned long np, len;
	void *base;
	int flags;

	s->maxp = s->type == MT_HUGETLB ? MAXP_HUGE : MAXP_SMALL;
	np = 1 + rn(w, s->maxp);
	len = np * s->psz;
	s->priv = s->type != MT_ANON && s->type != MT_HUGETLB && !rn(w, 4);
	s->minor_only = s->type == MT_MODULE && mod_minor_dev >= 0 && !rn(w, 4);
	s->fd = -1;
	desc(w, s->type, "CREATE slot=%d %s%s%s pages=%lu", s->idx,
	     mt_name[s->type], s->priv ? " private" : "",
	     s->minor_only ? " minor-only" : "", np);

	switch (s->type) {
	case MT_ANON:
		break;
	case MT_SHMEM:
		s->fd = memfd_create("uffd-fuzz", MFD_CLOEXEC);
		break;
	case MT_HUGETLB:
		s->fd = memfd_create("uffd-fuzz-huge",
				     MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);
		break;
#ifdef HAVE_UFFD_SAMPLE
	case MT_MODULE:
		if (s->minor_only) {
			struct test_uffd_ops_create req = {
				.size = s->maxp * s->psz,
				.table = UFFD_GOOD_MINOR,
			};

			s->fd = ioctl(mod_minor_dev, TEST_UFFD_OPS_CREATE, &req);
		} else {
			s->fd = ioctl(mod_dev, UFFD_SAMPLE_CREATE,
				      s->maxp * s->psz);
		}
		break;
#endif
	}
	if (s->type != MT_ANON) {
		if (s->fd < 0) {
			count(s->type, OP_CREATE, errno);
			fail(w, s->type, "creating memory: %s", strerror(errno));
			return;
		}
		if (s->type != MT_MODULE &&
		    ftruncate(s->fd, s->maxp * s->psz)) {
			count(s->type, OP_CREATE, errno);
			fail(w, s->type, "ftruncate: %s", strerror(errno));
			close(s->fd);
			s->fd = -1;
			return;
		}
		/* The alias stages page cache contents for MINOR faults */
		s->alias = mmap(NULL, s->maxp * s->psz, PROT_READ | PROT_WRITE,
				MAP_SHARED, s->fd, 0);
		if (s->alias == MAP_FAILED) {
			count(s->type, OP_CREATE, errno);
			/* Hugetlb may be out of pages to reserve: not a bug */
			if (s->type != MT_HUGETLB || errno != ENOMEM)
				fail(w, s->type, "mmap alias: %s", strerror(errno));
			s->alias = NULL;
			close(s->fd);
			s->fd = -1;
			return;
		}
	}
	flags = s->type == MT_ANON ? MAP_PRIVATE | MAP_ANONYMOUS :
		s->priv ? MAP_PRIVATE : MAP_SHARED;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, s->fd, 0);
	count(s->type, OP_CREATE, base == MAP_FAILED ? errno : 0);
	if (base == MAP_FAILED) {
		if (s->type != MT_HUGETLB || errno != ENOMEM)
			fail(w, s->type, "mmap: %s", strerror(errno));
		if (s->alias)
			munmap(s->alias, s->maxp * s->psz);
		s->alias = NULL;
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		return;
	}
	maplog_add((unsigned long)base, len, "slot %d mmap", s->idx);
	if (s->alias)
		maplog_add((unsigned long)s->alias, s->maxp * s->psz,
			   "slot %d mmap alias", s->idx);
	atomic_store(&s->base, (unsigned long)base);
	atomic_store(&s->len, len);
	atomic_store(&s->ufd, -1);
	atomic_store(&s->modes, 0);
	drop_tags(s, 0, MAXP);
	atomic_store(&s->live, true);

	/* Most regions start registered, with a random uffd and mode */
	if (rn(w, 8)) {
		int u = rn(w, NUFFD);

		do_register(w, s, u, (unsigned long)base, len, rand_mode(w, s));
	}
}

static void op_destroy(struct worker *w, struct slot *s)
{
	desc(w, s->type, "DESTROY slot=%d base=%#lx len=%#lx", s->idx,
	     atomic_load(&s->base), atomic_load(&s->len));
	slot_unmap(s);
	count(s->type, OP_DESTROY, 0);
}

/* Shrink the mapping from the end, or unmap it all */
static void op_munmap(struct worker *w, struct slot *s)
{
	unsigned long np = slot_np(s), keep = rn(w, np);
	unsigned long base = atomic_load(&s->base);

	if (!keep) {
		op_destroy(w, s);
		return;
	}
	desc(w, s->type, "MUNMAP slot=%d tail from page %lu of %lu", s->idx,
	     keep, np);
	drop_tags(s, keep, np - keep);
	maplog_add(base + keep * s->psz, (np - keep) * s->psz,
		   "slot %d munmap tail", s->idx);
	if (munmap((void *)(base + keep * s->psz), (np - keep) * s->psz)) {
		count(s->type, OP_MUNMAP, errno);
		fail(w, s->type, "munmap tail: %s", strerror(errno));
		return;
	}
	count(s->type, OP_MUNMAP, 0);
	atomic_store(&s->len, keep * s->psz);
}

/*
 * A failed MREMAP_FIXED may or may not have unmapped its target already,
 * and another thread may have mapped something there since: take the
 * range back only if it is free, else leave it (a leak of a few pages of
 * PROT_NONE beats unmapping another slot's memory).
 */
static void release_reservation(void *res, unsigned long len)
{
	void *p = mmap(res, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_FIXED_NOREPLACE, -1, 0);

	maplog_add((unsigned long)res, len, "release reservation: %s",
		   p == res ? "munmap" : "leak");
	if (p == res)
		munmap(res, len);
	else if (p != MAP_FAILED)
		munmap(p, len);	/* an old kernel ignored NOREPLACE */
}

/*
 * Move and/or resize the mapping.  The contents of the pages kept move
 * with it, so their tags stay: the next VERIFY checks mremap kept them.
 */
static void op_mremap(struct worker *w, struct slot *s)
{
	unsigned long np = slot_np(s), nnp = 1 + rn(w, s->maxp);
	unsigned long base = atomic_load(&s->base), len = np * s->psz;
	unsigned long nlen = nnp * s->psz;
	void *res = NULL, *nbase;
	int flags = MREMAP_MAYMOVE;
	int u = atomic_load(&s->ufd);

	/*
	 * Force a move to a fresh place half the time (4 KiB pages only),
	 * but only with a grow: a failing MREMAP_FIXED that shrinks may have
	 * unmapped the tail of the old range already, and one of the same
	 * size may have moved some of the VMAs (Linux 6.17+), leaving parts
	 * that another thread's mmap could take.  A grow needs one VMA and
	 * fails before changing anything.
	 */
	if (s->psz == PSZ && nnp > np && rn(w, 2)) {
		res = mmap(NULL, nlen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
		if (res == MAP_FAILED)
			res = NULL;
		else
			flags |= MREMAP_FIXED;
	}
	desc(w, s->type, "MREMAP slot=%d %#lx+%#lx -> %lu pages%s uffd=%d",
	     s->idx, base, len, nnp, res ? " fixed" : "", u);
	nbase = mremap((void *)base, len, nlen, flags, res);
	maplog_add(base, len, "slot %d mremap to %p+%#lx res %p: %s", s->idx,
		   nbase, nlen, res, nbase == MAP_FAILED ? strerror(errno) : "ok");
	if (nbase != MAP_FAILED)
		maplog_add((unsigned long)nbase, nlen, "slot %d mremap from %#lx+%#lx",
			   s->idx, base, len);
	count(s->type, OP_MREMAP, nbase == MAP_FAILED ? errno : 0);
	if (nbase == MAP_FAILED) {
		int e = errno;

		/*
		 * EFAULT: the range spans VMAs split by partial (un)register
		 * or WP; ENOMEM/EINVAL: no room or hugetlb constraints.
		 */
		if (e != EFAULT && e != ENOMEM && e != EINVAL && e != EAGAIN)
			fail(w, s->type, "mremap: %s", strerror(e));
		if (res)
			release_reservation(res, nlen);
		return;
	}
	if (nnp < np)
		drop_tags(s, nnp, np - nnp);
	for (unsigned long i = 0; i < nnp && i < np; i++)
		if (atomic_load(&s->tag[i]) && !strstr(s->origin[i], "+mremap"))
			strncat(s->origin[i], "+mremap",
				sizeof(s->origin[i]) - strlen(s->origin[i]) - 1);
	atomic_store(&s->base, (unsigned long)nbase);
	atomic_store(&s->len, nlen);
	/* Only EVENT_REMAP keeps the registration across a move */
	if (u < 0 || !(uffds[u].features & UFFD_FEATURE_EVENT_REMAP)) {
		if (nbase != (void *)base) {
			atomic_store(&s->ufd, -1);
			atomic_store(&s->modes, 0);
		}
	}
}

/* Check every page with a known tag */
static void op_verify(struct worker *w, struct slot *s)
{
	unsigned long np = slot_np(s), step = sample_step(s->psz);
	unsigned long n = s->psz / 8;

	desc(w, s->type, "VERIFY slot=%d pages=%lu", s->idx, np);
	count(s->type, OP_VERIFY, 0);
	for (unsigned long p = 0; p < np; p++) {
		uint64_t tag = atomic_load(&s->tag[p]);
		uint64_t *q = (uint64_t *)slot_page(s, p);
		bool bad = false;

		if (!tag)
			continue;
		for (unsigned long i = 0; i < n && !bad;
		     i = next_sample(i, step, n)) {
			uint64_t v;
			int sig = g_read(&q[i], &v);

			if (sig) {
				fail(w, s->type, "signal %d reading page %lu of "
				     "slot %d with known content (%s)", sig, p,
				     s->idx, s->origin[p]);
				bad = true;
			} else if (v != pattern(tag, i)) {
				fail(w, s->type, "slot %d page %lu (%p) word %lu: "
				     "got %#" PRIx64 " expected %#" PRIx64
				     " (tag %#" PRIx64 ", %s)", s->idx, p, q, i,
				     v, pattern(tag, i), tag, s->origin[p]);
				bad = true;
			}
		}
		if (bad)
			drop_tags(s, p, 1);
		else
			count(s->type, OP_VERIFIED, 0);
	}
}

/* ---- fills ------------------------------------------------------------- */

static int slot_uffd(struct worker *w, struct slot *s)
{
	int u = atomic_load(&s->ufd);

	/* Now and then use another uffd: it must fail cleanly */
	return u < 0 || !rn(w, 16) ? (int)rn(w, NUFFD) : u;
}

static void pick_range(struct worker *w, struct slot *s, unsigned long *p,
		       unsigned long *k)
{
	unsigned long np = slot_np(s);
	unsigned long maxk = s->psz == PSZ ? MAX_K_SMALL : MAX_K_HUGE;

	*p = rn(w, np);
	*k = 1 + rn(w, np - *p < maxk ? np - *p : maxk);
}

/*
 * Fill the COPY source with tags.  Half the time, drop the source's PTEs
 * so that the kernel's copy with page faults disabled fails and the
 * -ENOENT retry path (copy without locks, then call again) runs.
 */
static void prep_src(struct worker *w, struct slot *s, unsigned long k,
		     uint64_t *tags)
{
	for (unsigned long j = 0; j < k; j++) {
		tags[j] = new_tag(w);
		fill_pattern(w->srcw + j * s->psz, s->psz, tags[j]);
	}
	/* 512 refaults of the source per huge page are too slow: 4 KiB only */
	if (s->psz == PSZ && rn(w, 2))
		madvise(w->srcr, k * s->psz, MADV_DONTNEED);
}

static void op_copy(struct worker *w, struct slot *s, bool tagged)
{
	unsigned long p, k, psz = s->psz, done;
	uint64_t tags[MAX_K_SMALL];
	int u = slot_uffd(w, s), r;
	struct uffdio_copy c;
	unsigned long modes = atomic_load(&s->modes);
	int op = tagged ? OP_TAG_COPY : OP_COPY;

	pick_range(w, s, &p, &k);
	prep_src(w, s, k, tags);
	c = (struct uffdio_copy){
		.dst = (unsigned long)slot_page(s, p),
		.src = (unsigned long)w->srcr, .len = k * psz,
		.mode = rn(w, 4) ? 0 : UFFDIO_COPY_MODE_DONTWAKE,
		.copy = SENTINEL,
	};
	if ((modes & UFFDIO_REGISTER_MODE_WP) && !rn(w, 3))
		c.mode |= UFFDIO_COPY_MODE_WP;
	desc(w, s->type, "%s slot=%d page=%lu k=%lu dst=%#llx uffd=%s mode=%#llx",
	     op_name[op], s->idx, p, k, c.dst, uffds[u].name, c.mode);
	r = uioctl(w, s->type, op, IOC_COPY, uffds[u].fd, UFFDIO_COPY, &c);
	done = check_out(w, s->type, IOC_COPY, r, c.copy, c.len, psz) / psz;
	check_filled_untagged(w, s, IOC_COPY, p, done);
	for (unsigned long j = 0; j < done; j++) {
		if (tagged)
			set_tag(s, p + j, tags[j], "COPY%s by thread %d",
				c.mode & UFFDIO_COPY_MODE_WP ? "(WP)" : "", w->id);
		else
			drop_tags(s, p + j, 1);
	}
}

static void op_zeropage(struct worker *w, struct slot *s, bool tagged)
{
	unsigned long p, k, psz = s->psz, done;
	int u = slot_uffd(w, s), r;
	struct uffdio_zeropage z;
	int op = tagged ? OP_TAG_ZERO : OP_ZEROPAGE;

	pick_range(w, s, &p, &k);
	z = (struct uffdio_zeropage){
		.range = { (unsigned long)slot_page(s, p), k * psz },
		.mode = rn(w, 4) ? 0 : UFFDIO_ZEROPAGE_MODE_DONTWAKE,
		.zeropage = SENTINEL,
	};
	desc(w, s->type, "%s slot=%d page=%lu k=%lu uffd=%s mode=%#llx",
	     op_name[op], s->idx, p, k, uffds[u].name, z.mode);
	r = uioctl(w, s->type, op, IOC_ZEROPAGE, uffds[u].fd, UFFDIO_ZEROPAGE,
		   &z);
	done = check_out(w, s->type, IOC_ZEROPAGE, r, z.zeropage, k * psz,
			 psz) / psz;
	/* hugetlbfs declares no ZEROPAGE, nor does MINOR-only memory */
	if (!r && (s->type == MT_HUGETLB || s->minor_only))
		fail(w, s->type, "ZEROPAGE succeeded on memory without it");
	check_filled_untagged(w, s, IOC_ZEROPAGE, p, done);
	for (unsigned long j = 0; j < done; j++) {
		if (tagged)
			set_tag(s, p + j, TAG_ZERO, "ZEROPAGE by thread %d", w->id);
		else
			drop_tags(s, p + j, 1);
	}
}

/*
 * Put new contents into the page cache behind page p without mapping it
 * in the main mapping: write through the alias.  Returns the tag, 0 if not.
 */
static uint64_t stage_page(struct worker *w, struct slot *s, unsigned long p)
{
	uint64_t tag = new_tag(w);
	unsigned long step = sample_step(s->psz), n = s->psz / 8, i;
	volatile uint64_t *q = (uint64_t *)(s->alias + p * s->psz);

	/* The alias is not registered: its faults just allocate */
	for (i = 0; i < n; i = next_sample(i, step, n)) {
		int sig = g_write(&q[i], pattern(tag, i));

		if (sig == SIGBUS)	/* beyond a truncated end */
			return 0;
		if (sig) {
			fail(w, s->type, "signal %d writing alias", sig);
			return 0;
		}
	}
	return tag;
}

static void op_continue(struct worker *w, struct slot *s, bool tagged)
{
	unsigned long p, k, psz = s->psz, done;
	int u = slot_uffd(w, s), r;
	unsigned long modes = atomic_load(&s->modes);
	uint64_t tag = 0;
	struct uffdio_continue c;
	int op = tagged ? OP_TAG_CONTINUE : OP_CONTINUE;

	pick_range(w, s, &p, &k);
	if (tagged)
		k = 1;
	/* Staging changes the page cache: the page's content changes */
	if (s->alias && (tagged || rn(w, 2))) {
		drop_tags(s, p, 1);
		tag = stage_page(w, s, p);
	}
	c = (struct uffdio_continue){
		.range = { (unsigned long)slot_page(s, p), k * psz },
		.mode = rn(w, 4) ? 0 : UFFDIO_CONTINUE_MODE_DONTWAKE,
		.mapped = SENTINEL,
	};
	if ((modes & UFFDIO_REGISTER_MODE_WP) && !rn(w, 4))
		c.mode |= UFFDIO_CONTINUE_MODE_WP;
	desc(w, s->type, "%s slot=%d page=%lu k=%lu uffd=%s mode=%#llx staged=%d",
	     op_name[op], s->idx, p, k, uffds[u].name, c.mode, tag != 0);
	r = uioctl(w, s->type, op, IOC_CONTINUE, uffds[u].fd, UFFDIO_CONTINUE,
		   &c);
	done = check_out(w, s->type, IOC_CONTINUE, r, c.mapped, k * psz,
			 psz) / psz;
	if (!r && s->type == MT_ANON)
		fail(w, s->type, "CONTINUE succeeded on anonymous memory");
	check_filled_untagged(w, s, IOC_CONTINUE, p, done);
	if (!tagged || !tag)
		return;
	/*
	 * Mapped now, or it was mapped already (-EEXIST): a shared mapping
	 * maps the page cache page itself, so it shows the staged data.
	 */
	if (done || (r == -EEXIST && !s->priv))
		set_tag(s, p, tag, "CONTINUE%s %s by thread %d",
			c.mode & UFFDIO_CONTINUE_MODE_WP ? "(WP)" : "",
			done ? "mapped" : "EEXIST", w->id);
}

static void op_wp(struct worker *w, struct slot *s, bool on)
{
	unsigned long p, k;
	int u = slot_uffd(w, s);
	struct uffdio_writeprotect wp;

	pick_range(w, s, &p, &k);
	if (!rn(w, 8)) {
		p = 0;
		k = slot_np(s);
	}
	wp = (struct uffdio_writeprotect){
		.range = { (unsigned long)slot_page(s, p), k * s->psz },
		.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP :
			(rn(w, 4) ? 0 : UFFDIO_WRITEPROTECT_MODE_DONTWAKE),
	};
	desc(w, s->type, "%s slot=%d page=%lu k=%lu uffd=%s mode=%#llx",
	     on ? "WP_ON" : "WP_OFF", s->idx, p, k, uffds[u].name, wp.mode);
	uioctl(w, s->type, on ? OP_WP_ON : OP_WP_OFF, IOC_WP, uffds[u].fd,
	       UFFDIO_WRITEPROTECT, &wp);
}

static void op_poison(struct worker *w, struct slot *s)
{
	unsigned long p, k, done;
	int u = slot_uffd(w, s), r;
	struct uffdio_poison po;

	pick_range(w, s, &p, &k);
	po = (struct uffdio_poison){
		.range = { (unsigned long)slot_page(s, p), k * s->psz },
		.mode = rn(w, 4) ? 0 : UFFDIO_POISON_MODE_DONTWAKE,
		.updated = SENTINEL,
	};
	desc(w, s->type, "POISON slot=%d page=%lu k=%lu uffd=%s mode=%#llx",
	     s->idx, p, k, uffds[u].name, po.mode);
	r = uioctl(w, s->type, OP_POISON, IOC_POISON, uffds[u].fd,
		   UFFDIO_POISON, &po);
	done = check_out(w, s->type, IOC_POISON, r, po.updated, k * s->psz,
			 s->psz) / s->psz;
	if (!r && s->minor_only)
		fail(w, s->type, "POISON succeeded on MINOR-only memory");
	check_filled_untagged(w, s, IOC_POISON, p, done);
}

static void op_wake(struct worker *w, struct slot *s)
{
	unsigned long p, k;
	int u = slot_uffd(w, s);
	struct uffdio_range r;

	pick_range(w, s, &p, &k);
	r = (struct uffdio_range){ (unsigned long)slot_page(s, p), k * s->psz };
	desc(w, s->type, "WAKE slot=%d page=%lu k=%lu uffd=%s", s->idx, p, k,
	     uffds[u].name);
	uioctl(w, s->type, OP_WAKE, IOC_WAKE, uffds[u].fd, UFFDIO_WAKE, &r);
}

/* ---- other memory operations ------------------------------------------- */

static void op_touch(struct worker *w, struct slot *s, bool write)
{
	unsigned long p = rn(w, slot_np(s)), word = rand_word(w, s->psz);
	uint64_t v;
	int sig;

	desc(w, s->type, "%s slot=%d page=%lu word=%lu addr=%p", write ?
	     "WRITE" : "READ", s->idx, p, word,
	     (uint64_t *)slot_page(s, p) + word);
	if (write)
		drop_tags(s, p, 1);
	sig = touch(w, s, p, word, write, rnd(w), &v);
	count(s->type, write ? OP_WRITE : OP_READ, sig);
}

static void op_dontneed(struct worker *w, struct slot *s)
{
	unsigned long p, k;
	int r;

	pick_range(w, s, &p, &k);
	desc(w, s->type, "DONTNEED slot=%d page=%lu k=%lu", s->idx, p, k);
	drop_tags(s, p, k);
	r = madvise(slot_page(s, p), k * s->psz, MADV_DONTNEED);
	count(s->type, OP_DONTNEED, r ? errno : 0);
	if (r)
		fail(w, s->type, "madvise(MADV_DONTNEED): %s", strerror(errno));
}

/* Free page cache pages: the next access faults MISSING again */
static void op_punch(struct worker *w, struct slot *s)
{
	unsigned long p, k;
	bool remove = !s->priv && rn(w, 3) == 0;
	int r;

	pick_range(w, s, &p, &k);
	desc(w, s->type, "PUNCH slot=%d page=%lu k=%lu via %s", s->idx, p, k,
	     remove ? "MADV_REMOVE" : "fallocate");
	drop_tags(s, p, k);
	if (remove)
		r = madvise(slot_page(s, p), k * s->psz, MADV_REMOVE);
	else
		r = fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      p * s->psz, k * s->psz);
	count(s->type, OP_PUNCH, r ? errno : 0);
	if (r)
		fail(w, s->type, "%s: %s", remove ? "MADV_REMOVE" :
		     "fallocate(PUNCH_HOLE)", strerror(errno));
}

/*
 * Move the end of the file: pages beyond it SIGBUS, and a fill racing
 * with the truncation must not leave a page beyond it.  Half the time
 * grow it back to full size.
 */
static void op_truncate(struct worker *w, struct slot *s)
{
	unsigned long np = rn(w, 2) ? s->maxp : 1 + rn(w, s->maxp);
	int r;

	desc(w, s->type, "TRUNCATE slot=%d to %lu pages", s->idx, np);
	drop_tags(s, np, MAXP - np);
	r = ftruncate(s->fd, np * s->psz);
	count(s->type, OP_TRUNCATE, r ? errno : 0);
	/* The module's memory objects may not support a size change */
	if (r && !(s->type == MT_MODULE &&
		   (errno == EINVAL || errno == EPERM || errno == EACCES ||
		    errno == EOPNOTSUPP)))
		fail(w, s->type, "ftruncate: %s", strerror(errno));
}

/* The child touches a page and exits; shared writes reach the parent */
static void op_fork(struct worker *w, struct slot *s)
{
	unsigned long p = rn(w, slot_np(s)), word = rand_word(w, s->psz);
	volatile uint64_t *addr = (uint64_t *)slot_page(s, p) + word;
	bool write = rn(w, 2);
	int status;
	pid_t pid;

	desc(w, s->type, "FORK slot=%d child %s page %lu word %lu", s->idx,
	     write ? "writes" : "reads", p, word);
	if (write)
		drop_tags(s, p, 1);
	pid = fork();
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		if (write)
			*addr = 0xf0f0f0f0f0f0f0f0ULL;
		else
			(void)*addr;
		_exit(0);
	}
	count(s->type, OP_FORK, pid < 0 ? errno : 0);
	if (pid < 0) {
		if (errno != EAGAIN && errno != ENOMEM)
			fail(w, s->type, "fork: %s", strerror(errno));
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* SIGBUS is fine: the page may be poisoned or beyond EOF */
	if (!(WIFEXITED(status) && !WEXITSTATUS(status)) &&
	    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS))
		fail(w, s->type, "fork child touching %p: status %#x", addr,
		     status);
}

static void op_register(struct worker *w, struct slot *s)
{
	unsigned long p, k;
	int u = rn(w, NUFFD);
	unsigned long mode = rand_mode(w, s);

	pick_range(w, s, &p, &k);
	if (rn(w, 2)) {
		p = 0;
		k = slot_np(s);
	}
	/* Sometimes a mode the memory type cannot do: must be -EINVAL */
	if (!rn(w, 8))
		mode = 1 + rn(w, 7);
	mode = hugetlb_mode(s, mode);
	do_register(w, s, u, (unsigned long)slot_page(s, p), k * s->psz, mode);
}

static void op_unregister(struct worker *w, struct slot *s)
{
	unsigned long p, k;
	int u = slot_uffd(w, s), r;
	struct uffdio_range range;
	bool whole = rn(w, 2);

	pick_range(w, s, &p, &k);
	if (whole) {
		p = 0;
		k = slot_np(s);
	}
	range = (struct uffdio_range){ (unsigned long)slot_page(s, p),
				       k * s->psz };
	desc(w, s->type, "UNREGISTER slot=%d page=%lu k=%lu uffd=%s", s->idx,
	     p, k, uffds[u].name);
	r = uioctl(w, s->type, OP_UNREGISTER, IOC_UNREGISTER, uffds[u].fd,
		   UFFDIO_UNREGISTER, &range);
	if (!r && whole && u == atomic_load(&s->ufd)) {
		atomic_store(&s->ufd, -1);
		atomic_store(&s->modes, 0);
	}
}

/*
 * Requests that must fail whatever the state, with the errno they must
 * fail with (EAGAIN allowed where a concurrent mremap/fork event can make
 * the ioctl bail out before looking at its arguments).
 */
static void op_must_fail(struct worker *w, struct slot *s)
{
	unsigned long base = atomic_load(&s->base), psz = s->psz;
	int u = slot_uffd(w, s), fd = uffds[u].fd, r = 0, kind = rn(w, 12);
	int64_t out = SENTINEL;
	bool need_einval = true;
	const char *what = "?";

	switch (kind) {
	case 0: case 1: {
		struct uffdio_register reg = {
			.range = { base, psz },
			.mode = kind ? UFFDIO_REGISTER_MODE_MISSING | 1 << 3 : 0,
		};

		what = kind ? "REGISTER with unknown mode bit" :
			      "REGISTER with mode 0";
		desc(w, s->type, "MUST_FAIL %s slot=%d", what, s->idx);
		r = uioctl(w, s->type, OP_MUST_FAIL, IOC_REGISTER, fd,
			   UFFDIO_REGISTER, &reg);
		break;
	}
	case 2: {
		/* Unaligned start: 4 KiB into a huge page, or 1 byte in */
		struct uffdio_register reg = {
			.range = { base + (psz == PSZ ? 1 : PSZ), psz },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		what = "REGISTER unaligned";
		desc(w, s->type, "MUST_FAIL %s slot=%d start=%#llx", what,
		     s->idx, reg.range.start);
		r = uioctl(w, s->type, OP_MUST_FAIL, IOC_REGISTER, fd,
			   UFFDIO_REGISTER, &reg);
		break;
	}
	case 3: case 4: case 5: {
		struct uffdio_copy c = {
			.dst = base, .src = (unsigned long)w->srcr,
			.len = psz, .copy = SENTINEL,
		};

		if (kind == 3) {
			c.mode = 1 << 2;
			what = "COPY with unknown mode bit";
		} else if (kind == 4) {
			c.dst += 8;
			what = "COPY to unaligned destination";
		} else {
			c.len = 0;
			what = "COPY of length 0";
		}
		desc(w, s->type, "MUST_FAIL %s slot=%d uffd=%s", what, s->idx,
		     uffds[u].name);
		r = uioctl(w, s->type, OP_MUST_FAIL, IOC_COPY, fd, UFFDIO_COPY,
			   &c);
		out = c.copy;
		break;
	}
	case 6: {
		struct uffdio_writeprotect wp = {
			.range = { base, psz },
			.mode = UFFDIO_WRITEPROTECT_MODE_WP |
				UFFDIO_WRITEPROTECT_MODE_DONTWAKE,
		};

		what = "WRITEPROTECT with WP|DONTWAKE";
		desc(w, s->type, "MUST_FAIL %s slot=%d", what, s->idx);
		r = uioctl(w, s->type, OP_MUST_FAIL, IOC_WP, fd,
			   UFFDIO_WRITEPROTECT, &wp);
		break;
	}
	case 7: {
		struct uffdio_poison po = {
			.range = { base, psz }, .mode = 1 << 1,
			.updated = SENTINEL,
		};

		what = "POISON with unknown mode bit";
		desc(w, s->type, "MUST_FAIL %s slot=%d", what, s->idx);
		r = uioctl(w, s->type, OP_MUST_FAIL, IOC_POISON, fd,
			   UFFDIO_POISON, &po);
		out = po.updated;
		break;
	}
	case 8: {
		uint64_t f = 0;

		what = "UFFDIO_API twice";
		desc(w, s->type, "MUST_FAIL %s uffd=%s", what, uffds[u].name);
		r = uffd_api(fd, &f);
		count(s->type, OP_MUST_FAIL, r);
		break;
	}
	case 9: {
		struct uffdio_range range = { base + 1, psz };

		what = "WAKE unaligned";
		desc(w, s->type, "MUST_FAIL %s slot=%d", what, s->idx);
		r = uioctl(w, s->type, OP_MUST_FAIL, IOC_WAKE, fd, UFFDIO_WAKE,
			   &range);
		break;
	}
	default: {
		/* What the memory type does not declare: any errno will do */
		need_einval = false;
		if (s->type == MT_ANON) {
			struct uffdio_continue c = {
				.range = { base, psz }, .mapped = SENTINEL };

			what = "CONTINUE on anon";
			desc(w, s->type, "MUST_FAIL %s slot=%d", what, s->idx);
			r = uioctl(w, s->type, OP_MUST_FAIL, IOC_CONTINUE, fd,
				   UFFDIO_CONTINUE, &c);
			out = c.mapped;
		} else if (s->type == MT_HUGETLB || s->minor_only) {
			struct uffdio_zeropage z = {
				.range = { base, psz }, .zeropage = SENTINEL };

			what = "ZEROPAGE without declared support";
			desc(w, s->type, "MUST_FAIL %s slot=%d", what, s->idx);
			r = uioctl(w, s->type, OP_MUST_FAIL, IOC_ZEROPAGE, fd,
				   UFFDIO_ZEROPAGE, &z);
			out = z.zeropage;
		} else {
			struct uffdio_register reg = {
				.range = { base, psz },
				.mode = UFFDIO_REGISTER_MODE_MISSING | 1 << 4,
			};

			what = "REGISTER with high mode bit";
			need_einval = true;
			desc(w, s->type, "MUST_FAIL %s slot=%d", what, s->idx);
			r = uioctl(w, s->type, OP_MUST_FAIL, IOC_REGISTER, fd,
				   UFFDIO_REGISTER, &reg);
		}
		break;
	}
	}
	if (!r)
		fail(w, s->type, "%s succeeded", what);
	else if (need_einval && r != -EINVAL && r != -EAGAIN)
		fail(w, s->type, "%s failed with %d, expected -EINVAL", what, r);
	if (out != SENTINEL && out != r)
		fail(w, s->type, "%s: ioctl returned %d, output field %" PRId64,
		     what, r, out);
}

/* ---- workers ----------------------------------------------------------- */

static bool op_applies(struct slot *s, int op)
{
	bool file = s->type != MT_ANON;

	switch (op) {
	case OP_TAG_CONTINUE:
		return file;
	case OP_TAG_ZERO:
		return s->type != MT_HUGETLB;
	case OP_PUNCH:
		return file;
	case OP_TRUNCATE:
		return file;
	}
	return true;
}

static int op_weight_total;	/* set up in main() */

static int pick_op(struct worker *w, struct slot *s)
{
	int r, op;

	for (;;) {
		r = rn(w, op_weight_total);
		for (op = 0; r >= op_weight[op]; op++)
			r -= op_weight[op];
		/* fork costs tens of ms in an emulated guest: 1 in ~700 ops */
		if (op == OP_FORK && rn(w, 3))
			continue;
		if (op_applies(s, op))
			return op;
	}
}

static void run_op(struct worker *w, struct slot *s, int op)
{
	switch (op) {
	case OP_CREATE: op_create(w, s); break;
	case OP_DESTROY: op_destroy(w, s); break;
	case OP_MREMAP: op_mremap(w, s); break;
	case OP_MUNMAP: op_munmap(w, s); break;
	case OP_VERIFY: op_verify(w, s); break;
	case OP_TAG_COPY: op_copy(w, s, true); break;
	case OP_TAG_ZERO: op_zeropage(w, s, true); break;
	case OP_TAG_WRITE: {
		unsigned long p = rn(w, slot_np(s));
		uint64_t tag = new_tag(w);

		desc(w, s->type, "TAG_WRITE slot=%d page=%lu", s->idx, p);
		drop_tags(s, p, 1);
		if (!write_pattern(w, s, p, tag))
			set_tag(s, p, tag, "WRITE by thread %d", w->id);
		count(s->type, OP_TAG_WRITE, 0);
		break;
	}
	case OP_TAG_CONTINUE: op_continue(w, s, true); break;
	case OP_READ: op_touch(w, s, false); break;
	case OP_WRITE: op_touch(w, s, true); break;
	case OP_COPY: op_copy(w, s, false); break;
	case OP_ZEROPAGE: op_zeropage(w, s, false); break;
	case OP_CONTINUE: op_continue(w, s, false); break;
	case OP_WP_ON: op_wp(w, s, true); break;
	case OP_WP_OFF: op_wp(w, s, false); break;
	case OP_POISON: op_poison(w, s); break;
	case OP_WAKE: op_wake(w, s); break;
	case OP_DONTNEED: op_dontneed(w, s); break;
	case OP_PUNCH: op_punch(w, s); break;
	case OP_TRUNCATE: op_truncate(w, s); break;
	case OP_FORK: op_fork(w, s); break;
	case OP_REGISTER: op_register(w, s); break;
	case OP_UNREGISTER: op_unregister(w, s); break;
	case OP_MUST_FAIL: op_must_fail(w, s); break;
	}
}

static bool time_up(void)
{
	return now_ms() >= t_deadline_ms || atomic_load(&g_stop);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	self = w;
	while (!time_up()) {
		struct slot *s = &slots[rn(w, nslots)];
		int op = pick_op(w, s);

		if (atomic_fetch_add(&g_ops_started, 1) >= opt_ops)
			break;
		long t0 = now_us();

		w->cur_slot = s;
		atomic_store(&w->op_start_ms, t0 / 1000);
		if (!atomic_load(&s->live) || op_excl(op)) {
			pthread_rwlock_wrlock(&s->lock);
			if (!atomic_load(&s->live)) {
				op = OP_CREATE;
				op_create(w, s);
			} else {
				run_op(w, s, op);
			}
		} else {
			pthread_rwlock_rdlock(&s->lock);
			if (atomic_load(&s->live))
				run_op(w, s, op);
		}
		pthread_rwlock_unlock(&s->lock);
		atomic_fetch_add_explicit(&op_us[op], now_us() - t0,
					  memory_order_relaxed);
		atomic_store(&w->op_start_ms, 0);
		atomic_fetch_add(&g_ops_done, 1);
	}
	return NULL;
}

/* ---- fault handlers ---------------------------------------------------- */

/*
 * The slot a fault address belongs to.  Its faulting thread holds the slot
 * lock, so base and len are stable; a message may be stale though (the
 * fault was woken by an unregister before we got to it), so a miss is
 * possible and harmless.
 */
static struct slot *find_slot(unsigned long addr)
{
	for (int i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];
		unsigned long b = atomic_load(&s->base), l = atomic_load(&s->len);

		if (atomic_load(&s->live) && addr >= b && addr < b + l)
			return s;
	}
	return NULL;
}

static void handle_fault(struct worker *w, struct uffd *u, struct uffd_msg *m)
{
	unsigned long addr = m->arg.pagefault.address;
	uint64_t fl = m->arg.pagefault.flags;
	struct slot *s = find_slot(addr);
	unsigned long psz = s ? s->psz : PSZ, page = addr & ~(psz - 1);
	int type = s ? s->type : NR_MT, r;

	w->cur_slot = s;
	if (u->features & UFFD_FEATURE_SIGBUS)
		fail(w, type, "SIGBUS-mode uffd delivered a fault at %#lx", addr);
	if ((u->features & UFFD_FEATURE_WP_ASYNC) && (fl & UFFD_PAGEFAULT_FLAG_WP))
		fail(w, type, "WP_ASYNC uffd delivered a WP fault at %#lx", addr);
	if (!s)
		count(type, OP_H_STALE, 0);

	if (fl & UFFD_PAGEFAULT_FLAG_WP) {
		struct uffdio_writeprotect wp = { .range = { page, psz } };

		desc(w, type, "H_UNPROTECT %s addr=%#lx flags=%#" PRIx64,
		     u->name, addr, fl);
		r = uioctl(w, type, OP_H_UNPROTECT, IOC_WP, u->fd,
			   UFFDIO_WRITEPROTECT, &wp);
	} else if (fl & UFFD_PAGEFAULT_FLAG_MINOR) {
		struct uffdio_continue c = { .range = { page, psz },
					     .mapped = SENTINEL };

		desc(w, type, "H_CONTINUE %s addr=%#lx flags=%#" PRIx64,
		     u->name, addr, fl);
		r = uioctl(w, type, OP_H_CONTINUE, IOC_CONTINUE, u->fd,
			   UFFDIO_CONTINUE, &c);
		check_out(w, type, IOC_CONTINUE, r, c.mapped, psz, psz);
	} else {
		unsigned long how = rn(w, 64);

		if (how == 0 && (u->features & UFFD_FEATURE_POISON)) {
			struct uffdio_poison po = { .range = { page, psz },
						    .updated = SENTINEL };

			desc(w, type, "H_POISON %s addr=%#lx", u->name, addr);
			r = uioctl(w, type, OP_H_POISON, IOC_POISON, u->fd,
				   UFFDIO_POISON, &po);
			check_out(w, type, IOC_POISON, r, po.updated, psz, psz);
		} else if (how < 16 && psz == PSZ) {
			struct uffdio_zeropage z = { .range = { page, psz },
						     .zeropage = SENTINEL };

			desc(w, type, "H_ZEROPAGE %s addr=%#lx", u->name, addr);
			r = uioctl(w, type, OP_H_ZEROPAGE, IOC_ZEROPAGE, u->fd,
				   UFFDIO_ZEROPAGE, &z);
			check_out(w, type, IOC_ZEROPAGE, r, z.zeropage, psz, psz);
		} else {
			struct uffdio_copy c = {
				.dst = page, .src = (unsigned long)w->hbuf,
				.len = psz, .copy = SENTINEL,
				.mode = how < 24 ? UFFDIO_COPY_MODE_WP : 0,
			};

			desc(w, type, "H_COPY %s addr=%#lx mode=%#llx", u->name,
			     addr, c.mode);
			r = uioctl(w, type, OP_H_COPY, IOC_COPY, u->fd,
				   UFFDIO_COPY, &c);
			check_out(w, type, IOC_COPY, r, c.copy, psz, psz);
			/* MODE_WP needs a WP registration: try without */
			if (r == -EINVAL && c.mode) {
				c.mode = 0;
				c.copy = SENTINEL;
				r = uioctl(w, type, OP_H_COPY, IOC_COPY, u->fd,
					   UFFDIO_COPY, &c);
				check_out(w, type, IOC_COPY, r, c.copy, psz, psz);
			}
		}
	}
	/*
	 * Whatever failed (the page got filled meanwhile, the range was
	 * unregistered or moved, ...), wake the faulting thread: it retries
	 * and faults again if it still has to.
	 */
	if (r) {
		struct uffdio_range range = { page, psz };

		uioctl(w, type, OP_H_WAKE, IOC_WAKE, u->fd, UFFDIO_WAKE, &range);
	}
}

static void *handler_main(void *arg)
{
	struct uffd *u = arg;
	struct worker *w = &hworkers[u - uffds];
	struct pollfd pfd = { .fd = u->fd, .events = POLLIN };

	self = w;
	while (!atomic_load(&g_handlers_stop)) {
		struct uffd_msg msgs[8];
		ssize_t n;
		int r = poll(&pfd, 1, 50);

		if (r <= 0)
			continue;
		if (pfd.revents & (POLLERR | POLLHUP)) {
			fail(w, NR_MT, "poll on %s: revents %#x", u->name,
			     pfd.revents);
			break;
		}
		n = read(u->fd, msgs, sizeof(msgs));
		if (n < 0) {
			if (errno != EAGAIN)
				fail(w, NR_MT, "read %s: %s", u->name,
				     strerror(errno));
			continue;
		}
		if (n % sizeof(msgs[0]))
			fail(w, NR_MT, "read %s: %zd bytes", u->name, n);
		for (unsigned int i = 0; i < n / sizeof(msgs[0]); i++) {
			struct uffd_msg *m = &msgs[i];

			atomic_store(&w->op_start_ms, now_ms());
			switch (m->event) {
			case UFFD_EVENT_PAGEFAULT:
				handle_fault(w, u, m);
				break;
			case UFFD_EVENT_FORK:
				/*
				 * The child's uffd: close it, which
				 * unregisters the child and wakes its faults.
				 */
				count(NR_MT, OP_EV_FORK, 0);
				close(m->arg.fork.ufd);
				break;
			case UFFD_EVENT_REMAP:
				count(NR_MT, OP_EV_REMAP, 0);
				break;
			case UFFD_EVENT_REMOVE:
				count(NR_MT, OP_EV_REMOVE, 0);
				break;
			case UFFD_EVENT_UNMAP:
				count(NR_MT, OP_EV_UNMAP, 0);
				break;
			default:
				fail(w, NR_MT, "%s: unknown event %#x", u->name,
				     m->event);
			}
			atomic_store(&w->op_start_ms, 0);
		}
	}
	return NULL;
}

/* ---- watchdog and reporting -------------------------------------------- */

static void print_counts(void)
{
	char line[2048];

	for (int op = 0; op < NR_OPS; op++) {
		unsigned long tot = 0;
		int len;

		for (int t = 0; t <= NR_MT; t++)
			for (int e = 0; e < NERR; e++)
				tot += cnt[t][op][e];
		if (!tot)
			continue;
		len = snprintf(line, sizeof(line), "%-13s %9lu", op_name[op], tot);
		if (op_us[op])
			len += snprintf(line + len, sizeof(line) - len,
					" (%lu ms)", op_us[op] / 1000);
		len += snprintf(line + len, sizeof(line) - len, ":");
		for (int e = 0; e < NERR; e++) {
			unsigned long n = 0;
			const char *en;

			for (int t = 0; t <= NR_MT; t++)
				n += cnt[t][op][e];
			if (!n)
				continue;
			/* Touches count the signal they caught, if any */
			if (op == OP_READ || op == OP_WRITE || op == OP_SIGBUS)
				en = e == 0 ? "ok" : sigabbrev_np(e);
			else
				en = e == 0 ? "ok" : strerrorname_np(e);
			len += snprintf(line + len, sizeof(line) - len, " %s=%lu",
					en ? en : "?", n);
		}
		ksft_print_msg("%s\n", line);
	}
	for (int t = 0; t < NR_MT; t++) {
		unsigned long tot = 0, ok = 0, f = 0;

		if (!mem_avail[t])
			continue;
		for (int op = 0; op < NR_OPS; op++)
			for (int e = 0; e < NERR; e++) {
				tot += cnt[t][op][e];
				if (op >= OP_H_COPY && op <= OP_H_WAKE)
					f += cnt[t][op][e];
			}
		for (int op = 0; op < OP_H_COPY; op++)
			ok += cnt[t][op][0];
		ksft_print_msg("type %-8s counted=%lu ok=%lu handler-ops=%lu "
			       "sigbus=%lu verified-pages=%lu\n", mt_name[t], tot,
			       ok, f, cnt[t][OP_SIGBUS][SIGBUS],
			       cnt[t][OP_VERIFIED][0]);
	}
}

/* The /proc/self/smaps entry of an address: VmFlags shows uffd modes */
static void dump_smaps(unsigned long addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, ' ') &&
		    line[strspn(line, "0123456789abcdef")] == '-')
			in = addr >= a && addr < b;
		if (in)
			ksft_print_msg("  smaps: %s", line);
	}
	fclose(f);
}

/* The pagemap entry of an address: present, uffd-wp, ... */
static void dump_pagemap(unsigned long addr)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;

	if (fd < 0)
		return;
	if (pread(fd, &e, sizeof(e), addr / PSZ * sizeof(e)) == sizeof(e))
		ksft_print_msg("  pagemap %#lx: %#" PRIx64 " present=%d swap/marker=%d "
			       "file-or-shared=%d uffd-wp=%d\n", addr, e,
			       !!(e >> 63 & 1), !!(e >> 62 & 1), !!(e >> 61 & 1),
			       !!(e >> 57 & 1));
	close(fd);
}

/* Where each of our threads is in the kernel, for hang reports */
static void dump_task_stacks(void)
{
	char path[300], buf[4096];
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		FILE *f;
		size_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (f) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			buf[n] = 0;
			fclose(f);
			ksft_print_msg("task %s: %.80s\n", de->d_name, buf);
		}
		snprintf(path, sizeof(path), "/proc/self/task/%s/stack", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(buf, sizeof(buf), f))
			ksft_print_msg("    %s", buf);
		fclose(f);
	}
	closedir(d);
}

static void *watchdog_main(void *arg)
{
	long last_report = now_ms();

	(void)arg;
	for (;;) {
		long now = now_ms();
		struct worker *stuck = NULL;
		long dt = 0;

		usleep(200 * 1000);
		for (int i = 0; i < opt_threads + NUFFD && !stuck; i++) {
			struct worker *w = i < opt_threads ? &workers[i] :
					   &hworkers[i - opt_threads];
			long st = atomic_load(&w->op_start_ms);

			if (st && now - st > opt_hang * 1000L) {
				stuck = w;
				dt = now - st;
			}
		}
		if (!stuck && now > t_deadline_ms + (opt_hang + 10) * 1000L) {
			stuck = &workers[0];
			dt = now - t_deadline_ms;
		}
		if (stuck) {
			int fd = open("/proc/sysrq-trigger", O_WRONLY);

			pthread_mutex_lock(&print_lock);
			ksft_print_msg("HANG: %s %d in one operation for %ld ms "
				       "(seed=%" PRIu64 "): %s\n",
				       stuck->handler ? "handler" : "thread",
				       stuck->id, dt, opt_seed, stuck->cur);
			for (int i = 0; i < opt_threads; i++)
				ksft_print_msg("  thread %d: %s: %s\n", i,
					       workers[i].op_start_ms ? "busy" :
					       "idle", workers[i].cur);
			for (int i = 0; i < opt_threads; i++) {
				struct worker *b = &workers[i];
				unsigned long ta = atomic_load(&b->touch_addr);

				if (!atomic_load(&b->op_start_ms))
					continue;
				ksft_print_msg("  thread %d recent ops:\n", i);
				for (unsigned int j = 0; j < RING; j++) {
					const char *r = b->ring[(b->ringpos + j) % RING];

					if (r[0])
						ksft_print_msg("    %s\n", r);
				}
				if (ta) {
					struct slot *ss = b->cur_slot;

					ksft_print_msg("  thread %d stuck touching %#lx\n",
						       i, ta);
					dump_smaps(ta);
					dump_pagemap(ta);
					maplog_dump(ta);
					if (ss) {
						ksft_print_msg("  slot %d history, oldest first:\n",
							       ss->idx);
						for (unsigned int j = 0; j < RING; j++) {
							const char *r = ss->hist[(ss->histpos + j) % RING];

							if (r[0])
								ksft_print_msg("    %s\n", r);
						}
					}
				}
			}
			dump_task_stacks();
			/* Tasks blocked in D state, system wide, where we may */
			if (fd >= 0) {
				if (write(fd, "w", 1) < 0)
					ksft_print_msg("sysrq: %s\n", strerror(errno));
				close(fd);
			}
			print_counts();
			ksft_test_result_fail("no hang\n");
			ksft_exit_fail();
		}
		if (now - last_report >= 10000) {
			ksft_print_msg("progress: %ld ops in %ld s\n",
				       atomic_load(&g_ops_done),
				       (now - t_start_ms) / 1000);
			last_report = now;
		}
	}
	return NULL;
}

/* ---- setup ------------------------------------------------------------- */

static long read_long(const char *path)
{
	char buf[64] = "";
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			v = strtol(buf, NULL, 10);
		fclose(f);
	}
	return v;
}

static void probe_types(int *hugepages)
{
	int fd;

	mem_avail[MT_ANON] = mem_wanted[MT_ANON];
	if (!mem_wanted[MT_ANON])
		mem_skip_why[MT_ANON] = "not requested";

	mem_avail[MT_SHMEM] = mem_wanted[MT_SHMEM];
	if (!mem_wanted[MT_SHMEM])
		mem_skip_why[MT_SHMEM] = "not requested";

	*hugepages = read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
	if (!mem_wanted[MT_HUGETLB]) {
		mem_skip_why[MT_HUGETLB] = "not requested";
	} else if (*hugepages < MAXP_HUGE * 2) {
		mem_skip_why[MT_HUGETLB] = "too few free 2 MiB huge pages "
			"(echo 128 > /proc/sys/vm/nr_hugepages)";
	} else if ((fd = memfd_create("probe", MFD_HUGETLB | MFD_HUGE_2MB)) < 0) {
		mem_skip_why[MT_HUGETLB] = "memfd_create(MFD_HUGETLB) failed";
	} else {
		close(fd);
		mem_avail[MT_HUGETLB] = true;
	}

	if (!mem_wanted[MT_MODULE]) {
		mem_skip_why[MT_MODULE] = "not requested";
	} else {
#ifdef HAVE_UFFD_SAMPLE
		mod_dev = open(UFFD_SAMPLE_DEV, O_RDWR | O_CLOEXEC);
		mod_minor_dev = open(TEST_UFFD_OPS_DEV, O_RDWR | O_CLOEXEC);
		if (mod_dev < 0)
			mem_skip_why[MT_MODULE] = "no " UFFD_SAMPLE_DEV
				" (insmod uffd_sample.ko)";
		else
			mem_avail[MT_MODULE] = true;
#else
		mem_skip_why[MT_MODULE] = "built without uffd_sample.h and test_uffd_ops_uapi.h";
#endif
	}
}

/*
 * Four userfaultfds with different features, so that the same memory sees
 * each flavour: plain, non-cooperative events (fork, remap, remove, unmap),
 * SIGBUS instead of messages, and asynchronous write protection.
 */
static void setup_uffds(void)
{
	static const char *const names[NUFFD] = {
		"plain", "events", "sigbus", "wp-async"
	};
	const uint64_t base = UFFD_FEATURE_PAGEFAULT_FLAG_WP |
		UFFD_FEATURE_MISSING_HUGETLBFS | UFFD_FEATURE_MISSING_SHMEM |
		UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_MINOR_HUGETLBFS |
		UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_WP_HUGETLBFS_SHMEM |
		UFFD_FEATURE_POISON;
	const uint64_t extra[NUFFD] = {
		UFFD_FEATURE_EXACT_ADDRESS,
		UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP |
		UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP |
		UFFD_FEATURE_WP_UNPOPULATED,
		UFFD_FEATURE_SIGBUS,
		UFFD_FEATURE_WP_ASYNC,
	};
	uint64_t f = 0;
	int fd = uffd_open(), r;

	if (fd < 0)
		ksft_exit_skip("userfaultfd: %s\n", strerror(errno));
	/* An uffd refuses everything until UFFDIO_API */
	{
		struct uffdio_range range = { 1UL << 30, PSZ };

		if (!ioctl(fd, UFFDIO_WAKE, &range) || errno != EINVAL)
			ksft_exit_fail_msg("UFFDIO_WAKE before UFFDIO_API: %s\n",
					   strerror(errno));
	}
	if (uffd_api(fd, &f))
		ksft_exit_fail_msg("UFFDIO_API: %s\n", strerror(errno));
	close(fd);
	uffd_avail_features = f;

	for (int i = 0; i < NUFFD; i++) {
		uint64_t want = (base | extra[i]) & uffd_avail_features;

		uffds[i].name = names[i];
		uffds[i].fd = uffd_open();
		if (uffds[i].fd < 0)
			ksft_exit_fail_msg("userfaultfd: %s\n", strerror(errno));
		f = want;
		r = uffd_api(uffds[i].fd, &f);
		if (r == -EPERM) {
			/* EVENT_FORK needs CAP_SYS_PTRACE */
			close(uffds[i].fd);
			uffds[i].fd = uffd_open();
			want &= ~UFFD_FEATURE_EVENT_FORK;
			f = want;
			r = uffd_api(uffds[i].fd, &f);
		}
		if (r)
			ksft_exit_fail_msg("UFFDIO_API %s features %#" PRIx64
					   ": %s\n", names[i], want, strerror(-r));
		uffds[i].features = want;
	}
}

static void setup_worker(struct worker *w, int id, bool handler)
{
	int fd;

	w->id = id;
	w->handler = handler;
	w->rng = opt_seed * 1000003ULL + id * 7919ULL + (handler ? 104729 : 0);
	if (handler) {
		w->hbuf = mmap(NULL, HPSZ, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (w->hbuf == MAP_FAILED)
			ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
		/* Populated, so that its COPYs never take the retry path */
		memset(w->hbuf, 0xdb, HPSZ);
		return;
	}
	fd = memfd_create("uffd-fuzz-src", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, SRC_LEN))
		ksft_exit_fail_msg("src memfd: %s\n", strerror(errno));
	w->srcw = mmap(NULL, SRC_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	w->srcr = mmap(NULL, SRC_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w->srcw == MAP_FAILED || w->srcr == MAP_FAILED)
		ksft_exit_fail_msg("src mmap: %s\n", strerror(errno));
	close(fd);
	memset(w->srcw, 0x11, SRC_LEN);
}

/*
 * Hugetlb slots cost 2 MiB of copying or zeroing per fill in an emulated
 * guest, so they get one or two slots of their own and the 4 KiB types
 * share the rest; each type still sees thousands of operations.
 */
static void setup_slots(int hugepages)
{
	int small[NR_MT], nsmall = 0, nhuge = 0;
	int huge_max = hugepages / (MAXP_HUGE * 2);	/* keep half spare */
	pthread_rwlockattr_t attr;

	for (int t = 0; t < NR_MT; t++)
		if (mem_avail[t] && t != MT_HUGETLB)
			small[nsmall++] = t;
	if (mem_avail[MT_HUGETLB])
		nhuge = huge_max < 2 ? huge_max : 2;
	if (!nsmall && !nhuge)
		ksft_exit_skip("no memory type available\n");
	/* Enough slots that threads seldom queue behind an exclusive op */
	nslots = 5 * opt_threads;
	if (nslots < 12)
		nslots = 12;
	if (nslots > MAX_SLOTS)
		nslots = MAX_SLOTS;
	if (!nsmall)
		nslots = nhuge;
	else if (nhuge && nslots < 8 * nhuge)
		nhuge = 1;

	pthread_rwlockattr_init(&attr);
	/* Writers must get their turn among a stream of readers */
	pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (int i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];
		/* Hugetlb at slot 0 and, with two, half way */
		bool huge = nhuge && (!nsmall || i == 0 ||
				      (nhuge > 1 && i == nslots / 2));
		int t = huge ? MT_HUGETLB : small[i % nsmall];

		pthread_rwlock_init(&s->lock, &attr);
		pthread_mutex_init(&s->hist_lock, NULL);
		s->idx = i;
		s->type = t;
		s->psz = t == MT_HUGETLB ? HPSZ : PSZ;
		s->fd = -1;
		s->ufd = -1;
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--ops N] [--seconds S] [--threads T]\n"
		"          [--mem anon,shmem,hugetlb,module] [--hang S] [--stock] [-v]\n"
		"  --stock       expect a kernel without the series (shmem reports\n"
		"                UFFDIO_MOVE; no WP on hugetlb, which can spin there)\n",
		argv0);
	exit(KSFT_FAIL);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'j' },
		{ "mem", required_argument, NULL, 'm' },
		{ "hang", required_argument, NULL, 'H' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "stock", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool seeded = false;
	int c;

	while ((c = getopt_long(argc, argv, "s:o:t:j:m:H:vhKS", longopts,
				NULL)) != -1) {
		switch (c) {
		case 's':
			opt_seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'o':
			opt_ops = strtol(optarg, NULL, 0);
			break;
		case 't':
			opt_seconds = atoi(optarg);
			break;
		case 'j':
			opt_threads = atoi(optarg);
			if (opt_threads < 1 || opt_threads > MAX_WORKERS)
				usage(argv[0]);
			break;
		case 'H':
			opt_hang = atoi(optarg);
			break;
		case 'm': {
			char *tok, *save = NULL, *str = strdup(optarg);

			memset(mem_wanted, 0, sizeof(mem_wanted));
			for (tok = strtok_r(str, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				int t;

				for (t = 0; t < NR_MT; t++)
					if (!strcmp(tok, mt_name[t]))
						break;
				if (t == NR_MT)
					usage(argv[0]);
				mem_wanted[t] = true;
			}
			free(str);
			break;
		}
		case 'v':
			opt_verbose++;
			break;
		case 'S':
			opt_stock = 1;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt_seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^
			   (uint64_t)ts.tv_sec;
		opt_seed %= 1000000000000ULL;
	}
}

/*
 * With every module memory object unmapped and closed, the module must
 * have freed every page it cached.  File release can be deferred a little
 * (exiting children's files), so give it a moment.
 */
static void check_module_pages(void)
{
#ifdef HAVE_UFFD_SAMPLE
	long n = -1;

	if (!mem_avail[MT_MODULE]) {
		ksft_test_result_skip("module page count: %s\n",
				      mem_skip_why[MT_MODULE]);
		return;
	}
	for (int i = 0; i < 50; i++) {
		n = read_long(UFFD_SAMPLE_NR_PAGES);
		if (n == 0)
			break;
		usleep(100 * 1000);
	}
	ksft_print_msg("module nr_pages after closing everything: %ld\n", n);
	ksft_test_result(n == 0, "module page count back to 0\n");
#else
	ksft_test_result_skip("module page count: %s\n", mem_skip_why[MT_MODULE]);
#endif
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = sig_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	pthread_t wd;
	int hugepages;
	long ops, ms;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed=%" PRIu64 "\n", opt_seed);
	ksft_print_header();
	ksft_set_plan(NR_MT + 2);
	ksft_print_msg("uffd_fuzz: ops=%ld seconds=%d threads=%d hang=%ds\n",
		       opt_ops, opt_seconds, opt_threads, opt_hang);

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	for (int op = 0; op < NR_OPS; op++)
		op_weight_total += op_weight[op];

	probe_types(&hugepages);
	for (int t = 0; t < NR_MT; t++)
		ksft_print_msg("type %s: %s\n", mt_name[t], mem_avail[t] ?
			       "used" : mem_skip_why[t]);
	setup_uffds();
	setup_slots(hugepages);
	for (int i = 0; i < NUFFD; i++)
		ksft_print_msg("uffd %s: features %#" PRIx64 "\n", uffds[i].name,
			       uffds[i].features);

	t_start_ms = now_ms();
	t_deadline_ms = t_start_ms + opt_seconds * 1000L;
	for (int i = 0; i < NUFFD; i++) {
		setup_worker(&hworkers[i], i, true);
		pthread_create(&uffds[i].th, NULL, handler_main, &uffds[i]);
	}
	for (int i = 0; i < opt_threads; i++) {
		setup_worker(&workers[i], i, false);
		pthread_create(&workers[i].th, NULL, worker_main, &workers[i]);
	}
	pthread_create(&wd, NULL, watchdog_main, NULL);

	for (int i = 0; i < opt_threads; i++)
		pthread_join(workers[i].th, NULL);
	ms = now_ms() - t_start_ms;
	ops = atomic_load(&g_ops_done);

	/* Tear down: every slot unmapped, every memory fd closed */
	for (int i = 0; i < nslots; i++)
		if (atomic_load(&slots[i].live))
			slot_unmap(&slots[i]);
	atomic_store(&g_handlers_stop, true);
	for (int i = 0; i < NUFFD; i++) {
		pthread_join(uffds[i].th, NULL);
		close(uffds[i].fd);
	}
	if (mod_dev >= 0)
		close(mod_dev);
	if (mod_minor_dev >= 0)
		close(mod_minor_dev);

	print_counts();
	ksft_print_msg("%ld ops in %ld ms (%.0f ops/s), %ld failures, seed=%"
		       PRIu64 "\n", ops, ms, ms ? ops * 1000.0 / ms : 0.0,
		       atomic_load(&g_failures), opt_seed);
	if (ops < opt_ops)
		ksft_print_msg("time limit reached before %ld ops\n", opt_ops);

	for (int t = 0; t < NR_MT; t++) {
		if (!mem_avail[t])
			ksft_test_result_skip("%s: %s\n", mt_name[t],
					      mem_skip_why[t]);
		else
			ksft_test_result(!type_failures[t], "%s\n", mt_name[t]);
	}
	check_module_pages();
	ksft_test_result(!type_failures[NR_MT], "no hang, handlers and events\n");
	if (atomic_load(&g_failures))
		ksft_exit_fail();
	ksft_finished();
}
