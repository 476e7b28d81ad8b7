/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uffd_sample: user API of the reference userfaultfd memory provider.
 *
 * Open one of the devices (root only) and ask it for memory:
 * UFFD_SAMPLE_CREATE returns a new file descriptor for a memory object of
 * the given size, which can be mapped (MAP_SHARED or MAP_PRIVATE) and
 * registered with userfaultfd.  The size is fixed: ftruncate() fails with
 * EPERM.  A page written through a shared mapping
 * that is not registered for MINOR faults is cached for the MINOR faults of
 * the others, as with shmem.
 */
#ifndef _UAPI_UFFD_SAMPLE_H
#define _UAPI_UFFD_SAMPLE_H

#include <linux/ioctl.h>

/* Memory that supports MISSING, MINOR and WP userfaults */
#define UFFD_SAMPLE_DEV		"/dev/uffd_sample"
/* Memory that supports MINOR userfaults only (a partial vm_uffd_ops) */
#define UFFD_SAMPLE_MINOR_DEV	"/dev/uffd_sample_minor"
/* Number of pages cached by all memory objects of the module */
#define UFFD_SAMPLE_NR_PAGES	"/sys/class/misc/uffd_sample/nr_pages"
/* Number of pages the sizes of all memory objects of the module add up to */
#define UFFD_SAMPLE_RESERVED	"/sys/class/misc/uffd_sample/reserved_pages"
/*
 * The most those sizes may add up to (root may change it): past it,
 * UFFD_SAMPLE_CREATE fails with ENOSPC
 */
#define UFFD_SAMPLE_MAX_PAGES	"/sys/module/uffd_sample/parameters/max_pages"

#define UFFD_SAMPLE_IOC_MAGIC	0xB9

/*
 * On a device: create a memory object of (unsigned long)arg bytes, a
 * multiple of the page size.  Returns its file descriptor (O_CLOEXEC).
 */
#define UFFD_SAMPLE_CREATE	_IO(UFFD_SAMPLE_IOC_MAGIC, 0x00)

#endif /* _UAPI_UFFD_SAMPLE_H */
