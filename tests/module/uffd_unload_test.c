// SPDX-License-Identifier: GPL-2.0
/*
 * A provider module unloaded while a thread waits in a userfault on its
 * memory.  Once userspace has unmapped the memory and closed its files,
 * nothing pins the module, and it can go while the fault still sleeps.
 * The kernel must survive the wake-up: the fault must not return into the
 * module's code (core mm delivers the userfaults of vm_uffd_ops memory,
 * not the module's ->fault).
 *
 * Each case runs in a child: it maps uffd_sample memory, registers it, has
 * a thread fault on it, reads the fault, unmaps and closes everything,
 * unloads the module, and only then closes the userfaultfd, which wakes
 * the thread into a VMA that is gone: the child dies of SIGSEGV or SIGBUS.
 * The child tells the parent, through a pipe, that it got that far; the
 * parent loads the module again ($UFFD_SAMPLE_KO, else ./uffd_sample.ko).
 *
 * Needs root, uffd_sample.ko loaded and not in use.
 */
#include "uffd_test_util.h"

#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "../../module/uffd_sample.h"

#define SIZE	(4 * PAGE)

static const char *ko_path = "uffd_sample.ko";

static int module_load(void)
{
	int fd = open(ko_path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static bool module_loaded(void)
{
	return !access("/sys/module/uffd_sample", F_OK);
}

/* What the child writes to the pipe once the module is gone */
#define UNLOADED	'u'

/*
 * The child's part.  Exits with a code saying which step failed; if all
 * worked, it is killed by a signal when the faulting thread wakes up,
 * after it wrote UNLOADED to @report.
 */
static void child(__u64 mode, int report)
{
	struct ut_toucher t;
	struct uffd_msg msg;
	int dev, fd, uffd;
	char *area;

	dev = open(UFFD_SAMPLE_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		_exit(10);
	fd = ioctl(dev, UFFD_SAMPLE_CREATE, SIZE);
	if (fd < 0)
		_exit(11);
	area = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (area == MAP_FAILED)
		_exit(12);
	if (mode == UFFDIO_REGISTER_MODE_MINOR) {
		/* Cache the page before registering: the fault is MINOR */
		area[0] = 'x';
		if (madvise(area, SIZE, MADV_DONTNEED))
			_exit(13);
	}
	uffd = ut_uffd_open();
	if (uffd < 0 || ut_register(uffd, area, SIZE, mode, NULL))
		_exit(14);
	if (ut_touch_start(&t, area, false, 0))
		_exit(15);
	if (ut_read_fault(uffd, &msg))
		_exit(16);
	if (!!(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR) !=
	    (mode == UFFDIO_REGISTER_MODE_MINOR))
		_exit(17);

	/* The thread sleeps in the fault: let go of everything */
	if (munmap(area, SIZE) || close(fd) || close(dev))
		_exit(18);
	if (syscall(__NR_delete_module, "uffd_sample", O_NONBLOCK))
		_exit(19);
	if (module_loaded())
		_exit(20);
	if (write(report, &(char){ UNLOADED }, 1) != 1)
		_exit(22);

	/* Wake the thread: its fault finds no VMA now */
	close(uffd);
	ut_touch_join(&t);
	_exit(21);
}

static void unload_while_faulting(struct __test_metadata *_metadata,
				  __u64 mode)
{
	static const char * const step[] = {
		[10] = "open " UFFD_SAMPLE_DEV, [11] = "create memory",
		[12] = "mmap", [13] = "madvise", [14] = "register",
		[15] = "start the toucher", [16] = "read the fault",
		[17] = "fault of the wrong type", [18] = "unmap and close",
		[19] = "delete_module: module still in use",
		[20] = "module still there after delete_module",
		[21] = "the faulting thread came back",
		[22] = "write to the pipe",
	};
	char reported = 0;
	int status, pipefd[2];
	pid_t pid;

	if (!module_loaded())
		SKIP(return, "uffd_sample not loaded");
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pipefd[0]);
		child(mode, pipefd[1]);
	}
	close(pipefd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (read(pipefd[0], &reported, 1) != 1)
		reported = 0;
	close(pipefd[0]);

	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		EXPECT_TRUE(0) TH_LOG("child failed: %s",
				      code >= 10 && code <= 22 ? step[code] :
				      "unknown");
	} else if (reported != UNLOADED) {
		/* A signal before the unload tested nothing */
		EXPECT_TRUE(0) TH_LOG("child died of signal %d before the unload",
				      WTERMSIG(status));
	} else {
		EXPECT_TRUE(WTERMSIG(status) == SIGSEGV ||
			    WTERMSIG(status) == SIGBUS)
			TH_LOG("child died of signal %d", WTERMSIG(status));
		EXPECT_FALSE(module_loaded());
		ksft_print_msg("module unloaded under a %s fault; the thread got signal %d\n",
			       mode == UFFDIO_REGISTER_MODE_MINOR ? "MINOR" :
			       "MISSING", WTERMSIG(status));
	}
	if (!module_loaded())
		ASSERT_EQ(0, module_load()) TH_LOG("reloading %s", ko_path);
}

TEST(missing)
{
	unload_while_faulting(_metadata, UFFDIO_REGISTER_MODE_MISSING);
}

TEST(minor)
{
	unload_while_faulting(_metadata, UFFDIO_REGISTER_MODE_MINOR);
}

int main(int argc, char **argv)
{
	const char *ko = getenv("UFFD_SAMPLE_KO");

	if (ko)
		ko_path = ko;
	return test_harness_run(argc, argv);
}
