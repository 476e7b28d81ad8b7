/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uffd_bad_ops: user API of the malformed-provider test module.
 *
 * UFFD_BAD_OPS_CREATE on /dev/uffd_bad_ops creates a memory object of
 * UFFD_BAD_OPS_SIZE bytes whose mappings carry the vm_uffd_ops table
 * number (unsigned long)arg: one deliberately malformed table per rule that
 * core mm checks at UFFDIO_REGISTER, then good ones, then one that is good
 * only if the kernel has CONFIG_PTE_MARKER_UFFD_WP.
 */
#ifndef _UAPI_UFFD_BAD_OPS_H
#define _UAPI_UFFD_BAD_OPS_H

#include <linux/ioctl.h>

#define UFFD_BAD_OPS_DEV	"/dev/uffd_bad_ops"
#define UFFD_BAD_OPS_SIZE	(16 * 4096)
#define UFFD_BAD_OPS_CREATE	_IO(0xB9, 0x20)
/* How the hooks of table UFFD_MISBEHAVE break their contract from now on */
#define UFFD_BAD_OPS_MISBEHAVE	_IO(0xB9, 0x21)

enum uffd_bad_ops_table {
	UFFD_BAD_NO_FEATURES,		/* uffd_features is 0 */
	UFFD_BAD_UNKNOWN_FEATURE,	/* a bit that is no userfault mode */
	UFFD_BAD_MISSING_NO_COPY,	/* MISSING without _UFFDIO_COPY */
	UFFD_BAD_MISSING_NO_HOOK,	/* _UFFDIO_COPY without uffd_copy */
	UFFD_BAD_MISSING_NO_GET_FOLIO,	/* MISSING without uffd_get_folio */
	UFFD_BAD_MINOR_NO_CONTINUE,	/* MINOR without _UFFDIO_CONTINUE */
	UFFD_BAD_MINOR_NO_HOOK,		/* _UFFDIO_CONTINUE, no uffd_get_folio */
	UFFD_BAD_UNKNOWN_IOCTL,		/* an ioctl bit that does not exist */
	UFFD_BAD_MOVE,			/* _UFFDIO_MOVE, anonymous-only */
	UFFD_BAD_WP_NO_WRITEPROTECT,	/* WP without _UFFDIO_WRITEPROTECT */
	UFFD_BAD_PAGECACHE_NO_ADD,	/* uffd_pagecache_copy, no uffd_add_folio */
	UFFD_BAD_HUGE_FAULT,		/* a good table, but ->huge_fault */
	UFFD_BAD_DELIVERS_FAULTS,	/* claims to call handle_userfault() */
	UFFD_BAD_ALLOC_NO_ADD,		/* uffd_alloc_folio, no uffd_add_folio */
	UFFD_BAD_NR,
	/* The module's good tables: those of uffd_sample */
	UFFD_GOOD = UFFD_BAD_NR,	/* MISSING, MINOR and WP */
	UFFD_GOOD_MINOR,		/* MINOR only */
	/* WP only: good with PTE markers, refused without them */
	UFFD_WP_ONLY,
	/* Good, with hooks that misbehave as UFFD_BAD_OPS_MISBEHAVE says */
	UFFD_MISBEHAVE,
	/* Its own uffd_copy calls uffd_pagecache_copy(), no uffd_add_folio */
	UFFD_WRAP_NO_ADD,
	UFFD_BAD_OPS_NR_TABLES,
};

enum uffd_misbehaviour {
	UFFD_BEHAVE,
	UFFD_GET_UNLOCKED,		/* uffd_get_folio: folio not locked */
	UFFD_GET_NOT_CACHED,		/* uffd_get_folio: not in the cache */
	UFFD_GET_OTHER_INDEX,		/* uffd_get_folio: the next page's */
	UFFD_ADD_ENOENT,		/* uffd_add_folio fails so */
	UFFD_ADD_EAGAIN,
	UFFD_ADD_EEXIST,
	UFFD_ADD_ENOMEM,
	UFFD_ADD_UNLOCKED,		/* uffd_add_folio: caches, unlocks */
	UFFD_COPY_ENOENT_NO_FOLIO,	/* uffd_copy: -ENOENT, no folio */
	UFFD_COPY_EIO_WITH_FOLIO,	/* uffd_copy: -EIO, folio left */
	UFFD_GET_POSITIVE,		/* uffd_get_folio returns 1 */
	UFFD_GET_ERR_PTR,		/* uffd_get_folio: 0, ERR_PTR(-EIO) */
	UFFD_GET_ERR_WITH_FOLIO,	/* uffd_get_folio: -EIO, a folio */
	UFFD_ADD_POSITIVE,		/* uffd_add_folio returns 1 */
	UFFD_COPY_POSITIVE,		/* uffd_copy returns 1 */
	UFFD_COPY_KEEPS_FOLIO,		/* uffd_copy: -ENOENT, never takes it */
	UFFD_ALLOC_NULL,		/* uffd_alloc_folio: no memory */
	UFFD_ALLOC_ERR_PTR,		/* uffd_alloc_folio: ERR_PTR(-ENOSPC) */
	UFFD_ALLOC_LARGE,		/* uffd_alloc_folio: an order-1 folio */
	UFFD_ALLOC_CACHED,		/* uffd_alloc_folio: page 0's folio */
	UFFD_ALLOC_LOCKED,		/* uffd_alloc_folio: a new folio, locked */
	UFFD_ALLOC_REFERENCED,		/* uffd_alloc_folio: one more reference */
	UFFD_MISBEHAVIOUR_NR,
};

#endif /* _UAPI_UFFD_BAD_OPS_H */
