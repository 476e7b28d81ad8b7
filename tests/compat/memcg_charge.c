// SPDX-License-Identifier: GPL-2.0
/*
 * To which memcg a UFFDIO_COPY charges the pages it fills.
 *
 * The process that resolves the faults is often not the one whose memory
 * it fills (a monitor that got the userfaultfd from it, as in lazy
 * migration).  Stock 6.12 charges the pages to the memcg of the mm being
 * filled: for anonymous memory and for shmem alike it calls
 * mem_cgroup_charge() with the destination mm, not the resolving task's.
 * Module memory, whose folios uffd_pagecache_copy() allocates and hands to
 * filemap_add_folio(), must be charged the same way (set_active_memcg() of
 * the destination mm), or a monitor would pay for the memory it restores.
 *
 * For each memory type the owner process joins a cgroup "owner", creates
 * 8 MiB, registers it for MISSING faults and forks a filler that joins a
 * cgroup "filler" and fills all of it with UFFDIO_COPY through the
 * inherited userfaultfd.  Then:
 * - owner-charged: memory.current and the memory.stat item of the type
 *   (anon, shmem, or file for module memory) of "owner" grew by the
 *   filled size, within 10%;
 * - filler-not-charged: those of "filler" grew by less than 10% of it;
 * - released: after the filler exits the charge stays with "owner", and
 *   once the memory is unmapped and its file closed "owner" is back
 *   within 10% of the filled size of where it started.
 *
 * Then the same with a filler that shares the owner's mm (clone() with
 * CLONE_VM, a process of its own in "filler"): the mm's owner is still the
 * owner process, so "owner" is charged and "filler" is not, as stock does
 * for anon and shmem.  A kernel that charged the resolving task's memcg
 * rather than the mm's would charge "filler" here.
 *
 * Without arguments: anonymous private memory and shmem (memfd), which
 * stock has.  With --module: memory of the reference provider only
 * (/dev/uffd_sample, uffd_sample.ko of samples/userfaultfd loaded).
 * Needs cgroup v2 at /sys/fs/cgroup with +memory in its subtree_control.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "mm/vm_util.h"
#include "uffd_sample.h"
#include "compat_mem.h"

#define CGROOT		"/sys/fs/cgroup"
#define OWNER		CGROOT "/memcg-charge-owner"
#define FILLER		CGROOT "/memcg-charge-filler"
#define SIZE		(8UL << 20)	/* 2048 pages */
#define CHUNK		(16UL * 4096)	/* the filler's source buffer */

static const struct {
	const char *name;
	const char *stat;	/* the memory.stat item its pages count in */
} types[] = {
	[ANON]		= { "anon", "anon" },
	[SHMEM]		= { "shmem", "shmem" },
	[MODULE]	= { "module", "file" },
};

/* What the owner sees of both cgroups at one moment, in bytes */
struct sample {
	long owner, owner_stat, filler, filler_stat;
};

static pid_t owner_pid;

static long cg_read(const char *cg, const char *file, const char *key)
{
	char path[256], line[256];
	size_t klen = key ? strlen(key) : 0;
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "r");
	if (!f)
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			val = atol(line);
			break;
		}
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			val = atol(line + klen + 1);
			break;
		}
	}
	fclose(f);
	if (val < 0)
		ksft_exit_fail_msg("%s: no %s\n", path, key ? key : "value");
	return val;
}

static void cg_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	close(fd);
}

/* Move the calling process into @cg: "0" stands for the writer */
static void cg_enter(const char *cg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	cg_write(path, "0");
}

static void cg_create(const char *cg)
{
	/* Left over from an interrupted run: start afresh */
	if (rmdir(cg) && errno != ENOENT)
		ksft_exit_fail_msg("rmdir %s: %s\n", cg, strerror(errno));
	if (mkdir(cg, 0755))
		ksft_exit_fail_msg("mkdir %s: %s\n", cg, strerror(errno));
}

static void take(struct sample *s, enum mtype t)
{
	s->owner = cg_read(OWNER, "memory.current", NULL);
	s->owner_stat = cg_read(OWNER, "memory.stat", types[t].stat);
	s->filler = cg_read(FILLER, "memory.current", NULL);
	s->filler_stat = cg_read(FILLER, "memory.stat", types[t].stat);
}

static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		ksft_exit_fail_msg("userfaultfd: %s\n", strerror(errno));
	return uffd;
}

/* The byte page @i is filled with: 1..251, never 0 as a hole reads */
static char pattern(unsigned long i)
{
	return 1 + i % 251;
}

/* Fill [p, p + SIZE) through @uffd from a small buffer; 0 or an errno */
static int fill(int uffd, char *p, char *src)
{
	unsigned long off = 0, done;
	struct uffdio_copy copy;

	while (off < SIZE) {
		for (done = 0; done < CHUNK; done += psize())
			memset(src + done, pattern((off + done) / psize()),
			       psize());
		done = 0;
		while (done < CHUNK) {
			copy = (struct uffdio_copy){
				.dst = (unsigned long)p + off + done,
				.src = (unsigned long)src + done,
				.len = CHUNK - done,
			};
			if (ioctl(uffd, UFFDIO_COPY, &copy) && errno != EAGAIN)
				return errno;
			if (copy.copy > 0)
				done += copy.copy;
		}
		off += CHUNK;
	}
	return 0;
}

static void msg_send(int fd, int v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		ksft_exit_fail_msg("pipe write: %s\n", strerror(errno));
}

static int msg_recv(int fd)
{
	int v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		ksft_exit_fail_msg("the %s is gone\n",
				   getpid() == owner_pid ? "filler" : "owner");
	return v;
}

/* The filler: join FILLER, fill when told, exit when told */
static void __noreturn filler(int uffd, char *p, int in, int out)
{
	char *src;

	cg_enter(FILLER);
	/* Charged before the owner's first sample (with a shared mm, to OWNER) */
	src = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED)
		_exit(1);
	memset(src, 0, CHUNK);
	msg_send(out, 0);		/* ready */
	msg_recv(in);			/* go */
	msg_send(out, fill(uffd, p, src));
	msg_recv(in);			/* exit */
	_exit(0);
}

/* Whether every page of @p holds its pattern; unregistered first */
static bool filled(int uffd, char *p)
{
	unsigned long i;

	if (uffd_unregister(uffd, p, SIZE))
		return false;
	for (i = 0; i < SIZE / psize(); i++)
		if (p[i * psize()] != pattern(i) ||
		    p[(i + 1) * psize() - 1] != pattern(i))
			return false;
	return true;
}

struct filler_args {
	int uffd, in, out, owner_in, owner_out;
	char *p;
};

/* The child's side, after fork() or clone(CLONE_VM): its own fd table either way */
static int filler_start(void *arg)
{
	struct filler_args *a = arg;

	/* The owner's ends: a dead owner must read as EOF here */
	close(a->owner_out);
	close(a->owner_in);
	filler(a->uffd, a->p, a->in, a->out);
}

/* A filler of @p through @uffd in a new process, sharing our mm if @vm */
static pid_t start_filler(bool vm, int uffd, char *p, int to_filler[2],
			  int to_owner[2])
{
	static struct filler_args args;
	static char stack[256 << 10] __attribute__((aligned(16)));
	pid_t pid;

	args = (struct filler_args){ uffd, to_filler[0], to_owner[1],
				     to_owner[0], to_filler[1], p };
	fflush(stdout);
	if (vm)
		return clone(filler_start, stack + sizeof(stack),
			     CLONE_VM | SIGCHLD, &args);
	pid = fork();
	if (!pid)
		filler_start(&args);
	return pid;
}

static void test_type(enum mtype t, bool vm)
{
	char name[64];
	struct sample before, after;
	long exited, released, released_stat, lo = SIZE * 9 / 10,
	     hi = SIZE / 10, kib = 1024;
	int to_filler[2], to_owner[2], uffd, fd, err, status;
	bool ok;
	pid_t pid;
	char *p;

	snprintf(name, sizeof(name), "%s%s", types[t].name,
		 vm ? "-vm-sharing-filler" : "");
	cg_create(OWNER);
	cg_create(FILLER);
	cg_enter(OWNER);

	p = mem_create(t, SIZE, "memcg_charge", &fd);
	if (!p) {
		ksft_test_result_skip("%s-owner-charged: %s: %s (module not loaded?)\n",
				      name, UFFD_SAMPLE_DEV, strerror(errno));
		ksft_test_result_skip("%s-filler-not-charged: no memory\n",
				      name);
		ksft_test_result_skip("%s-released: no memory\n", name);
		goto out;
	}
	uffd = uffd_open();
	if (uffd_register(uffd, p, SIZE, true, false, false))
		ksft_exit_fail_msg("%s: UFFDIO_REGISTER MISSING: %s\n", name,
				   strerror(errno));

	if (pipe(to_filler) || pipe(to_owner))
		ksft_exit_fail_perror("pipe");
	pid = start_filler(vm, uffd, p, to_filler, to_owner);
	if (pid < 0)
		ksft_exit_fail_perror(vm ? "clone" : "fork");
	/* Each side keeps its ends only: a dead peer reads as EOF */
	close(to_filler[0]);
	close(to_owner[1]);

	msg_recv(to_owner[0]);		/* the filler is in FILLER */
	take(&before, t);
	msg_send(to_filler[1], 0);
	err = msg_recv(to_owner[0]);
	take(&after, t);

	ksft_print_msg("%s: fill: %s; owner current %+ld KiB %s %+ld KiB, filler current %+ld KiB %s %+ld KiB (filled %lu KiB)\n",
		       name, err ? strerror(err) : "ok",
		       (after.owner - before.owner) / kib, types[t].stat,
		       (after.owner_stat - before.owner_stat) / kib,
		       (after.filler - before.filler) / kib, types[t].stat,
		       (after.filler_stat - before.filler_stat) / kib,
		       SIZE / 1024);
	ok = !err && filled(uffd, p);
	if (!err && !ok)
		ksft_print_msg("%s: the pages do not hold what was copied\n",
			       name);
	ksft_test_result(ok && after.owner - before.owner >= lo &&
			 after.owner - before.owner <= (long)SIZE + hi &&
			 after.owner_stat - before.owner_stat >= lo &&
			 after.owner_stat - before.owner_stat <= (long)SIZE + hi,
			 "%s-owner-charged\n", name);
	ksft_test_result(ok && after.filler - before.filler < hi &&
			 after.filler_stat - before.filler_stat < hi,
			 "%s-filler-not-charged\n", name);

	msg_send(to_filler[1], 0);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		ksft_exit_fail_msg("%s: the filler failed\n", name);
	exited = cg_read(OWNER, "memory.current", NULL);

	/* The last references: for shmem and module memory the file's */
	munmap(p, SIZE);
	if (fd >= 0)
		close(fd);
	close(uffd);
	released = cg_read(OWNER, "memory.current", NULL);
	released_stat = cg_read(OWNER, "memory.stat", types[t].stat);
	ksft_print_msg("%s: owner current %+ld KiB after the filler exited, %+ld KiB (%s %+ld KiB) after release\n",
		       name, (exited - before.owner) / kib,
		       (released - before.owner) / kib, types[t].stat,
		       (released_stat - before.owner_stat) / kib);
	ksft_test_result(ok && exited - before.owner >= lo &&
			 released - before.owner < hi &&
			 released_stat - before.owner_stat < hi,
			 "%s-released\n", name);

	close(to_filler[1]);
	close(to_owner[0]);
out:
	cg_enter(CGROOT);
	if (rmdir(OWNER) || rmdir(FILLER))
		ksft_exit_fail_msg("rmdir: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	bool module = argc > 1 && !strcmp(argv[1], "--module");
	char ctl[256] = "", *tok, *save;
	bool memcg = false;
	FILE *f;

	ksft_print_header();
	if (argc > 1 && !module)
		ksft_exit_fail_msg("usage: %s [--module]\n", argv[0]);

	f = fopen(CGROOT "/cgroup.subtree_control", "r");
	if (!f)
		ksft_exit_skip("no cgroup v2 at " CGROOT ": %s\n",
			       strerror(errno));
	if (!fgets(ctl, sizeof(ctl), f))
		ctl[0] = '\0';
	fclose(f);
	for (tok = strtok_r(ctl, "\n ", &save); tok;
	     tok = strtok_r(NULL, "\n ", &save))
		memcg |= !strcmp(tok, "memory");
	if (!memcg)
		ksft_exit_skip("no +memory in " CGROOT "/cgroup.subtree_control\n");

	owner_pid = getpid();
	ksft_set_plan(module ? 6 : 12);
	if (module) {
		test_type(MODULE, false);
		test_type(MODULE, true);
	} else {
		test_type(ANON, false);
		test_type(SHMEM, false);
		test_type(ANON, true);
		test_type(SHMEM, true);
	}
	ksft_finished();
}
