/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the userfaultfd module tests: memory objects from
 * uffd_sample (or shmem), userfaultfd setup, and a thread that touches a
 * page so that the test itself can play the fault handler.
 */
#ifndef UFFD_TEST_UTIL_H
#define UFFD_TEST_UTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "../../module/uffd_sample.h"

#define PAGE		4096UL

/* The range ioctls a full provider (uffd_sample, shmem) declares */
#define UT_ALL_IOCTLS	((1ULL << _UFFDIO_COPY) | (1ULL << _UFFDIO_ZEROPAGE) | \
			 (1ULL << _UFFDIO_WRITEPROTECT) | \
			 (1ULL << _UFFDIO_CONTINUE) | (1ULL << _UFFDIO_POISON))
#define UT_WAKE		(1ULL << _UFFDIO_WAKE)

/* What UFFDIO_REGISTER must report for @declared and registered @mode */
static inline __u64 ut_expected_ioctls(__u64 declared, __u64 mode)
{
	__u64 ioctls = declared | UT_WAKE;

	if (!(mode & UFFDIO_REGISTER_MODE_WP))
		ioctls &= ~(1ULL << _UFFDIO_WRITEPROTECT);
	if (!(mode & UFFDIO_REGISTER_MODE_MINOR))
		ioctls &= ~(1ULL << _UFFDIO_CONTINUE);
	return ioctls;
}

/* A memory object of @size bytes from @dev; -errno on failure */
static inline int ut_module_mem(const char *dev, size_t size)
{
	int dfd, fd;

	dfd = open(dev, O_RDWR | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = ioctl(dfd, UFFD_SAMPLE_CREATE, size);
	if (fd < 0)
		fd = -errno;
	close(dfd);
	return fd;
}

static inline int ut_shmem_mem(size_t size)
{
	int fd = memfd_create("uffd-test", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Pages cached by uffd_sample, or -1 if it is not loaded */
static inline long ut_nr_pages(const char *param)
{
	long n = -1;
	FILE *f = fopen(param, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* A userfaultfd with @features (0: none); the fd or -errno */
static inline int ut_uffd_open_features(__u64 features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int uffd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		return -errno;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		close(uffd);
		return -errno;
	}
	return uffd;
}

static inline int ut_uffd_open(void)
{
	return ut_uffd_open_features(0);
}

/* The features UFFDIO_API offers, 0 if it fails */
static inline __u64 ut_uffd_features(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	__u64 features = 0;

	if (uffd >= 0 && !ioctl(uffd, UFFDIO_API, &api))
		features = api.features;
	if (uffd >= 0)
		close(uffd);
	return features;
}

/*
 * Whether the kernel has CONFIG_PTE_MARKER_UFFD_WP, without which it offers
 * WP on no memory but anonymous: UFFDIO_API then lacks
 * UFFD_FEATURE_WP_HUGETLBFS_SHMEM.
 */
static inline bool ut_has_wp_markers(void)
{
	return ut_uffd_features() & UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
}

/* Register [@addr, @addr + @len) in @mode; 0 or -errno */
static inline int ut_register(int uffd, void *addr, size_t len, __u64 mode,
			      __u64 *ioctls)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)addr, .len = len },
		.mode = mode,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	if (ioctls)
		*ioctls = reg.ioctls;
	return 0;
}

static inline int ut_unregister(int uffd, void *addr, size_t len)
{
	struct uffdio_range range = { (unsigned long)addr, len };

	return ioctl(uffd, UFFDIO_UNREGISTER, &range) ? -errno : 0;
}

static inline int ut_copy(int uffd, void *dst, const void *src, size_t len,
			  __u64 mode)
{
	struct uffdio_copy copy = {
		.dst = (unsigned long)dst, .src = (unsigned long)src,
		.len = len, .mode = mode,
	};

	return ioctl(uffd, UFFDIO_COPY, &copy) ? -errno : 0;
}

static inline int ut_zeropage(int uffd, void *dst, size_t len)
{
	struct uffdio_zeropage zp = {
		.range = { (unsigned long)dst, len },
	};

	return ioctl(uffd, UFFDIO_ZEROPAGE, &zp) ? -errno : 0;
}

static inline int ut_continue(int uffd, void *dst, size_t len)
{
	struct uffdio_continue cont = {
		.range = { (unsigned long)dst, len },
	};

	return ioctl(uffd, UFFDIO_CONTINUE, &cont) ? -errno : 0;
}

static inline int ut_writeprotect(int uffd, void *dst, size_t len, bool wp)
{
	struct uffdio_writeprotect w = {
		.range = { (unsigned long)dst, len },
		.mode = wp ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(uffd, UFFDIO_WRITEPROTECT, &w) ? -errno : 0;
}

static inline int ut_poison(int uffd, void *dst, size_t len)
{
	struct uffdio_poison p = {
		.range = { (unsigned long)dst, len },
	};

	return ioctl(uffd, UFFDIO_POISON, &p) ? -errno : 0;
}

/* Wait up to 5 s for one fault message; 0 or -errno (-ETIMEDOUT) */
static inline int ut_read_fault(int uffd, struct uffd_msg *msg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	int ret = poll(&pfd, 1, 5000);

	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	if (read(uffd, msg, sizeof(*msg)) != sizeof(*msg))
		return -errno;
	return 0;
}

/* A thread that reads or writes one byte, so that faults can be served */
struct ut_toucher {
	pthread_t thread;
	volatile char *addr;
	bool write;
	char value;
};

static inline void *ut_touch_fn(void *arg)
{
	struct ut_toucher *t = arg;

	if (t->write)
		*t->addr = t->value;
	else
		t->value = *t->addr;
	return NULL;
}

static inline int ut_touch_start(struct ut_toucher *t, void *addr, bool write,
				 char value)
{
	t->addr = addr;
	t->write = write;
	t->value = value;
	return pthread_create(&t->thread, NULL, ut_touch_fn, t);
}

static inline char ut_touch_join(struct ut_toucher *t)
{
	pthread_join(t->thread, NULL);
	return t->value;
}

/* Whether reading @addr raises SIGBUS */
static sigjmp_buf ut_sigbus_jmp;

static inline void ut_sigbus_handler(int sig)
{
	siglongjmp(ut_sigbus_jmp, 1);
}

static inline bool ut_read_sigbus(volatile char *addr)
{
	struct sigaction sa = { .sa_handler = ut_sigbus_handler }, old;
	bool bus = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(ut_sigbus_jmp, 1))
		bus = true;
	else
		(void)*addr;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

#endif /* UFFD_TEST_UTIL_H */
