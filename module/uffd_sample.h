/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uffd_sample: user API of the reference userfaultfd memory provider.
 *
 * Open one of the devices and ask it for memory: UFFD_SAMPLE_CREATE returns
 * a new file descriptor for a memory object of the given size, which can be
 * mapped (MAP_SHARED or MAP_PRIVATE) and registered with userfaultfd.
 */
#ifndef _UAPI_UFFD_SAMPLE_H
#define _UAPI_UFFD_SAMPLE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Memory that supports MISSING, MINOR and WP userfaults */
#define UFFD_SAMPLE_DEV		"/dev/uffd_sample"
/* Memory that supports MINOR userfaults only (a partial vm_uffd_ops) */
#define UFFD_SAMPLE_MINOR_DEV	"/dev/uffd_sample_minor"
/* Number of pages cached by all memory objects of the module */
#define UFFD_SAMPLE_NR_PAGES	"/sys/module/uffd_sample/parameters/nr_pages"

/**
 * struct uffd_sample_stage - pages to copy into a memory object
 * @offset: page-aligned offset in the memory object
 * @len: page-aligned length
 * @src: user address of @len bytes to copy
 */
struct uffd_sample_stage {
	__u64 offset;
	__u64 len;
	__u64 src;
};

#define UFFD_SAMPLE_IOC_MAGIC	0xB9

/*
 * On a device: create a memory object of (unsigned long)arg bytes, a
 * multiple of the page size.  Returns its file descriptor (O_CLOEXEC).
 */
#define UFFD_SAMPLE_CREATE	_IO(UFFD_SAMPLE_IOC_MAGIC, 0x00)
/*
 * On a memory object: copy pages into its cache without mapping them, so
 * that a later access through a mapping registered for MINOR faults finds
 * them cached.  Pages already cached are overwritten.
 */
#define UFFD_SAMPLE_STAGE	_IOW(UFFD_SAMPLE_IOC_MAGIC, 0x01, \
				     struct uffd_sample_stage)

#endif /* _UAPI_UFFD_SAMPLE_H */
