// SPDX-License-Identifier: GPL-2.0
/*
 * uffd_bench - cost of resolving userfaults, per memory type
 *
 * Measures, on anonymous, shmem, hugetlb and uffd_sample module memory:
 *
 *   missing-copy  MISSING fault round trips/s, resolved with UFFDIO_COPY
 *   missing-zero  MISSING fault round trips/s, resolved with UFFDIO_ZEROPAGE
 *   minor         MINOR fault round trips/s, resolved with UFFDIO_CONTINUE
 *   wp            WP fault round trips/s, resolved with UFFDIO_WRITEPROTECT
 *   copy-bulk     GB/s of one large UFFDIO_COPY, next to the GB/s of a
 *                 memcpy() of the same size into populated memory (memcpy)
 *
 * A round trip is one thread touching a page, a handler thread reading the
 * uffd message and resolving it, and the toucher resuming.  Each run uses a
 * fresh mapping and a fresh userfaultfd; each measurement is run --inner
 * times and the median is reported, with the min and max.
 *
 * The same static binary runs on the stock and the patched kernel: module
 * memory is reported as SKIP where /dev/uffd_sample does not exist.
 *
 * See README for the options and the output format.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/userfaultfd.h>

#include "uffd_sample.h"

/* glibc's <sys/mman.h> stops at MFD_HUGETLB; <linux/memfd.h> would clash */
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB		(21U << 26)
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY	1
#endif

#define __STR(x)		#x
#define STR(x)			__STR(x)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
/* An access the compiler must emit: it is what raises the fault */
#define TOUCH_READ(p)		((void)*(volatile char *)(p))
#define TOUCH_WRITE(p, v)	(*(volatile char *)(p) = (v))

#define HPAGE_SIZE		(2UL << 20)
/* The guest reserves 256 MiB of huge pages: leave some for others */
#define HUGETLB_MAX		(192UL << 20)
/* A run that takes this long is stuck (a lost wake-up): fail, not hang */
#define WATCHDOG_SECS		300
/* Shortest memcpy measurement */
#define MEMCPY_SECS		0.2
/* Most --inner runs per measurement */
#define MAX_INNER		1000
/* Byte the toucher writes at the end of each page */
#define TOUCH_BYTE		0x5a

enum mem_type { T_ANON, T_SHMEM, T_HUGETLB, T_MODULE, NR_TYPES };
enum pin { PIN_SAME, PIN_SPLIT, PIN_NONE, NR_PINS };
enum bench_mode { M_COPY, M_ZERO, M_MINOR, M_WP, M_BULK, NR_MODES };

static const char *const type_names[NR_TYPES] = {
	"anon", "shmem", "hugetlb", "module",
};

static const char *const mode_names[NR_MODES] = {
	"missing-copy", "missing-zero", "minor", "wp", "copy-bulk",
};

static const char *const pin_names[NR_PINS] = { "same", "split", "none" };

static struct {
	unsigned long pages;		/* round trips per run, 4 KiB types */
	unsigned long bulk_mib;
	int inner;
	bool types[NR_TYPES];
	bool modes[NR_MODES];
	enum pin pin;
	bool verbose;
	long shift;			/* --shift seed, or -1 */
	unsigned int shift_state;
} opt = { .shift = -1 };

static size_t page_size;
static uint64_t uffd_supported;		/* UFFDIO_API features */
static char *bulk_src;			/* source of copy-bulk and memcpy */
static size_t bulk_src_len;
static char cur_name[64] = "setup";	/* measurement, for error messages */
static pthread_attr_t handler_attr;	/* where the handler threads run */

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "uffd_bench: %s: ", cur_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#define die_errno(fmt, ...) \
	die(fmt ": %s", ##__VA_ARGS__, strerror(errno))

static void watchdog(int sig)
{
	static const char msg[] = ": stuck for " STR(WATCHDOG_SECS) " s\n";
	struct iovec iov[3] = {
		{ .iov_base = "uffd_bench: ", .iov_len = 12 },
		{ .iov_base = cur_name, .iov_len = strlen(cur_name) },
		{ .iov_base = (void *)msg, .iov_len = sizeof(msg) - 1 },
	};

	(void)sig;
	/* Only async-signal-safe calls here; nothing to do if it fails */
	if (writev(STDERR_FILENO, iov, 3) < 0)
		_exit(1);
	_exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Byte @off of the pattern that sources hold (after the 8-byte stamp) */
static inline uint8_t pattern(size_t off)
{
	return (uint8_t)(off * 131 + 17);
}

static void fill_pattern(char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(i);
}

/* ---- memory ---- */

struct region {
	enum mem_type type;
	int fd;			/* memory object, -1 for anon */
	char *addr;
	size_t len;
};

static size_t unit_of(enum mem_type type)
{
	return type == T_HUGETLB ? HPAGE_SIZE : page_size;
}

/* Create a memory object of @len bytes, or return -errno */
static int mem_fd(enum mem_type type, size_t len)
{
	int fd, dev;

	switch (type) {
	case T_SHMEM:
		fd = memfd_create("uffd_bench", MFD_CLOEXEC);
		break;
	case T_HUGETLB:
		fd = memfd_create("uffd_bench",
				  MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);
		break;
	case T_MODULE:
		dev = open(UFFD_SAMPLE_DEV, O_RDWR | O_CLOEXEC);
		if (dev < 0)
			return -errno;
		fd = ioctl(dev, UFFD_SAMPLE_CREATE, (unsigned long)len);
		if (fd < 0)
			fd = -errno;
		close(dev);
		return fd;
	default:
		return -EINVAL;
	}
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * mmap() at a 2 MiB-aligned address.  Under TCG the speed of glibc's
 * memcpy() depends on the distance between source and destination (it
 * picks another loop), which address randomization would make vary from
 * run to run: align every mapping, so that it never changes.
 */
static void *mmap_aligned(size_t len, int flags, int fd)
{
	size_t span = len + HPAGE_SIZE;
	char *area, *p;

	area = mmap(NULL, span, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	p = (char *)(((unsigned long)area + HPAGE_SIZE - 1) &
		     ~(HPAGE_SIZE - 1));
	if (p > area)
		munmap(area, p - area);
	if (area + span > p + len)
		munmap(p + len, area + span - (p + len));
	return mmap(p, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);
}

static char *map_region(const struct region *r)
{
	void *p;

	if (r->type == T_ANON)
		p = mmap_aligned(r->len, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	else
		p = mmap_aligned(r->len, MAP_SHARED, r->fd);
	if (p == MAP_FAILED)
		die_errno("mmap %s, %zu bytes", type_names[r->type], r->len);
	/*
	 * THP is "always" in the test kernels: keep anon and shmem at 4 KiB
	 * pages, or a run would measure whatever khugepaged and the fault
	 * path chose.  EINVAL: no THP (or no THP for this kind of mapping).
	 */
	if ((r->type == T_ANON || r->type == T_SHMEM) &&
	    madvise(p, r->len, MADV_NOHUGEPAGE) && errno != EINVAL)
		die_errno("madvise(MADV_NOHUGEPAGE)");
	return p;
}

static void region_create(struct region *r, enum mem_type type, size_t len)
{
	r->type = type;
	r->len = len;
	r->fd = -1;
	if (type != T_ANON) {
		r->fd = mem_fd(type, len);
		if (r->fd < 0) {
			errno = -r->fd;
			die_errno("cannot create %s memory", type_names[type]);
		}
	}
	r->addr = map_region(r);
}

static void region_destroy(struct region *r)
{
	if (munmap(r->addr, r->len))
		die_errno("munmap");
	if (r->fd >= 0)
		close(r->fd);
	r->addr = NULL;
	r->fd = -1;
}

/* ---- userfaultfd ---- */

/* What a uffd asks for: what the modes below need on shmem and hugetlb */
#define WANTED_FEATURES \
	(UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_MISSING_HUGETLBFS | \
	 UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_MINOR_HUGETLBFS | \
	 UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_WP_HUGETLBFS_SHMEM)

static int uffd_create(void)
{
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC);

	/* Without CAP_SYS_PTRACE and vm.unprivileged_userfaultfd=0 */
	if (fd < 0 && errno == EPERM)
		fd = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		die_errno("userfaultfd");
	return fd;
}

/* Learn which features this kernel supports: a uffd takes one UFFDIO_API */
static void uffd_probe(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = uffd_create();

	if (ioctl(fd, UFFDIO_API, &api))
		die_errno("UFFDIO_API");
	uffd_supported = api.features;
	close(fd);
}

static int uffd_open(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = WANTED_FEATURES & uffd_supported,
	};
	int fd = uffd_create();

	if (ioctl(fd, UFFDIO_API, &api))
		die_errno("UFFDIO_API");
	return fd;
}

static void uffd_register(int uffd, void *addr, size_t len, uint64_t mode,
			  uint64_t need_ioctls)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)addr, .len = len },
		.mode = mode,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die_errno("UFFDIO_REGISTER mode %#llx",
			  (unsigned long long)mode);
	if ((reg.ioctls & need_ioctls) != need_ioctls)
		die("UFFDIO_REGISTER reports ioctls %#llx, need %#llx",
		    (unsigned long long)reg.ioctls,
		    (unsigned long long)need_ioctls);
}

static void uffd_wake(int uffd, unsigned long addr, size_t len)
{
	struct uffdio_range range = { .start = addr, .len = len };

	if (ioctl(uffd, UFFDIO_WAKE, &range))
		die_errno("UFFDIO_WAKE");
}

static void uffd_wp(int uffd, unsigned long addr, size_t len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = addr, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		die_errno("UFFDIO_WRITEPROTECT %s at %#lx",
			  protect ? "protect" : "unprotect", addr);
}

/*
 * Copy @len bytes with UFFDIO_COPY, resuming after partial copies:
 * -EAGAIN with copy.copy > 0 is progress, not an error.
 */
static void uffd_copy(int uffd, unsigned long dst, const char *src,
		      size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct uffdio_copy copy = {
			.dst = dst + done,
			.src = (unsigned long)(src + done),
			.len = len - done,
		};

		if (ioctl(uffd, UFFDIO_COPY, &copy)) {
			if (errno != EAGAIN)
				die_errno("UFFDIO_COPY %#llx+%zu",
					  (unsigned long long)copy.dst,
					  (size_t)copy.len);
			if (copy.copy > 0)
				done += copy.copy;
			continue;
		}
		if (copy.copy <= 0)
			die("UFFDIO_COPY copied %lld bytes",
			    (long long)copy.copy);
		done += copy.copy;
	}
}

/* An anonymous source buffer of @len bytes, filled with the pattern */
static char *alloc_src(size_t len)
{
	char *p = mmap_aligned(len, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	if (p == MAP_FAILED)
		die_errno("mmap source");
	/* 4 KiB pages whatever the alignment, for the same copies each run */
	if (madvise(p, len, MADV_NOHUGEPAGE) && errno != EINVAL)
		die_errno("madvise(MADV_NOHUGEPAGE)");
	fill_pattern(p, len);	/* and populate */
	return p;
}

/* ---- round trips ---- */

struct rt {
	enum bench_mode mode;
	int uffd;
	char *base;
	size_t unit;
	unsigned long n;	/* timed pages; page n is the sentinel */
	unsigned long passes;	/* over the n pages, re-armed in between */
	char *src;		/* missing-copy: one unit of pattern */
	unsigned long faults;
};

static void resolve(struct rt *rt, unsigned long addr, uint64_t flags)
{
	unsigned long idx = (addr - (unsigned long)rt->base) / rt->unit;
	struct uffdio_zeropage zero = {
		.range = { .start = addr, .len = rt->unit },
	};
	struct uffdio_continue cont = {
		.range = { .start = addr, .len = rt->unit },
	};
	struct uffdio_copy copy = {
		.dst = addr,
		.src = (unsigned long)rt->src,
		.len = rt->unit,
	};
	int ret;

	switch (rt->mode) {
	case M_COPY:
		/* Stamp the page index so that the check sees which went where */
		*(uint64_t *)rt->src = idx;
		do {
			ret = ioctl(rt->uffd, UFFDIO_COPY, &copy);
		} while (ret && errno == EAGAIN);
		if (ret && errno != EEXIST)
			die_errno("UFFDIO_COPY page %lu", idx);
		break;
	case M_ZERO:
		do {
			ret = ioctl(rt->uffd, UFFDIO_ZEROPAGE, &zero);
		} while (ret && errno == EAGAIN);
		if (ret && errno != EEXIST)
			die_errno("UFFDIO_ZEROPAGE page %lu", idx);
		break;
	case M_MINOR:
		if (!(flags & UFFD_PAGEFAULT_FLAG_MINOR))
			die("page %lu: fault flags %#llx, expected MINOR", idx,
			    (unsigned long long)flags);
		do {
			ret = ioctl(rt->uffd, UFFDIO_CONTINUE, &cont);
		} while (ret && errno == EAGAIN);
		if (ret && errno != EEXIST)
			die_errno("UFFDIO_CONTINUE page %lu", idx);
		break;
	case M_WP:
		if (!(flags & UFFD_PAGEFAULT_FLAG_WP))
			die("page %lu: fault flags %#llx, expected WP", idx,
			    (unsigned long long)flags);
		/* Unprotecting without DONTWAKE wakes the faulting thread */
		uffd_wp(rt->uffd, addr, rt->unit, false);
		return;
	default:
		die("bad mode %d", rt->mode);
	}
	/* Resolved by someone before us (a repeated fault): just wake */
	if (ret)
		uffd_wake(rt->uffd, addr, rt->unit);
}

/*
 * Blocking reads, one message each: the cheapest way to wait, so that the
 * round trip is mostly kernel work.  The toucher ends the thread by
 * faulting on the sentinel page after the timed ones.
 */
static void *handler(void *arg)
{
	struct rt *rt = arg;
	unsigned long start = (unsigned long)rt->base;
	unsigned long sentinel = start + rt->n * rt->unit;
	struct uffd_msg msg;
	unsigned long addr;
	ssize_t ret;

	for (;;) {
		ret = read(rt->uffd, &msg, sizeof(msg));
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die_errno("read(uffd)");
		}
		if (ret != sizeof(msg))
			die("read(uffd) returned %zd bytes", ret);
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			die("unexpected uffd event %#x", msg.event);
		addr = msg.arg.pagefault.address & ~(rt->unit - 1);
		if (addr < start || addr > sentinel)
			die("fault at %#lx outside the region", addr);
		resolve(rt, addr, msg.arg.pagefault.flags);
		rt->faults++;
		if (addr == sentinel)
			return NULL;
	}
}

static void touch(const struct rt *rt, char *p)
{
	/* MINOR: read, as a VM that finds the page in its cache */
	if (rt->mode == M_MINOR) {
		TOUCH_READ(p);
		return;
	}
	/*
	 * missing-zero reads too: a write would add, on anon, a COW fault
	 * off the zero page that UFFDIO_ZEROPAGE maps, which is no uffd work.
	 */
	if (rt->mode == M_ZERO) {
		TOUCH_READ(p + rt->unit - 1);
		return;
	}
	TOUCH_WRITE(p + rt->unit - 1, TOUCH_BYTE);
}

/* Check page @idx of a missing-copy run */
static void check_copied(const struct rt *rt, unsigned long idx)
{
	const char *p = rt->base + idx * rt->unit;
	size_t off;

	if (*(const uint64_t *)p != idx)
		die("missing-copy: page %lu has stamp %llu", idx,
		    (unsigned long long)*(const uint64_t *)p);
	for (off = sizeof(uint64_t); off < rt->unit - 1; off++)
		if ((uint8_t)p[off] != pattern(off))
			die("missing-copy: page %lu byte %zu is %#x, not %#x",
			    idx, off, (uint8_t)p[off], pattern(off));
	if (p[rt->unit - 1] != TOUCH_BYTE)
		die("missing-copy: page %lu lost the toucher's write", idx);
}

static void check_zero(const struct rt *rt, unsigned long idx)
{
	const char *p = rt->base + idx * rt->unit;
	size_t off;

	for (off = 0; off < rt->unit; off++)
		if (p[off])
			die("missing-zero: page %lu byte %zu is %#x", idx, off,
			    (uint8_t)p[off]);
}

/* minor and wp: the stamp written before the run, wp: the touch too */
static void check_stamp(const struct rt *rt, unsigned long idx)
{
	const char *p = rt->base + idx * rt->unit;

	if (*(const uint64_t *)p != idx + 1)
		die("%s: page %lu has stamp %llu, not %lu",
		    mode_names[rt->mode], idx,
		    (unsigned long long)*(const uint64_t *)p, idx + 1);
	if (rt->mode == M_WP && p[rt->unit - 1] != TOUCH_BYTE)
		die("wp: page %lu lost the toucher's write", idx);
}

static void rt_check(const struct rt *rt)
{
	unsigned long pick[3] = { 0, rt->n / 2, rt->n - 1 };
	unsigned long want = rt->n * rt->passes + 1;
	int i;

	/* Fewer faults than touches: a page was mapped behind our back */
	if (rt->faults < want)
		die("%lu faults for %lu touches", rt->faults, want);
	if (rt->faults > want)
		printf("# %s: %lu faults for %lu touches (repeated faults)\n",
		       cur_name, rt->faults, want);
	for (i = 0; i < 3; i++) {
		switch (rt->mode) {
		case M_COPY:
			check_copied(rt, pick[i]);
			break;
		case M_ZERO:
			check_zero(rt, pick[i]);
			break;
		default:
			check_stamp(rt, pick[i]);
			break;
		}
	}
}

/* Write stamp idx + 1 into each unit, faulting every page in */
static void stamp_pages(char *p, size_t unit, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		*(uint64_t *)(p + i * unit) = i + 1;
}

/*
 * Arm the n pages again for another pass: drop the PTEs that CONTINUE
 * installed (the page cache stays), or write-protect them again.
 */
static void rearm(const struct rt *rt)
{
	size_t len = rt->n * rt->unit;

	if (rt->mode == M_MINOR) {
		if (madvise(rt->base, len, MADV_DONTNEED))
			die_errno("madvise(MADV_DONTNEED)");
	} else if (rt->mode == M_WP) {
		uffd_wp(rt->uffd, (unsigned long)rt->base, len, true);
	} else {
		die("%s cannot take several passes", mode_names[rt->mode]);
	}
}

/* Round trips per second of one run of @mode on @type */
static double run_roundtrip(enum mem_type type, enum bench_mode mode,
			    unsigned long n, unsigned long passes,
			    double *secs)
{
	struct rt rt = {
		.mode = mode, .n = n, .passes = passes, .unit = unit_of(type),
	};
	size_t len = (n + 1) * rt.unit;	/* + the sentinel page */
	struct region r;
	pthread_t thread;
	unsigned long i, p;
	double t0, elapsed = 0;
	char *alt;
	int err;

	region_create(&r, type, len);
	rt.base = r.addr;
	rt.uffd = uffd_open();

	switch (mode) {
	case M_COPY:
		rt.src = alloc_src(rt.unit);
		uffd_register(rt.uffd, r.addr, len, UFFDIO_REGISTER_MODE_MISSING,
			      1ULL << _UFFDIO_COPY);
		break;
	case M_ZERO:
		uffd_register(rt.uffd, r.addr, len, UFFDIO_REGISTER_MODE_MISSING,
			      1ULL << _UFFDIO_ZEROPAGE);
		break;
	case M_MINOR:
		/*
		 * Fill the page cache through a second mapping, which is
		 * not registered, and drop it: the registered one has no
		 * PTEs, so each read takes a MINOR fault.
		 */
		alt = map_region(&r);
		stamp_pages(alt, rt.unit, n + 1);
		if (munmap(alt, len))
			die_errno("munmap");
		uffd_register(rt.uffd, r.addr, len, UFFDIO_REGISTER_MODE_MINOR,
			      1ULL << _UFFDIO_CONTINUE);
		break;
	case M_WP:
		stamp_pages(r.addr, rt.unit, n + 1);
		uffd_register(rt.uffd, r.addr, len, UFFDIO_REGISTER_MODE_WP,
			      1ULL << _UFFDIO_WRITEPROTECT);
		uffd_wp(rt.uffd, (unsigned long)r.addr, len, true);
		break;
	default:
		die("bad mode %d", mode);
	}

	err = pthread_create(&thread, &handler_attr, handler, &rt);
	if (err) {
		errno = err;
		die_errno("pthread_create");
	}

	for (p = 0; p < passes; p++) {
		if (p)
			rearm(&rt);	/* untimed */
		t0 = now();
		for (i = 0; i < n; i++)
			touch(&rt, r.addr + i * rt.unit);
		elapsed += now() - t0;
	}
	touch(&rt, r.addr + n * rt.unit);	/* the sentinel: handler exits */

	err = pthread_join(thread, NULL);
	if (err) {
		errno = err;
		die_errno("pthread_join");
	}
	rt_check(&rt);

	if (rt.src && munmap(rt.src, rt.unit))
		die_errno("munmap");
	close(rt.uffd);
	region_destroy(&r);
	*secs = elapsed;
	return n * passes / elapsed;
}

/* ---- bulk copy ---- */

static void check_bulk(const char *dst, size_t len, size_t unit)
{
	size_t offs[3] = { 0, (len / 2) & ~(unit - 1), len - unit };
	int i;

	for (i = 0; i < 3; i++)
		if (memcmp(dst + offs[i], bulk_src + offs[i], unit))
			die("bulk: destination differs from source at %zu",
			    offs[i]);
}

/* GB/s of one UFFDIO_COPY of @len bytes into empty MISSING-registered memory */
static double run_bulk_copy(enum mem_type type, size_t len, double *secs)
{
	struct region r;
	double t0, t1;
	int uffd;

	region_create(&r, type, len);
	uffd = uffd_open();
	uffd_register(uffd, r.addr, len, UFFDIO_REGISTER_MODE_MISSING,
		      1ULL << _UFFDIO_COPY);

	t0 = now();
	uffd_copy(uffd, (unsigned long)r.addr, bulk_src, len);
	t1 = now();

	check_bulk(r.addr, len, unit_of(type));
	close(uffd);
	region_destroy(&r);
	*secs = t1 - t0;
	return len / (t1 - t0) / 1e9;
}

/*
 * GB/s of memcpy() of @len bytes into populated memory of the same type.
 * One copy is much faster than UFFDIO_COPY: repeat it until it has taken
 * MEMCPY_SECS, so that it is not timed over a few clock ticks.
 */
static double run_memcpy(enum mem_type type, size_t len, double *secs)
{
	unsigned long copies = 0;
	struct region r;
	double t0, t;

	region_create(&r, type, len);
	/* Populate, untimed: faulting page by page is slow under TCG */
	if (madvise(r.addr, len, MADV_POPULATE_WRITE)) {
		if (errno != EINVAL)
			die_errno("madvise(MADV_POPULATE_WRITE)");
		memset(r.addr, 0, len);
	}

	t0 = now();
	do {
		memcpy(r.addr, bulk_src, len);
		copies++;
		t = now() - t0;
	} while (t < MEMCPY_SECS);

	check_bulk(r.addr, len, unit_of(type));
	region_destroy(&r);
	*secs = t;
	return (double)len * copies / t / 1e9;
}

/* ---- driver ---- */

static void pin_to(cpu_set_t *set, int cpu)
{
	CPU_ZERO(set);
	CPU_SET(cpu, set);
}

/*
 * Under TCG, a round trip between two vCPUs mostly measures how the
 * emulator schedules them: by default the toucher and the handler share
 * CPU 0, where a round trip is two context switches and kernel work.
 */
static void setup_pinning(void)
{
	cpu_set_t set;
	int err;

	err = pthread_attr_init(&handler_attr);
	if (err || opt.pin == PIN_NONE)
		goto out;
	pin_to(&set, 0);
	if (sched_setaffinity(0, sizeof(set), &set))
		die_errno("sched_setaffinity(CPU 0)");
	pin_to(&set, opt.pin == PIN_SPLIT ? 1 : 0);
	err = pthread_attr_setaffinity_np(&handler_attr, sizeof(set), &set);
out:
	if (err) {
		errno = err;
		die_errno("pthread_attr");
	}
}

static unsigned long clamp_hpages(unsigned long n, unsigned long min)
{
	if (n < min)
		n = min;
	/* + the sentinel */
	if ((n + 1) * HPAGE_SIZE > HUGETLB_MAX)
		n = HUGETLB_MAX / HPAGE_SIZE - 1;
	return n;
}

/*
 * Pages per pass (*@n) and passes of a round-trip run of @mode on @type.
 * 4 KiB types: --pages pages, one pass.  hugetlb: copying 2 MiB takes
 * 10-60 ms in the TCG guest, so missing-copy touches --pages/256 huge
 * pages (min 4); minor and wp cost about what they cost on 4 KiB pages, but
 * --pages huge pages would not fit: they make --pages round trips in
 * passes over --pages/64 huge pages (min 8).
 */
static void rt_shape(enum mem_type type, enum bench_mode mode,
		     unsigned long *n, unsigned long *passes)
{
	*n = opt.pages;
	*passes = 1;
	if (type != T_HUGETLB)
		return;
	if (mode == M_COPY) {
		*n = clamp_hpages(opt.pages / 256, 4);
		return;
	}
	*n = clamp_hpages(opt.pages / 64, 8);
	*passes = (opt.pages + *n - 1) / *n;
}

/* copy-bulk and memcpy size; hugetlb copies slowly too: a quarter */
static size_t bulk_len(enum mem_type type)
{
	size_t len = opt.bulk_mib << 20;

	if (type != T_HUGETLB)
		return len;
	len = (len / 4 + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1);
	return len > HUGETLB_MAX ? HUGETLB_MAX : len;
}

/* The most huge pages a measurement uses at once */
static size_t hugetlb_max_len(void)
{
	unsigned long n, passes;
	size_t len;

	rt_shape(T_HUGETLB, M_WP, &n, &passes);
	len = (n + 1) * HPAGE_SIZE;
	return bulk_len(T_HUGETLB) > len ? bulk_len(T_HUGETLB) : len;
}

/* Why @type cannot be measured here, or NULL */
static const char *type_unavailable(enum mem_type type)
{
	static char why[128];
	size_t len;
	void *p;
	int fd;

	if (type == T_ANON)
		return NULL;
	if (type == T_MODULE && access(UFFD_SAMPLE_DEV, F_OK))
		return "no " UFFD_SAMPLE_DEV " (uffd_sample module not loaded)";

	/* Can we get the most this type will use at once? */
	len = type == T_HUGETLB ? hugetlb_max_len() : page_size;
	fd = mem_fd(type, len);
	if (fd < 0) {
		snprintf(why, sizeof(why), "cannot create %s memory: %s",
			 type_names[type], strerror(-fd));
		return why;
	}
	/* A shared hugetlb mapping reserves its huge pages at mmap() */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(why, sizeof(why), "cannot map %zu MiB of %s: %s",
			 len >> 20, type_names[type], strerror(errno));
		return why;
	}
	munmap(p, len);
	return NULL;
}

/* Is @mode meant to work on @type at all?  (No line if not.) */
static bool mode_applies(enum mem_type type, enum bench_mode mode)
{
	if (mode == M_MINOR && type == T_ANON)
		return false;	/* MINOR needs a page cache */
	if (mode == M_ZERO && type == T_HUGETLB)
		return false;	/* hugetlb has no UFFDIO_ZEROPAGE */
	return true;
}

/* Why this kernel cannot do @mode on @type, or NULL */
static const char *mode_unsupported(enum mem_type type, enum bench_mode mode)
{
	static const struct {
		enum mem_type type;
		enum bench_mode mode;
		uint64_t feature;
		const char *why;
	} needs[] = {
		{ T_SHMEM, M_MINOR, UFFD_FEATURE_MINOR_SHMEM,
		  "kernel lacks UFFD_FEATURE_MINOR_SHMEM" },
		{ T_HUGETLB, M_MINOR, UFFD_FEATURE_MINOR_HUGETLBFS,
		  "kernel lacks UFFD_FEATURE_MINOR_HUGETLBFS" },
		{ T_SHMEM, M_WP, UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
		  "kernel lacks UFFD_FEATURE_WP_HUGETLBFS_SHMEM" },
		{ T_HUGETLB, M_WP, UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
		  "kernel lacks UFFD_FEATURE_WP_HUGETLBFS_SHMEM" },
		{ T_ANON, M_WP, UFFD_FEATURE_PAGEFAULT_FLAG_WP,
		  "kernel lacks UFFD_FEATURE_PAGEFAULT_FLAG_WP" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(needs); i++)
		if (needs[i].type == type && needs[i].mode == mode &&
		    !(uffd_supported & needs[i].feature))
			return needs[i].why;
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(enum mem_type type, const char *mode, double *v, int k,
		   const char *unit, unsigned long long n)
{
	const char *fmt = strcmp(unit, "rt/s") ? "%.3f" : "%.0f";
	char med[32], lo[32], hi[32];
	double m;

	qsort(v, k, sizeof(*v), cmp_double);
	m = k & 1 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	snprintf(med, sizeof(med), fmt, m);
	snprintf(lo, sizeof(lo), fmt, v[0]);
	snprintf(hi, sizeof(hi), fmt, v[k - 1]);
	printf("BENCH %s %s %s %s min=%s max=%s n=%llu\n", type_names[type],
	       mode, med, unit, lo, hi, n);
}

static void verbose(const char *name, const double *secs, int k, double wall)
{
	int i;

	if (!opt.verbose)
		return;
	printf("# time %s: timed", name);
	for (i = 0; i < k; i++)
		printf(" %.3f", secs[i]);
	printf(" s, wall %.2f s\n", wall);
}

/*
 * --shift: sleep 0 to 999 ms (pseudo-random from the seed) before a timed
 * run.  Under QEMU's instruction clock a run's window sits at a fixed guest
 * time in every boot, so periodic kernel work (NUMA scanning, vmstat, LRU
 * aging...) lands in it in every boot or in none; the same kernel with one
 * more instruction at boot can move it in or out.  A sleep moves the window
 * (for free: an idle guest skips to its next timer), so boots with other
 * seeds sample other placements and their median is not hostage to one.
 */
static void shift_window(void)
{
	struct timespec ts;
	long ms;

	if (opt.shift < 0)
		return;
	ms = rand_r(&opt.shift_state) % 1000;
	ts.tv_sec = 0;
	ts.tv_nsec = ms * 1000000;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void measure(enum mem_type type, enum bench_mode mode, bool warmup)
{
	static double v[MAX_INNER], w[MAX_INNER], s[MAX_INNER], s2[MAX_INNER];
	size_t len = bulk_len(type);
	unsigned long n, passes;
	double t0 = now(), dummy;
	char name2[64];
	int i;

	snprintf(cur_name, sizeof(cur_name), "%s %s", type_names[type],
		 mode_names[mode]);
	rt_shape(type, mode, &n, &passes);

	if (mode == M_BULK) {
		/*
		 * Always warm up: the first large copy of each type was up
		 * to 35% slower than the next ones, and the first memcpy up
		 * to 3 times faster, which --inner 1 would report as is.
		 */
		alarm(WATCHDOG_SECS);
		run_bulk_copy(type, len, &dummy);
		run_memcpy(type, len, &dummy);
		for (i = 0; i < opt.inner; i++) {
			shift_window();
			alarm(WATCHDOG_SECS);
			v[i] = run_bulk_copy(type, len, &s[i]);
			shift_window();
			w[i] = run_memcpy(type, len, &s2[i]);
		}
		alarm(0);
		report(type, "copy-bulk", v, opt.inner, "GB/s", len);
		report(type, "memcpy", w, opt.inner, "GB/s", len);
		snprintf(name2, sizeof(name2), "%s memcpy", type_names[type]);
		verbose(cur_name, s, opt.inner, now() - t0);
		verbose(name2, s2, opt.inner, 0);
		return;
	}

	if (warmup) {
		alarm(WATCHDOG_SECS);
		run_roundtrip(type, mode, n, passes, &dummy);
	}
	for (i = 0; i < opt.inner; i++) {
		shift_window();
		alarm(WATCHDOG_SECS);
		v[i] = run_roundtrip(type, mode, n, passes, &s[i]);
	}
	alarm(0);
	report(type, mode_names[mode], v, opt.inner, "rt/s", n * passes);
	verbose(cur_name, s, opt.inner, now() - t0);
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: uffd_bench [options]\n"
"  --pages N      round trips per run (default 3072; hugetlb missing-copy:\n"
"                 N/256 huge pages, min 4; hugetlb minor/wp: N in passes\n"
"                 over N/64 huge pages, min 8)\n"
"  --bulk-mib M   copy-bulk and memcpy size in MiB (default 64; hugetlb M/4)\n"
"  --inner K      runs per measurement, median reported (default 3)\n"
"  --types LIST   comma list of anon,shmem,hugetlb,module (default all)\n"
"  --modes LIST   comma list of missing-copy,missing-zero,minor,wp,copy-bulk\n"
"                 (default all)\n"
"  --pin WHERE    same: toucher and handler on CPU 0 (default); split:\n"
"                 toucher on CPU 0, handler on CPU 1; none: not pinned\n"
"  --smoke        tiny sizes: --pages 64 --bulk-mib 4 --inner 1\n"
"  --shift SEED   sleep 0-999 ms (from SEED >= 1) before each timed run: moves\n"
"                 the windows in guest time (for QEMU's instruction clock)\n"
"  -v, --verbose  '#' lines with the time of each run\n"
"  -h, --help     this text\n");
}

static void bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "uffd_bench: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

static unsigned long parse_num(const char *s, const char *what,
			       unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || !v || v > max || *s == '-')
		bad_usage("bad %s", what);
	return v;
}

/* Set flags[i] for each name of @list found in names[] */
static void parse_list(const char *list, const char *const *names, int nr,
		       bool *flags, const char *what)
{
	char *copy = strdup(list), *save, *tok;
	int i;

	if (!copy)
		die_errno("strdup");
	memset(flags, 0, nr * sizeof(*flags));
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nr; i++)
			if (!strcmp(tok, names[i]))
				break;
		if (i == nr) {
			fprintf(stderr, "uffd_bench: unknown %s %s\n", what,
				tok);
			usage(stderr);
			exit(2);
		}
		flags[i] = true;
	}
	free(copy);
	for (i = 0; i < nr; i++)
		if (flags[i])
			return;
	bad_usage("empty %s list", what);
}

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pages",	required_argument, NULL, 'p' },
		{ "bulk-mib",	required_argument, NULL, 'b' },
		{ "inner",	required_argument, NULL, 'k' },
		{ "types",	required_argument, NULL, 't' },
		{ "modes",	required_argument, NULL, 'm' },
		{ "pin",	required_argument, NULL, 'c' },
		{ "smoke",	no_argument,	   NULL, 's' },
		{ "shift",	required_argument, NULL, 'S' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long pages = -1, bulk = -1, inner = -1;
	bool smoke = false;
	int c, i;

	for (i = 0; i < NR_TYPES; i++)
		opt.types[i] = true;
	for (i = 0; i < NR_MODES; i++)
		opt.modes[i] = true;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pages = parse_num(optarg, "--pages", 1UL << 24);
			break;
		case 'b':
			bulk = parse_num(optarg, "--bulk-mib", 1UL << 16);
			break;
		case 'k':
			inner = parse_num(optarg, "--inner", MAX_INNER);
			break;
		case 't':
			parse_list(optarg, type_names, NR_TYPES, opt.types,
				   "type");
			break;
		case 'm':
			parse_list(optarg, mode_names, NR_MODES, opt.modes,
				   "mode");
			break;
		case 'c':
			for (i = 0; i < NR_PINS; i++)
				if (!strcmp(optarg, pin_names[i]))
					break;
			if (i == NR_PINS)
				bad_usage("bad --pin %s", optarg);
			opt.pin = i;
			break;
		case 's':
			smoke = true;
			break;
		case 'S':
			opt.shift = parse_num(optarg, "--shift", 1UL << 30);
			opt.shift_state = opt.shift;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			bad_usage("bad option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument %s", argv[optind]);

	/* --smoke sets defaults; explicit options win, in any order */
	opt.pages = pages > 0 ? pages : smoke ? 64 : 3072;
	opt.bulk_mib = bulk > 0 ? bulk : smoke ? 4 : 64;
	opt.inner = inner > 0 ? inner : smoke ? 1 : 3;
}

int main(int argc, char **argv)
{
	unsigned long hcopy, hpages, passes;
	const char *why[NR_TYPES];
	struct utsname uts;
	bool warmup = true;
	double start;
	int t, m;

	/* The output goes to a serial port and a log: a line at a time */
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_options(argc, argv);
	page_size = sysconf(_SC_PAGESIZE);
	signal(SIGALRM, watchdog);
	start = now();

	if (uname(&uts))
		die_errno("uname");
	rt_shape(T_HUGETLB, M_COPY, &hcopy, &passes);
	rt_shape(T_HUGETLB, M_WP, &hpages, &passes);
	printf("# uffd_bench: %s, %ld CPUs, pages=%lu (hugetlb: missing-copy %lu, minor/wp %lu passes x %lu), bulk=%lu MiB (hugetlb %zu), inner=%d, pin=%s%s\n",
	       uts.release, sysconf(_SC_NPROCESSORS_ONLN), opt.pages, hcopy,
	       passes, hpages, opt.bulk_mib, bulk_len(T_HUGETLB) >> 20,
	       opt.inner, pin_names[opt.pin],
	       opt.shift < 0 ? "" : ", windows shifted (--shift)");

	uffd_probe();
	setup_pinning();

	if (opt.modes[M_BULK]) {
		bulk_src_len = bulk_len(T_ANON);
		if (bulk_len(T_HUGETLB) > bulk_src_len)
			bulk_src_len = bulk_len(T_HUGETLB);
		bulk_src = alloc_src(bulk_src_len);
	}

	for (t = 0; t < NR_TYPES; t++) {
		if (!opt.types[t])
			continue;
		why[t] = type_unavailable(t);
		for (m = 0; m < NR_MODES; m++) {
			const char *no;

			if (!opt.modes[m] || !mode_applies(t, m))
				continue;
			no = why[t] ? why[t] : mode_unsupported(t, m);
			if (no) {
				printf("SKIP %s %s %s\n", type_names[t],
				       mode_names[m], no);
				if (m == M_BULK)
					printf("SKIP %s memcpy %s\n",
					       type_names[t], no);
				continue;
			}
			measure(t, m, warmup);
			warmup = false;
		}
	}

	printf("# uffd_bench: done in %.1f s\n", now() - start);
	return 0;
}
