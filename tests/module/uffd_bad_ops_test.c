// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed vm_uffd_ops are refused at UFFDIO_REGISTER with EINVAL in every
 * mode, WP_ASYNC included, and logged once per table and load of the
 * module; no range ioctl reaches their hooks.  Good tables of the same
 * module keep working, and hooks that break their contract give an errno.
 *
 * Needs uffd_bad_ops.ko freshly loaded (each table is logged only the first
 * time it is refused after a load) and root, to read /dev/kmsg.
 */
#include "uffd_test_util.h"

#include "kselftest_harness.h"
#include "uffd_bad_ops.h"

static const struct {
	const char *name;	/* the symbol of the table */
	const char *reason;	/* what the kernel must say */
	__u64 mode;		/* a mode the table declares, if any */
} tables[UFFD_BAD_NR] = {
	[UFFD_BAD_NO_FEATURES] = {
		"uffd_bad_no_features", "no userfault mode in uffd_features",
		UFFDIO_REGISTER_MODE_MINOR },
	[UFFD_BAD_UNKNOWN_FEATURE] = {
		"uffd_bad_unknown_feature", "unknown bits in uffd_features",
		UFFDIO_REGISTER_MODE_MINOR },
	[UFFD_BAD_MISSING_NO_COPY] = {
		"uffd_bad_missing_no_copy", "MISSING without _UFFDIO_COPY",
		UFFDIO_REGISTER_MODE_MISSING },
	[UFFD_BAD_MISSING_NO_HOOK] = {
		"uffd_bad_missing_no_hook",
		"_UFFDIO_COPY or _UFFDIO_ZEROPAGE without uffd_copy",
		UFFDIO_REGISTER_MODE_MISSING },
	[UFFD_BAD_MISSING_NO_GET_FOLIO] = {
		"uffd_bad_missing_no_get_folio",
		"MISSING or MINOR without uffd_get_folio",
		UFFDIO_REGISTER_MODE_MISSING },
	[UFFD_BAD_MINOR_NO_CONTINUE] = {
		"uffd_bad_minor_no_continue", "MINOR without _UFFDIO_CONTINUE",
		UFFDIO_REGISTER_MODE_MINOR },
	[UFFD_BAD_MINOR_NO_HOOK] = {
		"uffd_bad_minor_no_hook",
		"_UFFDIO_CONTINUE without uffd_get_folio",
		UFFDIO_REGISTER_MODE_MINOR },
	[UFFD_BAD_UNKNOWN_IOCTL] = {
		"uffd_bad_unknown_ioctl",
		"unknown or unsupported bits in uffd_ioctls",
		UFFDIO_REGISTER_MODE_MINOR },
	[UFFD_BAD_MOVE] = {
		"uffd_bad_move", "unknown or unsupported bits in uffd_ioctls",
		UFFDIO_REGISTER_MODE_MINOR },
	[UFFD_BAD_WP_NO_WRITEPROTECT] = {
		"uffd_bad_wp_no_writeprotect", "WP without _UFFDIO_WRITEPROTECT",
		UFFDIO_REGISTER_MODE_WP },
	[UFFD_BAD_PAGECACHE_NO_ADD] = {
		"uffd_bad_pagecache_no_add",
		"uffd_pagecache_copy without uffd_add_folio",
		UFFDIO_REGISTER_MODE_MISSING },
	[UFFD_BAD_HUGE_FAULT] = {
		"uffd_sample_uffd_ops", "huge_fault in its vm_operations_struct",
		UFFDIO_REGISTER_MODE_MISSING },
	[UFFD_BAD_DELIVERS_FAULTS] = {
		"uffd_bad_delivers_faults",
		"uffd_delivers_faults set by a module",
		UFFDIO_REGISTER_MODE_MISSING },
	[UFFD_BAD_ALLOC_NO_ADD] = {
		"uffd_bad_alloc_no_add",
		"uffd_alloc_folio without uffd_add_folio",
		UFFDIO_REGISTER_MODE_MISSING },
};

/*
 * Every range ioctl on [@area, +@len), which no registration covers: each
 * must fail, none may reach a hook.  Returns how many succeeded.
 */
static int range_ioctls_succeeding(int uffd, char *area, size_t len)
{
	static char src[PAGE];

	return !ut_copy(uffd, area, src, PAGE, 0) +
	       !ut_zeropage(uffd, area, PAGE) +
	       !ut_continue(uffd, area, PAGE) +
	       !ut_writeprotect(uffd, area, len, true) +
	       !ut_poison(uffd, area, PAGE);
}

/* A memory object of the module carrying table @table, mapped shared */
static char *bad_ops_map(int table, int *fdp)
{
	int dfd = open(UFFD_BAD_OPS_DEV, O_RDWR | O_CLOEXEC);
	char *area;
	int fd;

	if (dfd < 0)
		return NULL;
	fd = ioctl(dfd, UFFD_BAD_OPS_CREATE, table);
	close(dfd);
	if (fd < 0)
		return NULL;
	area = mmap(NULL, UFFD_BAD_OPS_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	if (area == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return area;
}

/* /dev/kmsg, positioned after the last record logged so far */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Count the records since kmsg_open() that contain @needle, and @reason */
static int kmsg_count(int fd, const char *needle, const char *reason,
		      int *with_reason)
{
	char rec[8192];
	ssize_t len;
	int n = 0;

	*with_reason = 0;
	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (len <= 0)
			break;
		rec[len] = 0;
		if (!strstr(rec, needle))
			continue;
		n++;
		if (reason && strstr(rec, reason))
			(*with_reason)++;
	}
	return n;
}

/*
 * Expect table @name to have been refused and logged exactly once since
 * kmsg_open(), with @reason; say so in the test output.
 */
static void expect_logged_once(struct __test_metadata *_metadata, int kmsg,
			       const char *name, const char *reason)
{
	char needle[128];
	int n, with_reason;

	snprintf(needle, sizeof(needle), "refusing vm_uffd_ops %s ", name);
	n = kmsg_count(kmsg, needle, reason, &with_reason);
	EXPECT_EQ(1, n) TH_LOG("%s logged %d times", name, n);
	EXPECT_EQ(1, with_reason) TH_LOG("%s: no \"%s\"", name, reason);
	if (n == 1 && with_reason == 1)
		ksft_print_msg("refused and logged once: %s (%s)\n", name,
			       reason);
}

TEST(malformed_tables)
{
	/* WP_ASYNC needs PTE markers: the nomarker kernel offers none */
	bool wp_async = ut_uffd_features() & UFFD_FEATURE_WP_ASYNC;
	int tried = 0;

	if (access(UFFD_BAD_OPS_DEV, F_OK))
		SKIP(return, UFFD_BAD_OPS_DEV " missing: load uffd_bad_ops.ko");

	for (int i = 0; i < UFFD_BAD_NR; i++) {
		int kmsg, uffd, fd;
		char *area;
		__u64 modes[] = { tables[i].mode, UFFDIO_REGISTER_MODE_MISSING,
				  UFFDIO_REGISTER_MODE_MINOR,
				  UFFDIO_REGISTER_MODE_WP,
				  UFFDIO_REGISTER_MODE_MINOR |
				  UFFDIO_REGISTER_MODE_MISSING |
				  UFFDIO_REGISTER_MODE_WP };

		kmsg = kmsg_open();
		ASSERT_LE(0, kmsg);
		area = bad_ops_map(i, &fd);
		ASSERT_NE(NULL, area);
		uffd = ut_uffd_open();
		ASSERT_LE(0, uffd);

		/* The declared mode twice, then each mode, then all */
		EXPECT_EQ(-EINVAL, ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
					       modes[0], NULL))
			TH_LOG("%s", tables[i].name);
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			EXPECT_EQ(-EINVAL, ut_register(uffd, area,
						       UFFD_BAD_OPS_SIZE,
						       modes[m], NULL))
				TH_LOG("%s, mode %llu", tables[i].name,
				       (unsigned long long)modes[m]);
		}
		EXPECT_EQ(0, range_ioctls_succeeding(uffd, area,
						     UFFD_BAD_OPS_SIZE));
		close(uffd);

		/*
		 * WP_ASYNC registers WP on memory of any kind, but not on
		 * memory whose table is broken: its hooks would be called.
		 */
		if (wp_async) {
			uffd = ut_uffd_open_features(UFFD_FEATURE_WP_ASYNC);
			ASSERT_LE(0, uffd);
			EXPECT_EQ(-EINVAL,
				  ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
					      UFFDIO_REGISTER_MODE_WP, NULL))
				TH_LOG("%s in WP_ASYNC mode", tables[i].name);
			EXPECT_EQ(0, range_ioctls_succeeding(uffd, area,
							UFFD_BAD_OPS_SIZE))
				TH_LOG("%s in WP_ASYNC mode", tables[i].name);
			close(uffd);
		}

		expect_logged_once(_metadata, kmsg, tables[i].name,
				   tables[i].reason);

		munmap(area, UFFD_BAD_OPS_SIZE);
		close(fd);
		close(kmsg);
		tried++;
	}
	ksft_print_msg("%d malformed tables tried%s\n", tried,
		       wp_async ? ", WP_ASYNC included" :
		       "; no WP_ASYNC on this kernel (no PTE markers)");
}

/* The module's good tables work next to the refused ones */
TEST(good_tables)
{
	int kmsg, uffd, fd, with_reason;
	struct ut_toucher t;
	struct uffd_msg msg;
	char *area, *alias;
	char src[PAGE];
	__u64 ioctls = 0;
	bool markers = ut_has_wp_markers();

	if (access(UFFD_BAD_OPS_DEV, F_OK))
		SKIP(return, UFFD_BAD_OPS_DEV " missing: load uffd_bad_ops.ko");
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	uffd = ut_uffd_open();
	ASSERT_LE(0, uffd);

	/* uffd_sample declares WP only where the kernel has PTE markers */
	area = bad_ops_map(UFFD_GOOD, &fd);
	ASSERT_NE(NULL, area);
	if (markers) {
		ASSERT_EQ(0, ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
					 UFFDIO_REGISTER_MODE_MISSING |
					 UFFDIO_REGISTER_MODE_MINOR |
					 UFFDIO_REGISTER_MODE_WP, &ioctls));
		EXPECT_EQ(UT_ALL_IOCTLS | UT_WAKE, ioctls);
	} else {
		EXPECT_EQ(-EINVAL, ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
					       UFFDIO_REGISTER_MODE_WP, NULL));
		ASSERT_EQ(0, ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
					 UFFDIO_REGISTER_MODE_MISSING |
					 UFFDIO_REGISTER_MODE_MINOR, &ioctls));
		EXPECT_EQ((UT_ALL_IOCTLS | UT_WAKE) &
			  ~(1ULL << _UFFDIO_WRITEPROTECT), ioctls);
	}
	memset(src, 'g', PAGE);
	EXPECT_EQ(0, ut_copy(uffd, area, src, PAGE, 0));
	EXPECT_EQ(0, ut_zeropage(uffd, area + PAGE, PAGE));
	EXPECT_EQ('g', area[0]);
	EXPECT_EQ(0, area[PAGE]);
	munmap(area, UFFD_BAD_OPS_SIZE);
	close(fd);

	/* MINOR only: other modes are refused, but the table is not */
	area = bad_ops_map(UFFD_GOOD_MINOR, &fd);
	ASSERT_NE(NULL, area);
	EXPECT_EQ(-EINVAL, ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
				       UFFDIO_REGISTER_MODE_MISSING, NULL));
	ASSERT_EQ(0, ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
				 UFFDIO_REGISTER_MODE_MINOR, &ioctls));
	EXPECT_EQ((1ULL << _UFFDIO_CONTINUE) | UT_WAKE, ioctls);
	/* Stage through a second mapping, fault, continue */
	alias = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, alias);
	alias[0] = 'c';
	ASSERT_EQ(0, ut_touch_start(&t, area, false, 0));
	ASSERT_EQ(0, ut_read_fault(uffd, &msg));
	EXPECT_TRUE(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR);
	ASSERT_EQ(0, ut_continue(uffd, area, PAGE));
	EXPECT_EQ('c', ut_touch_join(&t));
	munmap(alias, PAGE);
	munmap(area, UFFD_BAD_OPS_SIZE);
	close(fd);

	EXPECT_EQ(0, kmsg_count(kmsg, "refusing vm_uffd_ops", NULL,
				&with_reason));
	close(uffd);
	close(kmsg);
}

/*
 * A table declaring WP is refused if the kernel has no PTE markers to keep
 * the WP bit of unmapped pages; with them, the same table is good.
 */
TEST(wp_needs_pte_markers)
{
	const char *reason = "WP without CONFIG_PTE_MARKER_UFFD_WP";
	int kmsg, uffd, fd, with_reason;
	__u64 ioctls = 0;
	char *area;

	if (access(UFFD_BAD_OPS_DEV, F_OK))
		SKIP(return, UFFD_BAD_OPS_DEV " missing: load uffd_bad_ops.ko");
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	uffd = ut_uffd_open();
	ASSERT_LE(0, uffd);
	area = bad_ops_map(UFFD_WP_ONLY, &fd);
	ASSERT_NE(NULL, area);
	area[0] = 'w';

	if (ut_has_wp_markers()) {
		ASSERT_EQ(0, ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
					 UFFDIO_REGISTER_MODE_WP, &ioctls));
		EXPECT_EQ((1ULL << _UFFDIO_WRITEPROTECT) | UT_WAKE, ioctls);
		EXPECT_EQ(0, ut_writeprotect(uffd, area, PAGE, true));
		EXPECT_EQ(0, ut_writeprotect(uffd, area, PAGE, false));
		EXPECT_EQ(0, kmsg_count(kmsg, "refusing vm_uffd_ops", NULL,
					&with_reason));
		ksft_print_msg("PTE markers: uffd_wp_only accepted\n");
	} else {
		for (int i = 0; i < 2; i++)
			EXPECT_EQ(-EINVAL,
				  ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
					      UFFDIO_REGISTER_MODE_WP, NULL));
		expect_logged_once(_metadata, kmsg, "uffd_wp_only", reason);
	}
	munmap(area, UFFD_BAD_OPS_SIZE);
	close(fd);
	close(uffd);
	close(kmsg);
}

static int misbehave(int how)
{
	int dfd = open(UFFD_BAD_OPS_DEV, O_RDWR | O_CLOEXEC);
	int ret;

	if (dfd < 0)
		return -errno;
	ret = ioctl(dfd, UFFD_BAD_OPS_MISBEHAVE, how) ? -errno : 0;
	close(dfd);
	return ret;
}

/*
 * Hooks of a good table that break their contract: each breach gives the
 * ioctl an errno, and a fault a SIGBUS, and where core mm can tell that a
 * result is malformed, the log a line naming the hook; the module's cached
 * pages all go when the memory does.
 */
TEST(misbehaving_hooks)
{
	static const struct {
		int how;
		int ioctl;	/* _UFFDIO_COPY or _UFFDIO_CONTINUE */
		int err;	/* what the ioctl must fail with */
		const char *hook; /* the hook the kernel must name, or NULL */
		const char *log; /* and what it must say of it */
	} cases[] = {
		{ UFFD_GET_UNLOCKED, _UFFDIO_CONTINUE, -EFAULT,
		  "uffd_misbehave_get_folio", "returned a folio that is not locked" },
		{ UFFD_GET_NOT_CACHED, _UFFDIO_CONTINUE, -EFAULT,
		  "uffd_misbehave_get_folio", "returned a folio that is not in the page cache" },
		{ UFFD_GET_OTHER_INDEX, _UFFDIO_CONTINUE, -EFAULT,
		  "uffd_misbehave_get_folio", "returned a folio that is at another index" },
		{ UFFD_ADD_ENOENT, _UFFDIO_COPY, -EFAULT, NULL, NULL },
		{ UFFD_ADD_EAGAIN, _UFFDIO_COPY, -EAGAIN, NULL, NULL },
		{ UFFD_ADD_EEXIST, _UFFDIO_COPY, -EEXIST, NULL, NULL },
		{ UFFD_ADD_ENOMEM, _UFFDIO_COPY, -ENOMEM, NULL, NULL },
		{ UFFD_ADD_UNLOCKED, _UFFDIO_COPY, -EFAULT,
		  "uffd_misbehave_add_folio", "returned a folio that is not locked" },
		{ UFFD_COPY_ENOENT_NO_FOLIO, _UFFDIO_COPY, -EFAULT,
		  "uffd_misbehave_copy", "returned -2 without a folio" },
		{ UFFD_COPY_EIO_WITH_FOLIO, _UFFDIO_COPY, -EIO,
		  "uffd_misbehave_copy", "returned -5 with a folio, leaking it" },
		{ UFFD_GET_POSITIVE, _UFFDIO_CONTINUE, -EFAULT,
		  "uffd_misbehave_get_folio", "returned 1" },
		{ UFFD_GET_ERR_PTR, _UFFDIO_CONTINUE, -EFAULT,
		  "uffd_misbehave_get_folio", "returned 0 and an error pointer for a folio" },
		/* An errno: the pointer left beside it must not be touched */
		{ UFFD_GET_ERR_WITH_FOLIO, _UFFDIO_CONTINUE, -EIO, NULL, NULL },
		{ UFFD_ADD_POSITIVE, _UFFDIO_COPY, -EFAULT,
		  "uffd_misbehave_add_folio", "returned 1" },
		{ UFFD_COPY_POSITIVE, _UFFDIO_COPY, -EFAULT,
		  "uffd_misbehave_copy", "returned 1 without a folio" },
		{ UFFD_COPY_KEEPS_FOLIO, _UFFDIO_COPY, -EFAULT,
		  "uffd_misbehave_copy", "returned -2 on a retry, leaking it" },
		{ UFFD_ALLOC_NULL, _UFFDIO_COPY, -ENOMEM, NULL, NULL },
		{ UFFD_ALLOC_ERR_PTR, _UFFDIO_COPY, -EFAULT,
		  "uffd_misbehave_alloc_folio", "returned an error pointer" },
		{ UFFD_ALLOC_LARGE, _UFFDIO_COPY, -EFAULT,
		  "uffd_misbehave_alloc_folio", "returned a large folio" },
		{ UFFD_ALLOC_CACHED, _UFFDIO_COPY, -EFAULT,
		  "uffd_misbehave_alloc_folio", "returned a folio in use" },
		{ UFFD_ALLOC_LOCKED, _UFFDIO_COPY, -EFAULT,
		  "uffd_misbehave_alloc_folio", "returned a folio with page flags set" },
		{ UFFD_ALLOC_REFERENCED, _UFFDIO_COPY, -EFAULT,
		  "uffd_misbehave_alloc_folio", "returned a folio in use" },
	};
	/* MISBEHAVE_ONLY=<how> tries one case: each may crash a kernel without the checks */
	const char *only = getenv("MISBEHAVE_ONLY");
	char src[PAGE];
	int tried = 0;

	if (access(UFFD_BAD_OPS_DEV, F_OK))
		SKIP(return, UFFD_BAD_OPS_DEV " missing: load uffd_bad_ops.ko");
	memset(src, 'm', PAGE);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int kmsg, uffd, fd, with_reason, ret;
		char *area, *alias;

		if (only && atoi(only) != cases[i].how)
			continue;

		kmsg = kmsg_open();
		ASSERT_LE(0, kmsg);
		area = bad_ops_map(UFFD_MISBEHAVE, &fd);
		ASSERT_NE(NULL, area);
		/* Pages 0 and 1 cached but not mapped in area, for CONTINUE */
		alias = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, alias);
		alias[0] = alias[PAGE] = 'c';
		munmap(alias, 2 * PAGE);

		uffd = ut_uffd_open();
		ASSERT_LE(0, uffd);
		ASSERT_EQ(0, ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
					 UFFDIO_REGISTER_MODE_MISSING |
					 UFFDIO_REGISTER_MODE_MINOR, NULL));
		ASSERT_EQ(0, misbehave(cases[i].how));
		if (cases[i].ioctl == _UFFDIO_CONTINUE) {
			/*
			 * The fault path asks uffd_get_folio() too: a folio it
			 * cannot trust is a SIGBUS, not a fault looping on.
			 */
			EXPECT_TRUE(ut_read_sigbus(area))
				TH_LOG("misbehaviour %d: no SIGBUS on a fault",
				       cases[i].how);
			ret = ut_continue(uffd, area, PAGE);
		} else {
			ret = ut_copy(uffd, area + 4 * PAGE, src, PAGE, 0);
		}
		EXPECT_EQ(cases[i].err, ret)
			TH_LOG("misbehaviour %d", cases[i].how);
		ASSERT_EQ(0, misbehave(UFFD_BEHAVE));
		/* Nothing was copied into the cached folio it was handed */
		if (cases[i].how == UFFD_ALLOC_CACHED) {
			EXPECT_EQ(0, ut_continue(uffd, area, PAGE));
			EXPECT_EQ('c', area[0]);
		}

		/* The memory still works once the hooks behave */
		if (cases[i].ioctl == _UFFDIO_CONTINUE) {
			EXPECT_EQ(0, ut_continue(uffd, area, PAGE));
			EXPECT_EQ('c', area[0]);
		} else if (cases[i].how != UFFD_ADD_UNLOCKED) {
			EXPECT_EQ(0, ut_copy(uffd, area + 4 * PAGE, src, PAGE, 0));
			EXPECT_EQ('m', area[4 * PAGE]);
		} else {
			/* That one cached the page: only the mapping failed */
			EXPECT_EQ(0, ut_continue(uffd, area + 4 * PAGE, PAGE));
			EXPECT_EQ('m', area[4 * PAGE]);
		}

		if (cases[i].hook) {
			/* once per ioctl, and once per fault for lookups */
			int want = cases[i].ioctl == _UFFDIO_CONTINUE ? 2 : 1;

			kmsg_count(kmsg, cases[i].hook, cases[i].log,
				   &with_reason);
			EXPECT_EQ(want, with_reason)
				TH_LOG("\"%s ... %s\" logged %d times",
				       cases[i].hook, cases[i].log, with_reason);
		}
		close(uffd);
		munmap(area, UFFD_BAD_OPS_SIZE);
		close(fd);
		close(kmsg);
		tried++;
	}
	/*
	 * Every page left the module's caches.  That counts cached pages
	 * only: the folios uffd_copy left behind, never cached, are leaked
	 * by design (core mm cannot tell who still holds them).
	 */
	EXPECT_EQ(0, ut_nr_pages("/sys/class/misc/uffd_bad_ops/nr_pages"));
	ksft_print_msg("%d misbehaving hooks tried\n", tried);
	/* A MISBEHAVE_ONLY that names no case must not pass for one */
	EXPECT_NE(0, tried);
}

/*
 * A uffd_copy of the provider's own that calls uffd_pagecache_copy() passes
 * registration without uffd_add_folio; the helper must refuse the fill, not
 * call through NULL.
 */
TEST(pagecache_copy_without_add_folio)
{
	char src[PAGE], *area;
	int kmsg, uffd, fd, with_reason;

	if (access(UFFD_BAD_OPS_DEV, F_OK))
		SKIP(return, UFFD_BAD_OPS_DEV " missing: load uffd_bad_ops.ko");
	memset(src, 'w', PAGE);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	area = bad_ops_map(UFFD_WRAP_NO_ADD, &fd);
	ASSERT_NE(NULL, area);
	uffd = ut_uffd_open();
	ASSERT_LE(0, uffd);
	ASSERT_EQ(0, ut_register(uffd, area, UFFD_BAD_OPS_SIZE,
				 UFFDIO_REGISTER_MODE_MISSING, NULL));
	EXPECT_EQ(-EINVAL, ut_copy(uffd, area, src, PAGE, 0));
	kmsg_count(kmsg, "uffd_wrap_copy",
		   "calls uffd_pagecache_copy() without uffd_add_folio",
		   &with_reason);
	EXPECT_EQ(1, with_reason);
	close(uffd);
	munmap(area, UFFD_BAD_OPS_SIZE);
	close(fd);
	close(kmsg);
}

TEST_HARNESS_MAIN
