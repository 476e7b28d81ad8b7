/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memory types the compat tests fill: anonymous private memory and
 * shmem (memfd), which stock has, and the reference module's memory.
 * Needs kselftest.h and uffd_sample.h included before.
 */
#ifndef COMPAT_MEM_H
#define COMPAT_MEM_H

enum mtype { ANON, SHMEM, MODULE };

/*
 * @size bytes of memory of type @t, mapped read-write (shared, but for
 * anon), its file in *fd (-1 for anon); @name names the memfd.  NULL if
 * the module is not loaded; any other failure ends the test.
 */
static char *mem_create(enum mtype t, unsigned long size, const char *name,
			int *fd)
{
	int dev, prot = PROT_READ | PROT_WRITE;
	char *p;

	*fd = -1;
	switch (t) {
	case ANON:
		p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
		return p;
	case SHMEM:
		*fd = memfd_create(name, MFD_CLOEXEC);
		if (*fd < 0 || ftruncate(*fd, size))
			ksft_exit_fail_msg("memfd: %s\n", strerror(errno));
		break;
	case MODULE:
		dev = open(UFFD_SAMPLE_DEV, O_RDWR | O_CLOEXEC);
		if (dev < 0)
			return NULL;
		*fd = ioctl(dev, UFFD_SAMPLE_CREATE, size);
		close(dev);
		if (*fd < 0)
			ksft_exit_fail_msg("UFFD_SAMPLE_CREATE: %s\n",
					   strerror(errno));
		break;
	}
	p = mmap(NULL, size, prot, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	return p;
}

#endif /* COMPAT_MEM_H */
