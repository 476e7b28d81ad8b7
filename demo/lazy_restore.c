// SPDX-License-Identifier: GPL-2.0
/*
 * lazy_restore - restore a memory snapshot lazily with userfaultfd, into
 * memory that a kernel module provides.
 *
 * This is what a VMM does when it restores a guest from a snapshot file, or
 * after the switch-over of a post-copy migration: the guest runs at once,
 * and each page is brought in when the guest first touches it.
 *
 *   - "guest RAM" is a memory object of uffd_sample.ko (/dev/uffd_sample),
 *     or a memfd with --shmem, mapped MAP_SHARED;
 *   - pages that arrived before the switch-over (--staged percent) are
 *     written into the memory object through a second mapping, as a VMM
 *     does: the guest's first touch of them is a MINOR fault, resolved by
 *     UFFDIO_CONTINUE, without copying;
 *   - every other page is a MISSING fault, resolved by UFFDIO_COPY from
 *     the snapshot file;
 *   - once everything is restored, all of guest RAM is write-protected and
 *     WP faults tell which pages the guest dirties (the next incremental
 *     snapshot), resolved by un-protecting the page.
 *
 * Worker threads (two by default) play the guest: they touch every page in
 * random order and time each first touch, so fault latency is measured from
 * the faulting side.  A handler thread serves the userfaultfd.  Every page
 * is then checked against the snapshot.
 *
 * Exit status: 0 on success, 1 on error or mismatch, 2 if this kernel
 * refuses userfaultfd on module memory (a kernel without vm_uffd_ops, where
 * uffd_sample.ko cannot exist).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "uffd_sample.h"

#define PAGE		4096UL
#define EXIT_REFUSED	2

static struct {
	bool shmem;
	const char *device;
	const char *snapshot;
	unsigned long mib;
	unsigned int staged_pct;
	unsigned int dirty_pct;
	unsigned int workers;
	uint64_t seed;
} opt = {
	.device = UFFD_SAMPLE_DEV,
	.snapshot = "/tmp/lazy_restore.snap",
	.mib = 16,
	.staged_pct = 25,
	.dirty_pct = 5,
	.workers = 2,
	.seed = 1,
};

static unsigned long npages;
static char *snap;		/* the snapshot file, mapped read-only */
static char *ram;		/* guest RAM, registered with userfaultfd */
static char *ram_alias;		/* the VMM's own mapping of guest RAM */
static int uffd;
static bool *staged;		/* pages cached before the guest runs */
static atomic_bool *dirty;	/* pages the WP handler saw written */
static atomic_bool stop_handler;

static atomic_ulong nr_missing, nr_minor, nr_wp, nr_eexist;
static atomic_ulong bytes_copied, bytes_continued;

static void die(const char *what)
{
	fprintf(stderr, "lazy_restore: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* splitmix64: recognizable, reproducible page contents and shuffles */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Each page starts with its number, the rest derives from it */
static void snapshot_page(uint64_t *p, unsigned long idx)
{
	p[0] = 0x50414e53ULL << 32 | idx;	/* "SNAP" */
	for (unsigned long i = 1; i < PAGE / 8; i++)
		p[i] = mix(idx << 12 | i);
}

static void make_snapshot(void)
{
	uint64_t page[PAGE / 8];
	int fd;

	fd = open(opt.snapshot, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(opt.snapshot);
	for (unsigned long i = 0; i < npages; i++) {
		snapshot_page(page, i);
		if (write(fd, page, PAGE) != PAGE)
			die("write snapshot");
	}
	/* UFFDIO_COPY reads the snapshot through this mapping */
	snap = mmap(NULL, npages * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (snap == MAP_FAILED)
		die("mmap snapshot");
	close(fd);
}

/* Whether the running kernel has vm_uffd_ops at all */
static int kernel_has_vm_uffd_ops(void)
{
	char line[256];
	FILE *f = fopen("/proc/kallsyms", "r");
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " uffd_pagecache_copy") != NULL;
	fclose(f);
	return found;
}

/* Report that userfaultfd cannot be used on this memory, and why */
static void refused(const char *why)
{
	int api = kernel_has_vm_uffd_ops();

	printf("\nlazy_restore: %s\n", why);
	if (api == 1) {
		printf("  This kernel has vm_uffd_ops, but this memory does not declare every\n"
		       "  mode asked for (MISSING|MINOR|WP), or its table was refused (dmesg).\n");
	} else {
		printf("lazy_restore: this kernel refuses userfaultfd on module memory: %s\n"
		       "  userfaultfd works on anonymous memory, shmem and hugetlbfs only, and a\n"
		       "  module has no way to offer it on its own memory (no vm_uffd_ops):\n"
		       "  uffd_sample.ko cannot even be built for this kernel.\n",
		       api == 0 ? "stock kernel" : "no vm_uffd_ops found");
	}
	printf("  (--shmem runs the same restore on shmem.)\n");
	exit(EXIT_REFUSED);
}

static int create_memory(size_t size)
{
	int dev, fd;

	if (opt.shmem) {
		fd = memfd_create("guest-ram", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, size))
			die("memfd");
		return fd;
	}

	dev = open(opt.device, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		if (errno != ENOENT)
			die(opt.device);
		if (kernel_has_vm_uffd_ops() != 0) {
			fprintf(stderr, "lazy_restore: %s missing: load uffd_sample.ko\n",
				opt.device);
			exit(1);
		}
		refused("no module memory device (" UFFD_SAMPLE_DEV ")");
	}
	fd = ioctl(dev, UFFD_SAMPLE_CREATE, size);
	if (fd < 0)
		die("UFFD_SAMPLE_CREATE");
	close(dev);
	return fd;
}

/* Pages received before the switch-over go into the cache, not mapped */
static unsigned long stage_pages(void)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < npages; i++) {
		staged[i] = mix(opt.seed << 32 ^ i) % 100 < opt.staged_pct;
		if (!staged[i])
			continue;
		n++;
		memcpy(ram_alias + i * PAGE, snap + i * PAGE, PAGE);
	}
	return n;
}

static const char *ioctl_names(uint64_t ioctls, char *buf, size_t len)
{
	static const struct { int bit; const char *name; } names[] = {
		{ _UFFDIO_COPY, "COPY" }, { _UFFDIO_ZEROPAGE, "ZEROPAGE" },
		{ _UFFDIO_WRITEPROTECT, "WRITEPROTECT" },
		{ _UFFDIO_CONTINUE, "CONTINUE" }, { _UFFDIO_POISON, "POISON" },
		{ _UFFDIO_MOVE, "MOVE" }, { _UFFDIO_WAKE, "WAKE" },
	};

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ioctls & (1ULL << names[i].bit))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
				 buf[0] ? " " : "", names[i].name);
	return buf;
}

static void setup_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (unsigned long)ram, npages * PAGE },
		/* Modes are chosen once, at registration: WP is needed later */
		.mode = UFFDIO_REGISTER_MODE_MISSING |
			UFFDIO_REGISTER_MODE_MINOR | UFFDIO_REGISTER_MODE_WP,
	};
	char names[128];

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 && errno == EPERM)
		uffd = syscall(__NR_userfaultfd,
			       O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (uffd < 0)
		die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		if (errno == EINVAL && !opt.shmem)
			refused("UFFDIO_REGISTER(MISSING|MINOR|WP) on module memory: EINVAL");
		die("UFFDIO_REGISTER");
	}
	printf("  %-14s MISSING|MINOR|WP; ioctls: %s\n", "registered",
	       ioctl_names(reg.ioctls, names, sizeof(names)));
}

/* Resolve one fault; EEXIST means another fault got there first */
static void resolve(struct uffd_msg *msg)
{
	unsigned long addr = msg->arg.pagefault.address & ~(PAGE - 1);
	unsigned long idx = (addr - (unsigned long)ram) / PAGE;
	__u64 flags = msg->arg.pagefault.flags;
	int ret;

	if (flags & UFFD_PAGEFAULT_FLAG_WP) {
		struct uffdio_writeprotect wp = { { addr, PAGE }, 0 };

		dirty[idx] = true;
		atomic_fetch_add(&nr_wp, 1);
		ret = ioctl(uffd, UFFDIO_WRITEPROTECT, &wp);
	} else if (flags & UFFD_PAGEFAULT_FLAG_MINOR) {
		struct uffdio_continue cont = { .range = { addr, PAGE } };

		atomic_fetch_add(&nr_minor, 1);
		ret = ioctl(uffd, UFFDIO_CONTINUE, &cont);
		if (!ret)
			atomic_fetch_add(&bytes_continued, PAGE);
	} else {
		struct uffdio_copy copy = {
			.dst = addr, .src = (unsigned long)snap + idx * PAGE,
			.len = PAGE,
		};

		atomic_fetch_add(&nr_missing, 1);
		ret = ioctl(uffd, UFFDIO_COPY, &copy);
		if (!ret)
			atomic_fetch_add(&bytes_copied, PAGE);
	}

	if (ret && errno == EEXIST) {
		struct uffdio_range range = { addr, PAGE };

		atomic_fetch_add(&nr_eexist, 1);
		if (ioctl(uffd, UFFDIO_WAKE, &range))
			die("UFFDIO_WAKE");
	} else if (ret) {
		die("resolving a fault");
	}
}

static void *handler(void *arg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msgs[64];

	while (!atomic_load(&stop_handler)) {
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(uffd, msgs, sizeof(msgs));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			die("read userfaultfd");
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(msgs[0]); i++)
			if (msgs[i].event == UFFD_EVENT_PAGEFAULT)
				resolve(&msgs[i]);
	}
	return NULL;
}

struct worker {
	pthread_t thread;
	unsigned long *pages;	/* pages this worker touches, in order */
	unsigned long n;
	bool write;
	uint64_t *lat_ns;	/* one per page touched */
	uint64_t sum;
};

/* The guest: touch each page once, and time it */
static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	for (unsigned long i = 0; i < w->n; i++) {
		unsigned long idx = w->pages[i];
		volatile uint64_t *p = (uint64_t *)(ram + idx * PAGE);
		uint64_t t0 = now_ns();

		if (w->write)
			p[1 + idx % (PAGE / 8 - 1)] = ~mix(idx << 12 |
							   (1 + idx % (PAGE / 8 - 1)));
		else
			w->sum += p[0];
		w->lat_ns[i] = now_ns() - t0;
	}
	return NULL;
}

/* Run the workers over @pages[0..n), dealt round-robin; returns seconds */
static double run_workers(unsigned long *pages, unsigned long n, bool write,
			  uint64_t *lat_ns)
{
	struct worker w[opt.workers];
	uint64_t t0 = now_ns();
	unsigned long per = (n + opt.workers - 1) / opt.workers;

	for (unsigned int t = 0; t < opt.workers; t++) {
		unsigned long start = t * per;

		w[t] = (struct worker){
			.pages = pages + (start < n ? start : n),
			.n = start < n ? (n - start < per ? n - start : per) : 0,
			.write = write,
			.lat_ns = lat_ns + (start < n ? start : n),
		};
		if (pthread_create(&w[t].thread, NULL, worker_fn, &w[t]))
			die("pthread_create");
	}
	for (unsigned int t = 0; t < opt.workers; t++)
		pthread_join(w[t].thread, NULL);
	return (now_ns() - t0) / 1e9;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_latency(const char *what, uint64_t *lat, unsigned long n)
{
	if (!n)
		return;
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("  %-14s %-8s n=%-6lu p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  max %8.1f us\n",
	       "latency", what, n, lat[n / 2] / 1e3, lat[n * 9 / 10] / 1e3,
	       lat[n * 99 / 100] / 1e3, lat[n - 1] / 1e3);
}

static void shuffle(unsigned long *a, unsigned long n, uint64_t seed)
{
	for (unsigned long i = n - 1; i > 0; i--) {
		unsigned long j = mix(seed ^ i) % (i + 1), t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

/* Pages that differ from the snapshot, but for the word a write changed */
static unsigned long verify(bool after_writes)
{
	unsigned long bad = 0;

	for (unsigned long i = 0; i < npages; i++) {
		uint64_t *p = (uint64_t *)(ram + i * PAGE);
		uint64_t *s = (uint64_t *)(snap + i * PAGE);
		unsigned long w = 1 + i % (PAGE / 8 - 1);

		if (after_writes && dirty[i]) {
			if (p[w] != ~s[w] ||
			    memcmp(p, s, w * 8) ||
			    memcmp(p + w + 1, s + w + 1, PAGE - (w + 1) * 8))
				bad++;
		} else if (memcmp(p, s, PAGE)) {
			bad++;
		}
	}
	return bad;
}

static void print_ranges(const char *what, atomic_bool *set)
{
	unsigned long shown = 0, i = 0;

	printf("  %-14s", what);
	while (i < npages && shown < 8) {
		unsigned long j;

		if (!set[i]) {
			i++;
			continue;
		}
		for (j = i; j + 1 < npages && set[j + 1]; j++)
			;
		printf(j > i ? " %lu-%lu" : " %lu", i, j);
		shown++;
		i = j + 1;
	}
	printf("%s (page numbers)\n", i < npages ? " ..." : "");
}

static void usage(const char *prog)
{
	printf("usage: %s [options]\n"
	       "  --shmem          restore into a memfd (shmem) instead of module memory\n"
	       "  --device PATH    module device (default %s)\n"
	       "  --size MIB       snapshot size (default %lu MiB)\n"
	       "  --staged PCT     pages received before the switch-over (default %u%%)\n"
	       "  --dirty PCT      pages the guest writes afterwards (default %u%%)\n"
	       "  --workers N      guest threads (default %u)\n"
	       "  --snapshot PATH  snapshot file (default %s)\n"
	       "  --seed N         random seed (default %" PRIu64 ")\n",
	       prog, opt.device, opt.mib, opt.staged_pct, opt.dirty_pct,
	       opt.workers, opt.snapshot, opt.seed);
	exit(1);
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "shmem", no_argument, NULL, 'm' },
		{ "device", required_argument, NULL, 'D' },
		{ "size", required_argument, NULL, 's' },
		{ "staged", required_argument, NULL, 'p' },
		{ "dirty", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "snapshot", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': opt.shmem = true; break;
		case 'D': opt.device = optarg; break;
		case 's': opt.mib = strtoul(optarg, NULL, 0); break;
		case 'p': opt.staged_pct = strtoul(optarg, NULL, 0); break;
		case 'd': opt.dirty_pct = strtoul(optarg, NULL, 0); break;
		case 'w': opt.workers = strtoul(optarg, NULL, 0); break;
		case 'f': opt.snapshot = optarg; break;
		case 'S': opt.seed = strtoull(optarg, NULL, 0); break;
		default: usage(argv[0]);
		}
	}
	if (!opt.mib || !opt.workers || opt.staged_pct > 100 ||
	    opt.dirty_pct > 100)
		usage(argv[0]);
}

int main(int argc, char **argv)
{
	struct uffdio_writeprotect wp;
	unsigned long *order, *dirty_order, nstaged, ndirty, nmiss = 0, nmin = 0;
	unsigned long bad, reported = 0;
	uint64_t *lat, *lat_miss, *lat_min;
	pthread_t handler_thread;
	double secs;
	int memfd;
	bool ok = true;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	npages = opt.mib * (1UL << 20) / PAGE;
	printf("lazy_restore: restore a %lu MiB snapshot into %s\n", opt.mib,
	       opt.shmem ? "shmem (memfd)" : "module memory");

	memfd = create_memory(npages * PAGE);
	ram = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   memfd, 0);
	ram_alias = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, memfd, 0);
	if (ram == MAP_FAILED || ram_alias == MAP_FAILED)
		die("mmap guest RAM");
	if (!opt.shmem)
		printf("  %-14s %s, one memory object of %lu pages\n", "memory",
		       opt.device, npages);

	staged = calloc(npages, sizeof(*staged));
	dirty = calloc(npages, sizeof(*dirty));
	order = malloc(npages * sizeof(*order));
	lat = malloc(npages * sizeof(*lat));
	lat_miss = malloc(npages * sizeof(*lat));
	lat_min = malloc(npages * sizeof(*lat));
	if (!staged || !dirty || !order || !lat || !lat_miss || !lat_min)
		die("malloc");

	make_snapshot();
	printf("  %-14s %s, %lu pages, each tagged with its number\n",
	       "snapshot", opt.snapshot, npages);

	/* Register first: a MINOR-only kernel refuses before any staging */
	setup_uffd();
	nstaged = stage_pages();
	printf("  %-14s %lu pages (%u%%) into the page cache via a second mapping\n",
	       "staged", nstaged, opt.staged_pct);

	if (pthread_create(&handler_thread, NULL, handler, NULL))
		die("pthread_create");

	/* Phase 1: the guest runs, pages come in as it touches them */
	for (unsigned long i = 0; i < npages; i++)
		order[i] = i;
	shuffle(order, npages, opt.seed);
	printf("\nrestore: %u guest threads touch all %lu pages in random order\n",
	       opt.workers, npages);
	secs = run_workers(order, npages, false, lat);
	for (unsigned long i = 0; i < npages; i++) {
		if (staged[order[i]])
			lat_min[nmin++] = lat[i];
		else
			lat_miss[nmiss++] = lat[i];
	}
	printf("  %-14s %lu MISSING (UFFDIO_COPY), %lu MINOR (UFFDIO_CONTINUE), %lu raced (EEXIST)\n",
	       "faults", atomic_load(&nr_missing), atomic_load(&nr_minor),
	       atomic_load(&nr_eexist));
	printf("  %-14s %.1f MiB copied from the snapshot, %.1f MiB mapped in place\n",
	       "restored", atomic_load(&bytes_copied) / 1048576.0,
	       atomic_load(&bytes_continued) / 1048576.0);
	printf("  %-14s %.2f s, %.0f pages/s\n", "elapsed", secs,
	       npages / secs);
	print_latency("MISSING", lat_miss, nmiss);
	print_latency("MINOR", lat_min, nmin);
	if (atomic_load(&nr_missing) + atomic_load(&nr_minor) <
	    npages - atomic_load(&nr_eexist)) {
		printf("  ERROR: fewer faults than pages touched\n");
		ok = false;
	}
	bad = verify(false);
	printf("  %-14s %lu/%lu pages match the snapshot\n", "verified",
	       npages - bad, npages);
	ok &= !bad;

	/* Phase 2: track what the guest dirties from now on */
	wp = (struct uffdio_writeprotect){
		.range = { (unsigned long)ram, npages * PAGE },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		die("UFFDIO_WRITEPROTECT");
	shuffle(order, npages, opt.seed + 1);
	ndirty = npages * opt.dirty_pct / 100;
	dirty_order = order;
	printf("\ndirty tracking: all pages write-protected; the guest writes %lu pages (%u%%)\n",
	       ndirty, opt.dirty_pct);
	secs = run_workers(dirty_order, ndirty, true, lat);
	for (unsigned long i = 0; i < npages; i++)
		reported += dirty[i];
	for (unsigned long i = 0; i < ndirty; i++)
		ok &= dirty[dirty_order[i]];
	ok &= reported == ndirty;
	printf("  %-14s %lu, dirty pages reported %lu, as written: %s\n",
	       "WP faults", atomic_load(&nr_wp), reported,
	       reported == ndirty ? "yes" : "NO");
	print_ranges("dirty", dirty);
	print_latency("WP", lat, ndirty);
	bad = verify(true);
	printf("  %-14s %lu/%lu pages hold the snapshot or the guest's write\n",
	       "verified", npages - bad, npages);
	ok &= !bad;

	atomic_store(&stop_handler, true);
	pthread_join(handler_thread, NULL);
	munmap(ram, npages * PAGE);
	munmap(ram_alias, npages * PAGE);
	close(memfd);
	close(uffd);
	munmap(snap, npages * PAGE);
	unlink(opt.snapshot);

	printf("\nRESULT: %s\n", ok ? "OK" : "FAILED");
	return ok ? 0 : 1;
}
