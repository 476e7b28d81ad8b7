// SPDX-License-Identifier: GPL-2.0
/*
 * userfaultfd on memory of a loadable module (uffd_sample), and the same
 * cases on shmem to show that both take the same path through core mm.
 *
 * Needs uffd_sample.ko loaded; run as root (module unload checks).
 */
#include "uffd_test_util.h"

#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"

#define NPAGES		16
#define SIZE		(NPAGES * PAGE)

enum mem_type { MEM_MODULE, MEM_SHMEM };

FIXTURE(mem) {
	int fd;			/* the memory object */
	int uffd;
	char *area;		/* mapping under test */
	char *alias;		/* a second mapping, never registered */
	char *src;		/* a source buffer for UFFDIO_COPY */
	long pages_before;	/* uffd_sample's nr_pages at setup */
};

FIXTURE_VARIANT(mem) {
	enum mem_type type;
	int flags;		/* MAP_SHARED or MAP_PRIVATE for area */
};

FIXTURE_VARIANT_ADD(mem, module) {
	.type = MEM_MODULE, .flags = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(mem, shmem) {
	.type = MEM_SHMEM, .flags = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(mem, module_private) {
	.type = MEM_MODULE, .flags = MAP_PRIVATE,
};

FIXTURE_VARIANT_ADD(mem, shmem_private) {
	.type = MEM_SHMEM, .flags = MAP_PRIVATE,
};

FIXTURE_SETUP(mem)
{
	if (variant->type == MEM_MODULE) {
		self->fd = ut_module_mem(UFFD_SAMPLE_DEV, SIZE);
		if (self->fd == -ENOENT)
			SKIP(return, UFFD_SAMPLE_DEV " missing: load uffd_sample.ko");
	} else {
		self->fd = ut_shmem_mem(SIZE);
	}
	ASSERT_LE(0, self->fd);
	self->pages_before = ut_nr_pages(UFFD_SAMPLE_NR_PAGES);

	/* Twice the size: the second half lies beyond i_size */
	self->area = mmap(NULL, 2 * SIZE, PROT_READ | PROT_WRITE,
			  variant->flags, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->area);
	self->alias = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			   self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->alias);
	self->src = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->src);
	for (int i = 0; i < NPAGES; i++)
		memset(self->src + i * PAGE, 'A' + i, PAGE);

	self->uffd = ut_uffd_open();
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(-self->uffd));
}

FIXTURE_TEARDOWN(mem)
{
	if (self->fd < 0)
		return;
	close(self->uffd);
	munmap(self->src, SIZE);
	munmap(self->alias, SIZE);
	munmap(self->area, 2 * SIZE);
	close(self->fd);
	/* Every page of the object is gone with its last user */
	if (variant->type == MEM_MODULE)
		EXPECT_EQ(0, ut_nr_pages(UFFD_SAMPLE_NR_PAGES));
}

/* Expect one fault message for @addr with exactly @flags */
static void expect_fault(struct __test_metadata *_metadata, int uffd,
			 void *addr, __u64 flags)
{
	struct uffd_msg msg;

	ASSERT_EQ(0, ut_read_fault(uffd, &msg));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	EXPECT_EQ((unsigned long)addr, msg.arg.pagefault.address & ~(PAGE - 1));
	EXPECT_EQ(flags, msg.arg.pagefault.flags &
		  (UFFD_PAGEFAULT_FLAG_WP | UFFD_PAGEFAULT_FLAG_MINOR |
		   UFFD_PAGEFAULT_FLAG_WRITE));
}

/* The ioctls reported are the declaration plus WAKE, for every mode */
TEST_F(mem, register_ioctls)
{
	bool markers = ut_has_wp_markers();

	for (__u64 mode = 1; mode < 8; mode++) {
		__u64 ioctls = 0;

		/* Without PTE markers, WP is refused and the rest is offered */
		if (!markers && (mode & UFFDIO_REGISTER_MODE_WP)) {
			EXPECT_EQ(-EINVAL, ut_register(self->uffd, self->area,
						       SIZE, mode, NULL))
				TH_LOG("mode %llu", mode);
			continue;
		}
		ASSERT_EQ(0, ut_register(self->uffd, self->area, SIZE, mode,
					 &ioctls)) TH_LOG("mode %llu", mode);
		EXPECT_EQ(ut_expected_ioctls(UT_ALL_IOCTLS, mode), ioctls)
			TH_LOG("mode %llu: ioctls %llx", mode, ioctls);
		ASSERT_EQ(0, ut_unregister(self->uffd, self->area, SIZE));
	}
}

/* A MISSING fault resolved by UFFDIO_COPY */
TEST_F(mem, missing_copy)
{
	struct ut_toucher t;
	char *page = self->area + 3 * PAGE;

	ASSERT_EQ(0, ut_register(self->uffd, self->area, SIZE,
				 UFFDIO_REGISTER_MODE_MISSING, NULL));
	ASSERT_EQ(0, ut_touch_start(&t, page, false, 0));
	expect_fault(_metadata, self->uffd, page, 0);
	ASSERT_EQ(0, ut_copy(self->uffd, page, self->src + 3 * PAGE, PAGE, 0));
	EXPECT_EQ('D', ut_touch_join(&t));
	EXPECT_EQ(0, memcmp(page, self->src + 3 * PAGE, PAGE));
	/* The page is in the object on a shared mapping, not on a private one */
	EXPECT_EQ(variant->flags == MAP_SHARED ? 'D' : 0,
		  self->alias[3 * PAGE]);
	/* Filled already */
	EXPECT_EQ(-EEXIST, ut_copy(self->uffd, page, self->src, PAGE, 0));
}

/*
 * A source page that is not mapped yet makes the copy under the mmap_lock
 * fail; core mm retries it unlocked (the -ENOENT protocol).
 */
TEST_F(mem, missing_copy_retry)
{
	int srcfd = memfd_create("uffd-src", MFD_CLOEXEC);
	char *src;

	/* Cached in the source file, but not mapped in the source mapping */
	ASSERT_LE(0, srcfd);
	ASSERT_EQ(SIZE, write(srcfd, self->src, SIZE));
	src = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, srcfd, 0);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_EQ(0, ut_register(self->uffd, self->area, SIZE,
				 UFFDIO_REGISTER_MODE_MISSING, NULL));
	ASSERT_EQ(0, ut_copy(self->uffd, self->area, src, SIZE, 0));
	EXPECT_EQ(0, memcmp(self->area, self->src, SIZE));
	munmap(src, SIZE);
	close(srcfd);
}

/* A MISSING fault resolved by UFFDIO_ZEROPAGE */
TEST_F(mem, missing_zeropage)
{
	struct ut_toucher t;
	char *page = self->area + 5 * PAGE;

	ASSERT_EQ(0, ut_register(self->uffd, self->area, SIZE,
				 UFFDIO_REGISTER_MODE_MISSING, NULL));
	ASSERT_EQ(0, ut_touch_start(&t, page, true, 'z'));
	expect_fault(_metadata, self->uffd, page, UFFD_PAGEFAULT_FLAG_WRITE);
	ASSERT_EQ(0, ut_zeropage(self->uffd, page, PAGE));
	ut_touch_join(&t);
	EXPECT_EQ('z', page[0]);
	EXPECT_EQ(0, page[1]);
	EXPECT_EQ(-EEXIST, ut_zeropage(self->uffd, page, PAGE));
}

/*
 * A MINOR fault: the page was staged through the second mapping, as a VMM
 * does, and UFFDIO_CONTINUE maps it.
 */
TEST_F(mem, minor_continue)
{
	struct ut_toucher t;
	char *page = self->area + 7 * PAGE;

	memset(self->alias + 7 * PAGE, 'm', PAGE);
	ASSERT_EQ(0, ut_register(self->uffd, self->area, SIZE,
				 UFFDIO_REGISTER_MODE_MINOR, NULL));
	ASSERT_EQ(0, ut_touch_start(&t, page, false, 0));
	expect_fault(_metadata, self->uffd, page, UFFD_PAGEFAULT_FLAG_MINOR);
	ASSERT_EQ(0, ut_continue(self->uffd, page, PAGE));
	EXPECT_EQ('m', ut_touch_join(&t));

	/* Mapped now: a write is shared, or private to this mapping */
	page[1] = 'w';
	EXPECT_EQ(variant->flags == MAP_SHARED ? 'w' : 'm',
		  self->alias[7 * PAGE + 1]);
	EXPECT_EQ(-EEXIST, ut_continue(self->uffd, page, PAGE));
	/* Nothing is cached there: nothing to continue with */
	EXPECT_EQ(-EFAULT, ut_continue(self->uffd, self->area, PAGE));
}

/* A WP fault on a page filled write-protected, resolved by un-protecting */
TEST_F(mem, wp)
{
	struct ut_toucher t;
	char *page = self->area + 2 * PAGE;

	if (!ut_has_wp_markers()) {
		ASSERT_EQ(-EINVAL, ut_register(self->uffd, self->area, SIZE,
					       UFFDIO_REGISTER_MODE_WP, NULL));
		SKIP(return, "no PTE markers: WP refused, as it must be");
	}
	ASSERT_EQ(0, ut_register(self->uffd, self->area, SIZE,
				 UFFDIO_REGISTER_MODE_MISSING |
				 UFFDIO_REGISTER_MODE_WP, NULL));
	ASSERT_EQ(0, ut_copy(self->uffd, page, self->src, PAGE,
			     UFFDIO_COPY_MODE_WP));
	EXPECT_EQ('A', page[0]);	/* reads do not fault */

	ASSERT_EQ(0, ut_touch_start(&t, page, true, 'x'));
	expect_fault(_metadata, self->uffd, page,
		     UFFD_PAGEFAULT_FLAG_WP | UFFD_PAGEFAULT_FLAG_WRITE);
	ASSERT_EQ(0, ut_writeprotect(self->uffd, page, PAGE, false));
	ut_touch_join(&t);
	EXPECT_EQ('x', page[0]);

	/* Protect a mapped page again, then a write faults again */
	ASSERT_EQ(0, ut_writeprotect(self->uffd, page, PAGE, true));
	ASSERT_EQ(0, ut_touch_start(&t, page, true, 'y'));
	expect_fault(_metadata, self->uffd, page,
		     UFFD_PAGEFAULT_FLAG_WP | UFFD_PAGEFAULT_FLAG_WRITE);
	ASSERT_EQ(0, ut_writeprotect(self->uffd, page, PAGE, false));
	ut_touch_join(&t);
	EXPECT_EQ('y', page[0]);
}

/* UFFDIO_POISON: access raises SIGBUS, neighbours are unaffected */
TEST_F(mem, poison)
{
	ASSERT_EQ(0, ut_register(self->uffd, self->area, SIZE,
				 UFFDIO_REGISTER_MODE_MISSING, NULL));
	ASSERT_EQ(0, ut_poison(self->uffd, self->area + PAGE, PAGE));
	EXPECT_TRUE(ut_read_sigbus(self->area + PAGE));
	ASSERT_EQ(0, ut_copy(self->uffd, self->area, self->src, PAGE, 0));
	EXPECT_FALSE(ut_read_sigbus(self->area));
	EXPECT_EQ(-EEXIST, ut_poison(self->uffd, self->area, PAGE));
}

/* Filling beyond i_size fails, and faults there raise SIGBUS */
TEST_F(mem, beyond_isize)
{
	ASSERT_EQ(0, ut_register(self->uffd, self->area, 2 * SIZE,
				 UFFDIO_REGISTER_MODE_MISSING, NULL));
	EXPECT_EQ(-EFAULT, ut_copy(self->uffd, self->area + SIZE, self->src,
				   PAGE, 0));
	EXPECT_EQ(-EFAULT, ut_zeropage(self->uffd, self->area + SIZE, PAGE));
	EXPECT_TRUE(ut_read_sigbus(self->area + SIZE));
	ASSERT_EQ(0, ut_copy(self->uffd, self->area + SIZE - PAGE,
			     self->src, PAGE, 0));
	EXPECT_EQ('A', self->area[SIZE - PAGE]);
}

/* Punching a hole frees pages, and the next access faults again */
TEST_F(mem, hole_punch_refaults)
{
	struct ut_toucher t;

	ASSERT_EQ(0, ut_register(self->uffd, self->area, SIZE,
				 UFFDIO_REGISTER_MODE_MISSING, NULL));
	ASSERT_EQ(0, ut_copy(self->uffd, self->area, self->src, SIZE, 0));
	ASSERT_EQ(0, fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
			       FALLOC_FL_KEEP_SIZE, 0, SIZE));
	if (variant->flags == MAP_PRIVATE)	/* anonymous copies stay */
		ASSERT_EQ(0, madvise(self->area, SIZE, MADV_DONTNEED));
	if (variant->type == MEM_MODULE)
		EXPECT_EQ(self->pages_before, ut_nr_pages(UFFD_SAMPLE_NR_PAGES));

	ASSERT_EQ(0, ut_touch_start(&t, self->area, false, 0));
	expect_fault(_metadata, self->uffd, self->area, 0);
	ASSERT_EQ(0, ut_copy(self->uffd, self->area, self->src + PAGE, PAGE, 0));
	EXPECT_EQ('B', ut_touch_join(&t));
}

/* Page accounting of the module: COPY on a private mapping caches nothing */
TEST_F(mem, page_count)
{
	long base = self->pages_before;

	if (variant->type != MEM_MODULE)
		SKIP(return, "module memory only");
	ASSERT_EQ(0, ut_register(self->uffd, self->area, SIZE,
				 UFFDIO_REGISTER_MODE_MISSING, NULL));
	ASSERT_EQ(0, ut_copy(self->uffd, self->area, self->src, 4 * PAGE, 0));
	EXPECT_EQ(base + (variant->flags == MAP_SHARED ? 4 : 0),
		  ut_nr_pages(UFFD_SAMPLE_NR_PAGES));
	(void)*(volatile char *)(self->alias + 8 * PAGE);
	EXPECT_EQ(base + (variant->flags == MAP_SHARED ? 5 : 1),
		  ut_nr_pages(UFFD_SAMPLE_NR_PAGES));
}

/* The partial provider: MINOR only, the rest is refused */
FIXTURE(minor_only) {
	int fd;
	int uffd;
	char *area;
	char *alias;
};

FIXTURE_SETUP(minor_only)
{
	self->fd = ut_module_mem(UFFD_SAMPLE_MINOR_DEV, SIZE);
	if (self->fd == -ENOENT)
		SKIP(return, UFFD_SAMPLE_MINOR_DEV " missing: load uffd_sample.ko");
	ASSERT_LE(0, self->fd);
	self->area = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->area);
	self->alias = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			   self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->alias);
	self->uffd = ut_uffd_open();
	ASSERT_LE(0, self->uffd);
}

FIXTURE_TEARDOWN(minor_only)
{
	if (self->fd < 0)
		return;
	close(self->uffd);
	munmap(self->area, SIZE);
	munmap(self->alias, SIZE);
	close(self->fd);
}

TEST_F(minor_only, modes)
{
	for (__u64 mode = 1; mode < 8; mode++) {
		__u64 ioctls = 0;
		int ret = ut_register(self->uffd, self->area, SIZE, mode,
				      &ioctls);

		if (mode != UFFDIO_REGISTER_MODE_MINOR) {
			EXPECT_EQ(-EINVAL, ret) TH_LOG("mode %llu", mode);
			continue;
		}
		ASSERT_EQ(0, ret);
		EXPECT_EQ((1ULL << _UFFDIO_CONTINUE) | UT_WAKE, ioctls);
		ASSERT_EQ(0, ut_unregister(self->uffd, self->area, SIZE));
	}
}

TEST_F(minor_only, continue_only)
{
	char buf[PAGE] = { 0 };
	struct ut_toucher t;

	self->alias[0] = 'k';
	ASSERT_EQ(0, ut_register(self->uffd, self->area, SIZE,
				 UFFDIO_REGISTER_MODE_MINOR, NULL));
	/* Undeclared ioctls fail, even on a range registered for MINOR */
	EXPECT_EQ(-EINVAL, ut_copy(self->uffd, self->area + PAGE, buf, PAGE, 0));
	EXPECT_EQ(-EINVAL, ut_zeropage(self->uffd, self->area + PAGE, PAGE));
	EXPECT_EQ(-EINVAL, ut_poison(self->uffd, self->area + PAGE, PAGE));

	ASSERT_EQ(0, ut_touch_start(&t, self->area, false, 0));
	expect_fault(_metadata, self->uffd, self->area,
		     UFFD_PAGEFAULT_FLAG_MINOR);
	ASSERT_EQ(0, ut_continue(self->uffd, self->area, PAGE));
	EXPECT_EQ('k', ut_touch_join(&t));
	/* Absent pages are not MINOR faults: the provider allocates them */
	EXPECT_EQ(0, self->area[PAGE]);
}

/* A shared mapping of a new memory object of SIZE bytes; NULL on failure */
static char *module_area(int *fdp)
{
	char *area;

	*fdp = ut_module_mem(UFFD_SAMPLE_DEV, SIZE);
	if (*fdp < 0)
		return NULL;
	area = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, *fdp, 0);
	if (area != MAP_FAILED)
		return area;
	close(*fdp);
	return NULL;
}

/*
 * Memory objects and their mappings pin the module, and their pages are
 * freed with the last of them.
 */
TEST(lifecycle)
{
	long base = ut_nr_pages(UFFD_SAMPLE_NR_PAGES);
	char *area;
	int fd;

	if (base < 0)
		SKIP(return, "uffd_sample is not loaded");
	area = module_area(&fd);
	ASSERT_NE(NULL, area);
	for (int i = 0; i < NPAGES; i++)
		area[i * PAGE] = i;
	EXPECT_EQ(base + NPAGES, ut_nr_pages(UFFD_SAMPLE_NR_PAGES));

	/* The file pins the module */
	EXPECT_EQ(-1, syscall(__NR_delete_module, "uffd_sample", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	/* So does a mapping alone */
	close(fd);
	EXPECT_EQ(-1, syscall(__NR_delete_module, "uffd_sample", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ(base + NPAGES, ut_nr_pages(UFFD_SAMPLE_NR_PAGES));
	EXPECT_EQ(NPAGES - 1, area[(NPAGES - 1) * PAGE]);

	munmap(area, SIZE);
	EXPECT_EQ(base, ut_nr_pages(UFFD_SAMPLE_NR_PAGES));
}

/* Write @val to the sysfs file @path; 0 or -errno */
static int write_long(const char *path, long val)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", val) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/*
 * The pages of the module's memory cannot be reclaimed: only root may open
 * its devices (mode 0600), not a user who could pin memory with them.
 */
TEST(devices_root_only)
{
	const char *devs[] = { UFFD_SAMPLE_DEV, UFFD_SAMPLE_MINOR_DEV };
	struct stat st;
	int status;
	pid_t pid;

	for (int i = 0; i < 2; i++) {
		if (stat(devs[i], &st))
			SKIP(return, "%s: %s", devs[i], strerror(errno));
		EXPECT_EQ(0600, st.st_mode & 07777) TH_LOG("%s", devs[i]);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* nobody: open() must fail with EACCES on both */
		if (setgid(65534) || setuid(65534))
			_exit(2);
		for (int i = 0; i < 2; i++)
			if (open(devs[i], O_RDWR) >= 0 || errno != EACCES)
				_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("an unprivileged user %s the devices",
		       WEXITSTATUS(status) == 2 ? "could not be made to try" :
						 "could open");
}

/*
 * max_pages bounds the pages that the memory objects span together: each
 * reserves its size when it is created, and gives it back when it is gone,
 * so that no fault or fill ever fails for want of room.
 */
TEST(max_pages)
{
	long reserved = ut_nr_pages(UFFD_SAMPLE_RESERVED);
	long old = ut_nr_pages(UFFD_SAMPLE_MAX_PAGES);
	int fd, fd2;

	if (reserved < 0)
		SKIP(return, "uffd_sample is not loaded");
	ASSERT_LE(0, old) TH_LOG("uffd_sample has no max_pages parameter");

	/* Room for one object of NPAGES pages */
	ASSERT_EQ(0, write_long(UFFD_SAMPLE_MAX_PAGES, reserved + NPAGES));
	EXPECT_EQ(-ENOSPC, ut_module_mem(UFFD_SAMPLE_DEV, SIZE + PAGE));
	fd = ut_module_mem(UFFD_SAMPLE_DEV, SIZE);
	EXPECT_LE(0, fd);
	EXPECT_EQ(reserved + NPAGES, ut_nr_pages(UFFD_SAMPLE_RESERVED));
	EXPECT_EQ(-ENOSPC, ut_module_mem(UFFD_SAMPLE_DEV, PAGE));
	/* Gone, it leaves its room to the next */
	close(fd);
	fd2 = ut_module_mem(UFFD_SAMPLE_DEV, SIZE);
	EXPECT_LE(0, fd2);
	close(fd2);
	ASSERT_EQ(0, write_long(UFFD_SAMPLE_MAX_PAGES, old));
	EXPECT_EQ(reserved, ut_nr_pages(UFFD_SAMPLE_RESERVED));
}

/* The size of a memory object is fixed: a fault could race a change */
TEST(fixed_size)
{
	int fd = ut_module_mem(UFFD_SAMPLE_DEV, SIZE);

	if (fd == -ENOENT)
		SKIP(return, UFFD_SAMPLE_DEV " missing: load uffd_sample.ko");
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ftruncate(fd, PAGE));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ftruncate(fd, 2 * SIZE));
	EXPECT_EQ(EPERM, errno);
	close(fd);
}

/*
 * The module's filesystem goes away with its last object, and must find
 * the object's inode then to drop a watch on it: else close() waits for
 * the watch for good, in D state.  The child closes; give it 10 s.
 */
TEST(close_with_inotify_watch)
{
	bool exited = false;
	char path[64];
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = ut_module_mem(UFFD_SAMPLE_DEV, SIZE);
		int in = inotify_init1(IN_CLOEXEC);

		if (in < 0 && errno == ENOSYS)
			_exit(4);
		if (fd < 0 || in < 0)
			_exit(2);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (inotify_add_watch(in, path, IN_ALL_EVENTS) < 0)
			_exit(3);
		close(fd);
		_exit(0);
	}
	for (int i = 0; i < 100 && !exited; i++) {
		exited = waitpid(pid, &status, WNOHANG) == pid;
		if (!exited)
			usleep(100000);
	}
	ASSERT_TRUE(exited && WIFEXITED(status))
		TH_LOG("close() of an object with an inotify watch hung");
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "no inotify in this kernel (CONFIG_INOTIFY_USER)");
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * Pages without backing store must survive drop_caches: dropped, a page
 * would come back as a hole (a MISSING fault, or zeroes).  Only pages that
 * no mapping holds can be dropped, so fault them in and unmap them.
 */
TEST(drop_caches_keeps_pages)
{
	long base = ut_nr_pages(UFFD_SAMPLE_NR_PAGES);
	char *area;
	int fd, dc;

	if (base < 0)
		SKIP(return, "uffd_sample is not loaded");
	dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (dc < 0)
		SKIP(return, "no /proc/sys/vm/drop_caches");
	area = module_area(&fd);
	ASSERT_NE(NULL, area);
	/* Read faults: zeroed pages, never written through a PTE */
	for (int i = 0; i < NPAGES; i++)
		(void)*(volatile char *)(area + i * PAGE);
	munmap(area, SIZE);
	EXPECT_EQ(base + NPAGES, ut_nr_pages(UFFD_SAMPLE_NR_PAGES));
	EXPECT_EQ(1, write(dc, "3", 1));
	close(dc);
	EXPECT_EQ(base + NPAGES, ut_nr_pages(UFFD_SAMPLE_NR_PAGES));
	close(fd);
}

#define HPAGE		(2UL << 20)

/* Map @len bytes of @fd at a huge-page-aligned address; NULL on failure */
static char *map_aligned(int fd, size_t len, int prot)
{
	char *res, *p;

	res = mmap(NULL, len + HPAGE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return NULL;
	p = (char *)(((unsigned long)res + HPAGE - 1) & ~(HPAGE - 1));
	if (mmap(p, len, prot, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
		p = NULL;
	/* Give back what is left of the reservation on both sides */
	if (p != res)
		munmap(res, (p ? p : res + HPAGE) - res);
	if (p)
		munmap(p + len, res + len + HPAGE - (p + len));
	return p;
}

/* The THPeligible field of /proc/self/smaps for the VMA at @addr, or -1 */
static int thp_eligible(void *addr)
{
	unsigned long start, end;
	char line[256];
	bool in = false;
	int val = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in = start == (unsigned long)addr;
		else if (in && sscanf(line, "THPeligible: %d", &val) == 1)
			break;
	}
	fclose(f);
	return val;
}

/*
 * A memory object is open for writing as long as it exists.  Otherwise
 * core mm would take it for a read-only file, whose page cache khugepaged
 * collapses into huge pages (CONFIG_READ_ONLY_THP_FOR_FS, which the debug
 * kernel has): a huge folio would enter the module's cache behind its back.
 * A ramfs file open read-only shows that the kernel collapses such files.
 */
TEST(no_read_only_thp)
{
	char dir[] = "/tmp/uffd-thp-XXXXXX", path[64];
	char *ctl, *area;
	int fd, ctl_eligible;

	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("ramfs", dir, "ramfs", 0, NULL));
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, HPAGE));
	close(fd);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ctl = map_aligned(fd, HPAGE, PROT_READ);
	close(fd);
	ASSERT_NE(NULL, ctl);
	ctl_eligible = thp_eligible(ctl);
	munmap(ctl, HPAGE);
	umount(dir);
	rmdir(dir);
	if (ctl_eligible != 1)
		SKIP(return, "this kernel collapses no read-only file (THPeligible %d)",
		     ctl_eligible);

	fd = ut_module_mem(UFFD_SAMPLE_DEV, HPAGE);
	if (fd == -ENOENT)
		SKIP(return, UFFD_SAMPLE_DEV " missing: load uffd_sample.ko");
	ASSERT_LE(0, fd);
	area = map_aligned(fd, HPAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, area);
	EXPECT_EQ(0, thp_eligible(area));
	munmap(area, HPAGE);
	close(fd);
}

/* Microseconds on the monotonic clock */
static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

struct punch {
	int fd;
	off_t offset;
	volatile bool go;	/* set just before the copy starts */
	long long done_us;	/* when fallocate() returned */
	int ret;
};

static void *punch_fn(void *arg)
{
	struct punch *p = arg;

	while (!p->go)
		;
	usleep(5000);
	p->ret = fallocate(p->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   p->offset, PAGE);
	p->done_us = now_us();
	return NULL;
}

/*
 * Core mm holds the invalidate_lock shared over a whole UFFDIO_COPY, and the
 * module's hole punch takes it exclusive: the punch must get in between two
 * pages of a long copy, not wait for its end.
 */
TEST(copy_lets_hole_punch_in)
{
	const size_t len = 128UL << 20;
	struct punch p = { .offset = len - PAGE };
	long long copy_done_us, copy_us;
	char *area, *src;
	pthread_t thr;
	int uffd;

	p.fd = ut_module_mem(UFFD_SAMPLE_DEV, len);
	if (p.fd == -ENOENT)
		SKIP(return, UFFD_SAMPLE_DEV " missing: load uffd_sample.ko");
	ASSERT_LE(0, p.fd);
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, p.fd, 0);
	ASSERT_NE(MAP_FAILED, area);
	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	uffd = ut_uffd_open();
	ASSERT_LE(0, uffd);
	ASSERT_EQ(0, ut_register(uffd, area, len, UFFDIO_REGISTER_MODE_MISSING,
				 NULL));

	ASSERT_EQ(0, pthread_create(&thr, NULL, punch_fn, &p));
	copy_us = now_us();
	p.go = true;
	ASSERT_EQ(0, ut_copy(uffd, area, src, len, 0));
	copy_done_us = now_us();
	copy_us = copy_done_us - copy_us;
	pthread_join(thr, NULL);

	ASSERT_EQ(0, p.ret);
	/* Too quick a copy proves nothing: make this test larger */
	ASSERT_LT(20000, copy_us) TH_LOG("the copy took only %lld us", copy_us);
	EXPECT_LT(p.done_us, copy_done_us)
		TH_LOG("the punch returned %lld us after the %lld us copy",
		       p.done_us - copy_done_us, copy_us);
	ksft_print_msg("128 MiB UFFDIO_COPY in %lld us, punch done %lld us before its end\n",
		       copy_us, copy_done_us - p.done_us);

	close(uffd);
	munmap(src, len);
	munmap(area, len);
	close(p.fd);
}

TEST_HARNESS_MAIN
