// SPDX-License-Identifier: GPL-2.0
/*
 * userfaultfd on System V shared memory, as stock 6.12 offers it.
 *
 * ipc/shm.c replaces the vm_ops of a segment's mappings with its own, so a
 * segment is not what its backing file is to userfaultfd:
 * - an SHM_HUGETLB segment is hugetlbfs memory, and stock 6.12 registers it
 *   in every mode (it goes by VM_HUGETLB): the series must too, with the
 *   same reported ioctls, and fill it;
 * - a plain segment is refused (it is not shmem to vma_is_shmem()), except
 *   for WP in WP_ASYNC mode, which takes any memory.  There the series
 *   reports only the ioctls that work (WAKE, WRITEPROTECT), where stock
 *   also reports COPY and the rest, which fail with EINVAL: the one case
 *   that stock fails here, a documented change of the series.
 *
 * Runs on every kernel of make check; needs CONFIG_SYSVIPC and huge pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest.h"
#include "mm/vm_util.h"

#ifndef SHM_HUGETLB
#define SHM_HUGETLB 04000
#endif

#define B(x)	(1ULL << _UFFDIO_##x)

static unsigned long hpage;

static int uffd_open(__u64 features, __u64 *offered)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		ksft_exit_fail_msg("userfaultfd: %s\n", strerror(errno));
	if (offered)
		*offered = api.features;
	return uffd;
}

/* 0 or -errno; the reported ioctls in *ioctls */
static int reg(int uffd, void *p, size_t len, __u64 mode, __u64 *ioctls)
{
	struct uffdio_register r = {
		.range = { (unsigned long)p, len }, .mode = mode,
	};

	*ioctls = 0;
	if (ioctl(uffd, UFFDIO_REGISTER, &r))
		return -errno;
	*ioctls = r.ioctls;
	return 0;
}

/* A new segment of @size attached at an address of its own; NULL if none */
static char *segment(size_t size, int flags)
{
	int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600 | flags);
	char *p;

	if (id < 0)
		return NULL;
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);	/* goes with the last detach */
	return p == (void *)-1 ? NULL : p;
}

static void check(bool ok, const char *name, int ret, __u64 ioctls,
		  __u64 want)
{
	if (!ok)
		ksft_print_msg("%s: register %d (%s), ioctls 0x%llx, want 0x%llx\n",
			       name, ret, ret ? strerror(-ret) : "ok",
			       (unsigned long long)ioctls,
			       (unsigned long long)want);
	ksft_test_result(ok, "%s\n", name);
}

/* SHM_HUGETLB: registered in @mode, reports @want, and a fill works */
static void hugetlb_case(const char *name, __u64 mode, __u64 want)
{
	__u64 ioctls;
	char *p, *src;
	int uffd, ret;
	bool ok;

	p = segment(hpage, SHM_HUGETLB);
	if (!p) {
		ksft_test_result_skip("%s: no SHM_HUGETLB segment: %s\n", name,
				      strerror(errno));
		return;
	}
	uffd = uffd_open(0, NULL);
	ret = reg(uffd, p, hpage, mode, &ioctls);
	ok = !ret && ioctls == want;

	if (ok && (mode & UFFDIO_REGISTER_MODE_MISSING)) {
		struct uffdio_copy copy = {
			.dst = (unsigned long)p, .len = hpage,
		};

		src = mmap(NULL, hpage, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (src == MAP_FAILED)
			ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
		memset(src, 'h', hpage);
		copy.src = (unsigned long)src;
		if (ioctl(uffd, UFFDIO_COPY, &copy) || copy.copy != (__s64)hpage ||
		    p[0] != 'h' || p[hpage - 1] != 'h') {
			ksft_print_msg("%s: UFFDIO_COPY: %s, copied %lld\n",
				       name, strerror(errno),
				       (long long)copy.copy);
			ok = false;
		}
		munmap(src, hpage);
	}
	/* shmdt() finds the segment's mappings by their vm_ops */
	if (shmdt(p) || mincore(p, 4096, &(unsigned char){ 0 }) != -1 ||
	    errno != ENOMEM) {
		ksft_print_msg("%s: shmdt() did not unmap the segment\n", name);
		ok = false;
	}
	check(ok, name, ret, ioctls, want);
	close(uffd);
}

int main(void)
{
	__u64 offered, ioctls;
	char *p;
	int uffd, ret;

	ksft_print_header();
	ksft_set_plan(6);
	hpage = default_huge_page_size();
	if (!hpage)
		ksft_exit_skip("no huge pages\n");
	uffd = uffd_open(0, &offered);
	close(uffd);

	/* Stock reports UFFD_API_RANGE_IOCTLS_BASIC for hugetlb, less
	 * WRITEPROTECT and CONTINUE where those modes are not registered. */
	hugetlb_case("shm-hugetlb-missing", UFFDIO_REGISTER_MODE_MISSING,
		     B(WAKE) | B(COPY) | B(POISON));
	hugetlb_case("shm-hugetlb-minor", UFFDIO_REGISTER_MODE_MINOR,
		     B(WAKE) | B(COPY) | B(CONTINUE) | B(POISON));
	if (offered & UFFD_FEATURE_WP_HUGETLBFS_SHMEM)
		hugetlb_case("shm-hugetlb-missing-wp",
			     UFFDIO_REGISTER_MODE_MISSING |
			     UFFDIO_REGISTER_MODE_WP,
			     B(WAKE) | B(COPY) | B(WRITEPROTECT) | B(POISON));
	else
		ksft_test_result_skip("shm-hugetlb-missing-wp: no WP on hugetlbfs\n");

	/* A plain segment is refused, in every mode but WP_ASYNC */
	p = segment(hpage, 0);
	if (!p)
		ksft_exit_fail_msg("shmget: %s\n", strerror(errno));
	uffd = uffd_open(0, NULL);
	ret = reg(uffd, p, hpage, UFFDIO_REGISTER_MODE_MISSING, &ioctls);
	check(ret == -EINVAL, "shm-plain-missing-refused", ret, ioctls, 0);
	ret = reg(uffd, p, hpage, UFFDIO_REGISTER_MODE_MINOR, &ioctls);
	check(ret == -EINVAL, "shm-plain-minor-refused", ret, ioctls, 0);
	close(uffd);

	/*
	 * WP_ASYNC: registered, and what is reported must work: WAKE and
	 * WRITEPROTECT.  Stock also reports COPY and the rest, which fail
	 * here with EINVAL: show that COPY does.
	 */
	uffd = uffd_open(UFFD_FEATURE_WP_ASYNC, NULL);
	ret = reg(uffd, p, hpage, UFFDIO_REGISTER_MODE_WP, &ioctls);
	if (!ret && (ioctls & B(COPY))) {
		static char src[4096] __attribute__((aligned(4096)));
		struct uffdio_copy copy = {
			.dst = (unsigned long)p, .src = (unsigned long)src,
			.len = sizeof(src),
		};

		if (ioctl(uffd, UFFDIO_COPY, &copy))
			ksft_print_msg("shm-plain-wp-async: COPY reported, and fails: %s\n",
				       strerror(errno));
	}
	check(!ret && ioctls == (B(WAKE) | B(WRITEPROTECT)),
	      "shm-plain-wp-async-reports-what-works", ret, ioctls,
	      B(WAKE) | B(WRITEPROTECT));
	close(uffd);
	if (shmdt(p))
		ksft_exit_fail_perror("shmdt");

	ksft_finished();
}
