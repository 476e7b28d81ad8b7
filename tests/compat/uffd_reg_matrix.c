// SPDX-License-Identifier: GPL-2.0
/*
 * uffd_reg_matrix: what UFFDIO_REGISTER answers for every kind of memory.
 *
 * Builds each kind of VMA a user can build (anonymous, shmem through
 * memfd, tmpfs and /dev/zero, hugetlb through memfd, hugetlbfs and SysV,
 * plain SysV segments, regular page cache files on ramfs, and with
 * --module the memory of the reference provider module) and registers it
 * in every combination of MISSING, WP and MINOR, under several UFFDIO_API
 * feature sets.  Each try prints one line:
 *
 *   matrix <kind> <features> <modes> ok ioctls=<WAKE|COPY|...>
 *   matrix <kind> <features> <modes> err=<EINVAL|...>
 *   matrix <kind> - - unavailable <reason>
 *   matrix - <features> - refused err=<ERRNO>	(UFFDIO_API refused the set)
 *
 * Why: the series moves the decision of what may be registered, and which
 * ioctls UFFDIO_REGISTER reports, from core mm's list of memory types to
 * each type's vm_uffd_ops.  Run on stock and patched kernels, the two
 * tables show every answer that changed (scripts/matrix.sh compares them).
 * This is a measurement, not a test: it does not decide what is right.
 * The exit status is 0 if the table was printed completely.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mm/vm_util.h"
#include "uffd_sample.h"
#include "test_uffd_ops_uapi.h"

#ifndef SHM_HUGETLB
#define SHM_HUGETLB	04000
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

enum backing {
	ANON, MEMFD, MEMFD_HUGE, TMPFS, HUGETLBFS, DEVZERO, SYSV, SYSV_HUGE,
	RAMFS, MODULE, MODULE_MINOR,
};

static const struct kind {
	const char *name;
	enum backing backing;
	int flags;		/* MAP_SHARED or MAP_PRIVATE */
} kinds[] = {
	{ "anon-private",		ANON,		MAP_PRIVATE },
	{ "anon-shared",		ANON,		MAP_SHARED },
	{ "memfd-shared",		MEMFD,		MAP_SHARED },
	{ "memfd-private",		MEMFD,		MAP_PRIVATE },
	{ "memfd-hugetlb-shared",	MEMFD_HUGE,	MAP_SHARED },
	{ "memfd-hugetlb-private",	MEMFD_HUGE,	MAP_PRIVATE },
	{ "tmpfs-shared",		TMPFS,		MAP_SHARED },
	{ "tmpfs-private",		TMPFS,		MAP_PRIVATE },
	{ "hugetlbfs-shared",		HUGETLBFS,	MAP_SHARED },
	{ "hugetlbfs-private",		HUGETLBFS,	MAP_PRIVATE },
	{ "devzero-shared",		DEVZERO,	MAP_SHARED },
	{ "devzero-private",		DEVZERO,	MAP_PRIVATE },
	{ "sysv-plain",			SYSV,		MAP_SHARED },
	{ "sysv-hugetlb",		SYSV_HUGE,	MAP_SHARED },
	{ "file-private",		RAMFS,		MAP_PRIVATE },
	{ "file-shared",		RAMFS,		MAP_SHARED },
	{ "module-shared",		MODULE,		MAP_SHARED },
	{ "module-private",		MODULE,		MAP_PRIVATE },
	{ "module-minor-shared",	MODULE_MINOR,	MAP_SHARED },
	{ "module-minor-private",	MODULE_MINOR,	MAP_PRIVATE },
};

static const struct {
	const char *name;
	__u64 features;
} sets[] = {
	{ "none",		0 },
	{ "wp_async",		UFFD_FEATURE_WP_ASYNC },
	{ "wp_unpop",		UFFD_FEATURE_WP_UNPOPULATED },
	{ "wp_async+wp_unpop",	UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED },
};

#define NR_SETS	ARRAY_SIZE(sets)

/* Range ioctls UFFDIO_REGISTER may report, in bit order */
static const struct {
	int bit;
	const char *name;
} ioctl_names[] = {
	{ _UFFDIO_WAKE, "WAKE" }, { _UFFDIO_COPY, "COPY" },
	{ _UFFDIO_ZEROPAGE, "ZEROPAGE" }, { _UFFDIO_MOVE, "MOVE" },
	{ _UFFDIO_WRITEPROTECT, "WRITEPROTECT" },
	{ _UFFDIO_CONTINUE, "CONTINUE" }, { _UFFDIO_POISON, "POISON" },
};

#define E(x)	{ x, #x }
static const struct {
	int e;
	const char *name;
} errnames[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(EBADF), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY),
	E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL),
	E(ENFILE), E(EMFILE), E(ENOTTY), E(EFBIG), E(ENOSPC), E(ESPIPE),
	E(EROFS), E(ERANGE), E(ENOSYS), E(EOPNOTSUPP),
};

static size_t page, hpage;
static char top[] = "/tmp/uffd_matrix.XXXXXX";
/* Where tmpfs, hugetlbfs and ramfs files go; "" and why_* if unavailable */
static char tmpfs_dir[64], huge_dir[64], ramfs_dir[64];
static char why_tmpfs[64], why_huge[64], why_ramfs[64];
static int failed;		/* the program itself failed somewhere */

static const char *errname(int e)
{
	static char buf[16];

	for (size_t i = 0; i < ARRAY_SIZE(errnames); i++)
		if (errnames[i].e == e)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

/* Mount a @fstype of our own on @top/@fstype: fills @dir, or @why */
static void mount_own(const char *fstype, char *dir, char *why)
{
	snprintf(dir, 64, "%s/%s", top, fstype);
	if (mkdir(dir, 0700) || mount("none", dir, fstype, 0, NULL)) {
		snprintf(why, 64, "mount(%s)=%s", fstype, errname(errno));
		rmdir(dir);
		dir[0] = '\0';
	}
}

static void setup_dirs(void)
{
	struct statfs sfs;

	if (!mkdtemp(top)) {
		perror("mkdtemp");
		exit(1);
	}
	/* /tmp is tmpfs in the guest; mount one only if it is not */
	if (!statfs(top, &sfs) && sfs.f_type == TMPFS_MAGIC)
		snprintf(tmpfs_dir, sizeof(tmpfs_dir), "%s", top);
	else
		mount_own("tmpfs", tmpfs_dir, why_tmpfs);
	mount_own("hugetlbfs", huge_dir, why_huge);
	/* ramfs: plain page cache, not shmem; the stand-in for ext4 */
	mount_own("ramfs", ramfs_dir, why_ramfs);
}

static void cleanup_dirs(void)
{
	char *const dirs[] = { tmpfs_dir, huge_dir, ramfs_dir };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (!dirs[i][0] || !strcmp(dirs[i], top))
			continue;
		if (umount(dirs[i]) || rmdir(dirs[i])) {
			perror(dirs[i]);
			failed = 1;
		}
	}
	if (rmdir(top)) {
		perror(top);
		failed = 1;
	}
}

/* Map @len of @fd with @flags and close @fd; NULL with @why if it fails */
static char *map_fd(int fd, size_t len, int flags, bool truncate, char *why)
{
	char *p = MAP_FAILED;

	if (truncate && ftruncate(fd, len)) {
		snprintf(why, 64, "ftruncate=%s", errname(errno));
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
		if (p == MAP_FAILED)
			snprintf(why, 64, "mmap=%s", errname(errno));
	}
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* A new, unlinked file in @dir */
static int new_file(const char *dir, const char *dir_why, char *why)
{
	char path[96];
	int fd;

	if (!dir[0]) {
		snprintf(why, 64, "%s", dir_why);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		snprintf(why, 64, "open=%s", errname(errno));
	else
		unlink(path);
	return fd;
}

/* A System V segment, removed at once: it goes with the detach */
static char *segment(size_t len, int flags, char *why)
{
	int id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600 | flags);
	char *p;

	if (id < 0) {
		snprintf(why, 64, "shmget=%s", errname(errno));
		return NULL;
	}
	p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		snprintf(why, 64, "shmat=%s", errname(errno));
	shmctl(id, IPC_RMID, NULL);
	return p == (void *)-1 ? NULL : p;
}

/* A memory object of the reference provider module */
static char *module_mem(const char *dev, size_t len, int flags, char *why)
{
	int dfd = open(dev, O_RDWR | O_CLOEXEC), fd;

	if (dfd < 0) {
		snprintf(why, 64, "open(%s)=%s", dev, errname(errno));
		return NULL;
	}
	/* The sample's memory, or the test driver's with a MINOR-only table */
	if (strcmp(dev, TEST_UFFD_OPS_DEV)) {
		fd = ioctl(dfd, UFFD_SAMPLE_CREATE, (unsigned long)len);
	} else {
		struct test_uffd_ops_create req = {
			.size = len, .table = UFFD_GOOD_MINOR,
		};

		fd = ioctl(dfd, TEST_UFFD_OPS_CREATE, &req);
	}
	if (fd < 0)
		snprintf(why, 64, "create=%s", errname(errno));
	close(dfd);
	return fd < 0 ? NULL : map_fd(fd, len, flags, false, why);
}

/* A new mapping of kind @k, of *@len bytes; NULL with @why if it fails */
static char *map_kind(const struct kind *k, size_t *len, char *why)
{
	bool huge = k->backing == MEMFD_HUGE || k->backing == HUGETLBFS ||
		    k->backing == SYSV_HUGE;
	char *p;
	int fd;

	*len = huge ? hpage : page;
	switch (k->backing) {
	case ANON:
		p = mmap(NULL, *len, PROT_READ | PROT_WRITE,
			 k->flags | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			snprintf(why, 64, "mmap=%s", errname(errno));
			return NULL;
		}
		return p;
	case MEMFD:
	case MEMFD_HUGE:
		fd = memfd_create("uffd_matrix",
				  MFD_CLOEXEC | (huge ? MFD_HUGETLB : 0));
		if (fd < 0) {
			snprintf(why, 64, "memfd_create=%s", errname(errno));
			return NULL;
		}
		return map_fd(fd, *len, k->flags, true, why);
	case TMPFS:
		fd = new_file(tmpfs_dir, why_tmpfs, why);
		return fd < 0 ? NULL : map_fd(fd, *len, k->flags, true, why);
	case HUGETLBFS:
		fd = new_file(huge_dir, why_huge, why);
		return fd < 0 ? NULL : map_fd(fd, *len, k->flags, true, why);
	case RAMFS:
		fd = new_file(ramfs_dir, why_ramfs, why);
		return fd < 0 ? NULL : map_fd(fd, *len, k->flags, true, why);
	case DEVZERO:
		fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			snprintf(why, 64, "open(/dev/zero)=%s", errname(errno));
			return NULL;
		}
		return map_fd(fd, *len, k->flags, false, why);
	case SYSV:
		return segment(*len, 0, why);
	case SYSV_HUGE:
		return segment(*len, SHM_HUGETLB, why);
	case MODULE:
		return module_mem(UFFD_SAMPLE_DEV, *len, k->flags, why);
	case MODULE_MINOR:
		return module_mem(TEST_UFFD_OPS_DEV, *len, k->flags, why);
	}
	return NULL;
}

static void unmap_kind(const struct kind *k, char *p, size_t len)
{
	int ret = (k->backing == SYSV || k->backing == SYSV_HUGE) ?
		  shmdt(p) : munmap(p, len);

	if (ret) {
		perror("unmap");
		failed = 1;
	}
}

/* A new userfaultfd with @features, or -errno if UFFDIO_API refuses them */
static int uffd_open(__u64 features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	int err;

	if (uffd < 0) {		/* no userfaultfd at all: nothing to measure */
		perror("userfaultfd");
		exit(1);
	}
	if (ioctl(uffd, UFFDIO_API, &api)) {
		err = errno;
		close(uffd);
		return -err;
	}
	return uffd;
}

static void mode_name(__u64 mode, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s",
		 mode & UFFDIO_REGISTER_MODE_MISSING ? "missing" : "",
		 (mode & UFFDIO_REGISTER_MODE_MISSING) &&
		 (mode & ~UFFDIO_REGISTER_MODE_MISSING) ? "+" : "",
		 mode & UFFDIO_REGISTER_MODE_WP ? "wp" : "",
		 (mode & UFFDIO_REGISTER_MODE_WP) &&
		 (mode & UFFDIO_REGISTER_MODE_MINOR) ? "+" : "",
		 mode & UFFDIO_REGISTER_MODE_MINOR ? "minor" : "");
}

static void ioctls_name(__u64 ioctls, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_names); i++) {
		__u64 bit = 1ULL << ioctl_names[i].bit;

		if (!(ioctls & bit))
			continue;
		len += snprintf(buf + len, n - len, "%s%s", len ? "|" : "",
				ioctl_names[i].name);
		ioctls &= ~bit;
	}
	for (int b = 0; b < 64; b++)	/* bits this program does not know */
		if (ioctls & (1ULL << b))
			len += snprintf(buf + len, n - len, "%s0x%llx",
					len ? "|" : "", 1ULL << b);
	if (!len)
		snprintf(buf, n, "-");
}

/* Every mode on a new mapping of @k, through @uffd of feature set @set */
static void try_modes(const struct kind *k, int uffd, const char *set,
		      char *p, size_t len)
{
	struct uffdio_range range = { (unsigned long)p, len };
	char mname[32], iname[128];

	for (__u64 m = 1; m <= 7; m++) {
		__u64 mode = (m & 1 ? UFFDIO_REGISTER_MODE_MISSING : 0) |
			     (m & 2 ? UFFDIO_REGISTER_MODE_WP : 0) |
			     (m & 4 ? UFFDIO_REGISTER_MODE_MINOR : 0);
		struct uffdio_register reg = { .range = range, .mode = mode };

		mode_name(mode, mname, sizeof(mname));
		if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
			printf("matrix %s %s %s err=%s\n", k->name, set, mname,
			       errname(errno));
			continue;
		}
		ioctls_name(reg.ioctls, iname, sizeof(iname));
		printf("matrix %s %s %s ok ioctls=%s\n", k->name, set, mname,
		       iname);
		/* leave the mapping as it was for the next mode */
		if (ioctl(uffd, UFFDIO_UNREGISTER, &range)) {
			fprintf(stderr, "unregister %s %s %s: %s\n", k->name,
				set, mname, strerror(errno));
			failed = 1;
		}
	}
}

int main(int argc, char **argv)
{
	bool module = argc > 1 && !strcmp(argv[1], "--module");
	bool refused[NR_SETS] = { false };

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 || (argc == 2 && !module)) {
		fprintf(stderr, "usage: %s [--module]\n", argv[0]);
		return 2;
	}
	page = sysconf(_SC_PAGESIZE);
	hpage = default_huge_page_size();
	if (!hpage)
		hpage = 2UL << 20;	/* no hugetlb: the kinds say so */

	/* Feature sets that UFFDIO_API refuses are reported once, up front */
	for (size_t s = 0; s < NR_SETS; s++) {
		int uffd = uffd_open(sets[s].features);

		if (uffd < 0) {
			printf("matrix - %s - refused err=%s\n", sets[s].name,
			       errname(-uffd));
			refused[s] = true;
		} else {
			close(uffd);
		}
	}

	if (!module)
		setup_dirs();
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		const struct kind *k = &kinds[i];
		bool first = true;

		if (module != (k->backing == MODULE || k->backing == MODULE_MINOR))
			continue;
		for (size_t s = 0; s < NR_SETS; s++) {
			char why[64] = "", *p;
			size_t len;
			int uffd;

			if (refused[s])
				continue;
			p = map_kind(k, &len, why);
			if (!p && first) {	/* this kind cannot be built */
				printf("matrix %s - - unavailable %s\n",
				       k->name, why);
				break;
			}
			if (!p) {		/* it could a moment ago */
				fprintf(stderr, "%s: %s\n", k->name, why);
				failed = 1;
				continue;
			}
			first = false;
			/* a fresh userfaultfd for each feature set */
			uffd = uffd_open(sets[s].features);
			if (uffd < 0) {
				fprintf(stderr, "UFFDIO_API %s: %s\n",
					sets[s].name, errname(-uffd));
				failed = 1;
			} else {
				try_modes(k, uffd, sets[s].name, p, len);
				close(uffd);
			}
			unmap_kind(k, p, len);
		}
	}
	if (!module)
		cleanup_dirs();
	return failed;
}
