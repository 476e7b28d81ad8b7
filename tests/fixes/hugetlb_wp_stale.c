// SPDX-License-Identifier: GPL-2.0
/*
 * A write to a huge page whose uffd-wp protection outlived the WP
 * registration (the second fix of the series).
 *
 * The range is registered for WP, write-protected, then registered again on
 * the same userfaultfd for MISSING only, which drops WP from the VMA (a mode
 * set that is a subset of the current one would change nothing; the test
 * checks VmFlags in smaps).  Nothing will ever resolve the protection, so the
 * kernel must let the write through: on a kernel without the fix it faults
 * again forever.  The write runs in a child, killed after a time limit; a
 * child that had to be killed fails, with its state and fault count.
 *
 * Cases: shared and private mappings of a hugetlbfs memfd whose page is in
 * the page cache; the page mapped and write-protected (a uffd-wp bit in the
 * PTE), or write-protected unmapped (a uffd-wp PTE marker).
 *
 * usage: hugetlb_wp_stale [-t seconds per case]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "mm/vm_util.h"
#include "task_stat.h"

static unsigned long hpage;	/* the default huge page size */

enum result { DONE, SKIP, FAIL };

static int wp_register(int uffd, char *p, __u64 mode)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)p, .len = hpage }, .mode = mode,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg);
}

/* The uffd VmFlags of the mapping at p in smaps: "um", "uw", "ui", space-separated */
static void uffd_vmflags(char *p, char *out, size_t len)
{
	char line[512], start[32];
	bool ours = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	snprintf(start, sizeof(start), "%lx-", (unsigned long)p);
	out[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, start, strlen(start)))
			ours = true;
		else if (ours && !strncmp(line, "VmFlags:", 8)) {
			char *t = strtok(line + 8, " \n");

			for (; t; t = strtok(NULL, " \n"))
				if (t[0] == 'u' && strlen(out) + 4 < len)
					strcat(strcat(out, " "), t);
			break;
		}
	}
	if (f)
		fclose(f);
}

static int error(const char *what)
{
	ksft_print_msg("%s: %s\n", what, strerror(errno));
	return 1;
}

/*
 * In the child: set up the stale protection, then write.  Exit 0 when the
 * write completed with the right contents, KSFT_SKIP when the kernel has no
 * hugetlbfs or no WP on it, 1 on any other error.
 */
static int child(bool shared, bool mapped)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_writeprotect wp;
	char flags[32];
	int memfd, uffd;
	char *fill, *p;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		return KSFT_SKIP;
	if (!(api.features & UFFD_FEATURE_WP_HUGETLBFS_SHMEM))
		return KSFT_SKIP;
	memfd = memfd_create("hugetlb_wp_stale", MFD_CLOEXEC | MFD_HUGETLB);
	if (memfd < 0)
		return errno == EINVAL || errno == ENOSYS ? KSFT_SKIP : error("memfd_create");
	if (ftruncate(memfd, hpage))
		return error("ftruncate");
	/* The page in the page cache, so that MISSING is not what happens. */
	fill = mmap(NULL, hpage, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (fill == MAP_FAILED)
		return error("mmap (free huge pages?)");
	memset(fill, 'a', hpage);
	munmap(fill, hpage);

	p = mmap(NULL, hpage, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE,
		 memfd, 0);
	if (p == MAP_FAILED)
		return error("mmap");
	if (mapped && *(volatile char *)p != 'a')	/* a read fault: maps it read-only if private */
		return error("contents");

	if (wp_register(uffd, p, UFFDIO_REGISTER_MODE_WP))
		return error("UFFDIO_REGISTER (WP)");
	wp.range.start = (unsigned long)p;
	wp.range.len = hpage;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		return error("UFFDIO_WRITEPROTECT");
	/* Registered again without WP: the protection is now stale. */
	if (wp_register(uffd, p, UFFDIO_REGISTER_MODE_MISSING))
		return error("UFFDIO_REGISTER (MISSING)");
	uffd_vmflags(p, flags, sizeof(flags));
	if (strcmp(flags, " um")) {
		ksft_print_msg("registered again for MISSING, VmFlags has \"%s\"\n", flags);
		return 1;
	}

	p[1] = 'b';
	return p[0] == 'a' && p[1] == 'b' && p[2] == 'a' ? 0 : 1;
}

/* "state S, 1234 minor faults": spinning in faults, or asleep */
static void describe(pid_t pid, char *buf, size_t len)
{
	unsigned long minflt;
	char path[64], state;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	task_stat(path, &state, &minflt);
	snprintf(buf, len, "state %c, %lu minor faults", state, minflt);
}

static enum result run(bool shared, bool mapped, int seconds)
{
	struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
	long ticks = seconds * 100L;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		ksft_exit_fail_perror("fork");
	if (!pid) {
		int rc = child(shared, mapped);

		fflush(stdout);
		_exit(rc);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (ticks-- <= 0) {
			char before[64], after[64];

			describe(pid, before, sizeof(before));
			sleep(1);
			describe(pid, after, sizeof(after));
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ksft_print_msg("the write did not complete in %d s: killed (%s; 1 s later %s)\n",
				       seconds, before, after);
			return FAIL;
		}
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP)
		return SKIP;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return DONE;
	ksft_print_msg("the child failed (status 0x%x)\n", status);
	return FAIL;
}

int main(int argc, char **argv)
{
	int seconds = 10, opt, shared, mapped;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			ksft_exit_fail_msg("usage: %s [-t seconds]\n", argv[0]);
		seconds = atoi(optarg);
	}
	ksft_print_header();
	hpage = default_huge_page_size();
	if (!hpage)
		ksft_exit_skip("no huge pages (no Hugepagesize in /proc/meminfo)\n");
	ksft_set_plan(4);
	for (shared = 1; shared >= 0; shared--) {
		for (mapped = 1; mapped >= 0; mapped--) {
			const char *name = mapped ? "uffd-wp bit" : "uffd-wp marker";
			const char *how = shared ? "shared" : "private";

			switch (run(shared, mapped, seconds)) {
			case DONE:
				ksft_test_result_pass("%s %s: write completes\n", how, name);
				break;
			case SKIP:
				ksft_print_msg("%s %s: no hugetlbfs, or no WP on it\n", how, name);
				ksft_test_result_skip("%s %s: write completes\n", how, name);
				break;
			case FAIL:
				ksft_test_result_fail("%s %s: write completes\n", how, name);
				break;
			}
		}
	}
	ksft_finished();
}
