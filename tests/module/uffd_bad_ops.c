// SPDX-License-Identifier: GPL-2.0
/*
 * uffd_bad_ops - memory whose vm_uffd_ops are deliberately malformed
 *
 * Each table below breaks one rule that core mm checks when a range is
 * registered with userfaultfd; UFFDIO_REGISTER must fail with -EINVAL in
 * every mode and log the table once per load of this module.  One more
 * table is good, but its hooks misbehave on request.  The memory itself is
 * that of uffd_sample, built in here, and so are its two good tables,
 * which must keep working next to the broken ones.  uffd_bad_ops.h has the user API.
 */

/* Only the memory object of the sample, not its devices */
#define UFFD_SAMPLE_MEM_ONLY
#include "../../module/uffd_sample.c"

#include "uffd_bad_ops.h"

/* A uffd_alloc_folio that allocates as core mm would without one */
static struct folio *uffd_plain_alloc_folio(struct vm_area_struct *vma,
					    unsigned long addr)
{
	return filemap_alloc_folio(mapping_gfp_mask(vma->vm_file->f_mapping), 0);
}

/* A uffd_copy of the provider's own that uses the page cache helper */
static int uffd_wrap_copy(pmd_t *dst_pmd, struct vm_area_struct *dst_vma,
			  unsigned long dst_addr, unsigned long src_addr,
			  uffd_flags_t flags, struct folio **foliop)
{
	return uffd_pagecache_copy(dst_pmd, dst_vma, dst_addr, src_addr, flags,
				   foliop);
}

static const struct vm_uffd_ops uffd_bad_no_features = {
	.uffd_features	= 0,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_CONTINUE),
	.uffd_get_folio	= uffd_sample_get_folio,
};

/* VM_SHARED is a VMA flag, but no userfault mode */
static const struct vm_uffd_ops uffd_bad_unknown_feature = {
	.uffd_features	= VM_UFFD_MINOR | VM_SHARED,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_CONTINUE),
	.uffd_get_folio	= uffd_sample_get_folio,
};

static const struct vm_uffd_ops uffd_bad_missing_no_copy = {
	.uffd_features	= VM_UFFD_MISSING,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_ZEROPAGE),
	.uffd_get_folio	= uffd_sample_get_folio,
	.uffd_copy	= uffd_pagecache_copy,
	.uffd_add_folio	= uffd_sample_add_folio,
};

static const struct vm_uffd_ops uffd_bad_missing_no_hook = {
	.uffd_features	= VM_UFFD_MISSING,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_COPY),
	.uffd_get_folio	= uffd_sample_get_folio,
};

/* Core mm needs uffd_get_folio to tell a MISSING fault from a MINOR one */
static const struct vm_uffd_ops uffd_bad_missing_no_get_folio = {
	.uffd_features	= VM_UFFD_MISSING,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_COPY),
	.uffd_copy	= uffd_pagecache_copy,
	.uffd_add_folio	= uffd_sample_add_folio,
};

static const struct vm_uffd_ops uffd_bad_minor_no_continue = {
	.uffd_features	= VM_UFFD_MINOR,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_POISON),
	.uffd_get_folio	= uffd_sample_get_folio,
};

static const struct vm_uffd_ops uffd_bad_minor_no_hook = {
	.uffd_features	= VM_UFFD_MINOR,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_CONTINUE),
};

/* _UFFDIO_POISON is the highest range ioctl; bit 20 means nothing */
static const struct vm_uffd_ops uffd_bad_unknown_ioctl = {
	.uffd_features	= VM_UFFD_MINOR,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_CONTINUE) | BIT_ULL(20),
	.uffd_get_folio	= uffd_sample_get_folio,
};

/* UFFDIO_MOVE exists, but only for anonymous memory */
static const struct vm_uffd_ops uffd_bad_move = {
	.uffd_features	= VM_UFFD_MINOR,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_CONTINUE) | BIT_ULL(_UFFDIO_MOVE),
	.uffd_get_folio	= uffd_sample_get_folio,
};

static const struct vm_uffd_ops uffd_bad_wp_no_writeprotect = {
	.uffd_features	= VM_UFFD_WP,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_POISON),
};

static const struct vm_uffd_ops uffd_bad_pagecache_no_add = {
	.uffd_features	= VM_UFFD_MISSING,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_COPY),
	.uffd_get_folio	= uffd_sample_get_folio,
	.uffd_copy	= uffd_pagecache_copy,
};

/* Only uffd_pagecache_copy() calls uffd_alloc_folio, and it needs both */
static const struct vm_uffd_ops uffd_bad_alloc_no_add = {
	.uffd_features	= VM_UFFD_MISSING,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_COPY),
	.uffd_get_folio	= uffd_sample_get_folio,
	.uffd_copy	= uffd_wrap_copy,
	.uffd_alloc_folio = uffd_plain_alloc_folio,
};

/*
 * Declares WP unconditionally, where a real provider would declare it only
 * if IS_ENABLED(CONFIG_PTE_MARKER_UFFD_WP), as uffd_sample does: without the
 * markers, core mm cannot keep the WP bit of a page that is not mapped.
 */
static const struct vm_uffd_ops uffd_wp_only = {
	.uffd_features	= VM_UFFD_WP,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_WRITEPROTECT),
};

/*
 * A module cannot deliver its own userfaults (handle_userfault() is not
 * exported): with this flag its MISSING faults would never be reported.
 */
static const struct vm_uffd_ops uffd_bad_delivers_faults = {
	.uffd_features	= VM_UFFD_MISSING,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_COPY),
	.uffd_delivers_faults = true,
	.uffd_get_folio	= uffd_sample_get_folio,
	.uffd_copy	= uffd_pagecache_copy,
	.uffd_add_folio	= uffd_sample_add_folio,
};

static vm_fault_t uffd_bad_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	return VM_FAULT_FALLBACK;
}

#define UFFD_BAD_VM_OPS(table) \
	{ .fault = uffd_sample_fault, .userfaultfd_ops = (table) }

static const struct vm_operations_struct uffd_bad_vm_ops[] = {
	[UFFD_BAD_NO_FEATURES]	= UFFD_BAD_VM_OPS(&uffd_bad_no_features),
	[UFFD_BAD_UNKNOWN_FEATURE] = UFFD_BAD_VM_OPS(&uffd_bad_unknown_feature),
	[UFFD_BAD_MISSING_NO_COPY] = UFFD_BAD_VM_OPS(&uffd_bad_missing_no_copy),
	[UFFD_BAD_MISSING_NO_HOOK] = UFFD_BAD_VM_OPS(&uffd_bad_missing_no_hook),
	[UFFD_BAD_MISSING_NO_GET_FOLIO] =
		UFFD_BAD_VM_OPS(&uffd_bad_missing_no_get_folio),
	[UFFD_BAD_MINOR_NO_CONTINUE] =
		UFFD_BAD_VM_OPS(&uffd_bad_minor_no_continue),
	[UFFD_BAD_MINOR_NO_HOOK] = UFFD_BAD_VM_OPS(&uffd_bad_minor_no_hook),
	[UFFD_BAD_UNKNOWN_IOCTL] = UFFD_BAD_VM_OPS(&uffd_bad_unknown_ioctl),
	[UFFD_BAD_MOVE]		= UFFD_BAD_VM_OPS(&uffd_bad_move),
	[UFFD_BAD_WP_NO_WRITEPROTECT] =
		UFFD_BAD_VM_OPS(&uffd_bad_wp_no_writeprotect),
	[UFFD_BAD_PAGECACHE_NO_ADD] =
		UFFD_BAD_VM_OPS(&uffd_bad_pagecache_no_add),
	/* userfaults go through ->fault only: huge faults would bypass them */
	[UFFD_BAD_HUGE_FAULT] = {
		.fault		= uffd_sample_fault,
		.huge_fault	= uffd_bad_huge_fault,
		.userfaultfd_ops = &uffd_sample_uffd_ops,
	},
	[UFFD_BAD_DELIVERS_FAULTS] =
		UFFD_BAD_VM_OPS(&uffd_bad_delivers_faults),
	[UFFD_BAD_ALLOC_NO_ADD] = UFFD_BAD_VM_OPS(&uffd_bad_alloc_no_add),
};

static_assert(ARRAY_SIZE(uffd_bad_vm_ops) == UFFD_BAD_NR);

static const struct vm_operations_struct uffd_wp_only_vm_ops =
	UFFD_BAD_VM_OPS(&uffd_wp_only);

/*
 * A good table whose hooks break their contract in the way that
 * UFFD_BAD_OPS_MISBEHAVE last chose: core mm must turn each breach into an
 * errno (a SIGBUS on a fault), never a crash, a loop or a page left cached.
 */
static int uffd_misbehaviour;

static int uffd_misbehave_get_folio(struct inode *inode, pgoff_t pgoff,
				    struct folio **foliop)
{
	struct address_space *mapping = inode->i_mapping;
	struct folio *folio;

	switch (READ_ONCE(uffd_misbehaviour)) {
	case UFFD_GET_UNLOCKED:
		folio = filemap_lock_folio(mapping, pgoff);
		if (IS_ERR(folio))
			return PTR_ERR(folio);
		folio_unlock(folio);
		break;
	case UFFD_GET_NOT_CACHED:
		folio = uffd_sample_alloc(mapping);
		if (!folio)
			return -ENOMEM;
		folio_lock(folio);
		break;
	case UFFD_GET_OTHER_INDEX:
		folio = filemap_lock_folio(mapping, pgoff + 1);
		if (IS_ERR(folio))
			return PTR_ERR(folio);
		break;
	case UFFD_GET_POSITIVE:
		return 1;
	case UFFD_GET_ERR_PTR:
		/* filemap_lock_folio()'s result, passed on unchecked */
		folio = ERR_PTR(-EIO);
		break;
	case UFFD_GET_ERR_WITH_FOLIO:
		/* With an error, *foliop is not read: core mm must not touch it */
		*foliop = (struct folio *)mapping;
		return -EIO;
	default:
		return uffd_sample_get_folio(inode, pgoff, foliop);
	}
	*foliop = folio;
	return 0;
}

static struct folio *uffd_misbehave_alloc_folio(struct vm_area_struct *vma,
						unsigned long addr)
{
	struct address_space *mapping = vma->vm_file->f_mapping;
	struct folio *folio;

	switch (READ_ONCE(uffd_misbehaviour)) {
	case UFFD_ALLOC_NULL:
		return NULL;
	case UFFD_ALLOC_ERR_PTR:
		return ERR_PTR(-ENOSPC);
	case UFFD_ALLOC_LARGE:
		return filemap_alloc_folio(mapping_gfp_mask(mapping), 1);
	case UFFD_ALLOC_CACHED:
		/* Page 0, which the test cached: copying into it would corrupt it */
		folio = filemap_get_folio(mapping, 0);
		return IS_ERR(folio) ? NULL : folio;
	case UFFD_ALLOC_LOCKED:
		folio = filemap_alloc_folio(mapping_gfp_mask(mapping), 0);
		if (folio)
			__folio_set_locked(folio);
		return folio;
	case UFFD_ALLOC_REFERENCED:
		/* As if a pool kept a reference to reuse the page later */
		folio = filemap_alloc_folio(mapping_gfp_mask(mapping), 0);
		if (folio)
			folio_get(folio);
		return folio;
	default:
		return uffd_plain_alloc_folio(vma, addr);
	}
}

static int uffd_misbehave_add_folio(struct vm_area_struct *vma,
				    unsigned long addr, struct folio *folio)
{
	int ret;

	switch (READ_ONCE(uffd_misbehaviour)) {
	case UFFD_ADD_ENOENT:
		return -ENOENT;
	case UFFD_ADD_EAGAIN:
		return -EAGAIN;
	case UFFD_ADD_EEXIST:
		return -EEXIST;
	case UFFD_ADD_ENOMEM:
		return -ENOMEM;
	case UFFD_ADD_POSITIVE:
		return 1;
	case UFFD_ADD_UNLOCKED:
		ret = uffd_sample_add_folio(vma, addr, folio);
		if (!ret)
			folio_unlock(folio);
		return ret;
	default:
		return uffd_sample_add_folio(vma, addr, folio);
	}
}

static int uffd_misbehave_copy(pmd_t *dst_pmd, struct vm_area_struct *dst_vma,
			       unsigned long dst_addr, unsigned long src_addr,
			       uffd_flags_t flags, struct folio **foliop)
{
	struct folio *folio;

	switch (READ_ONCE(uffd_misbehaviour)) {
	case UFFD_COPY_ENOENT_NO_FOLIO:
		return -ENOENT;
	case UFFD_COPY_EIO_WITH_FOLIO:
		if (!*foliop) {
			folio = uffd_sample_alloc(dst_vma->vm_file->f_mapping);
			if (!folio)
				return -ENOMEM;
			*foliop = folio;
		}
		return -EIO;
	case UFFD_COPY_POSITIVE:
		return 1;
	case UFFD_COPY_KEEPS_FOLIO:
		/* Asks for the retry, then never takes the folio */
		if (!*foliop) {
			folio = uffd_sample_alloc(dst_vma->vm_file->f_mapping);
			if (!folio)
				return -ENOMEM;
			*foliop = folio;
		}
		return -ENOENT;
	default:
		return uffd_pagecache_copy(dst_pmd, dst_vma, dst_addr, src_addr,
					   flags, foliop);
	}
}

static const struct vm_uffd_ops uffd_misbehave_ops = {
	.uffd_features	= VM_UFFD_MISSING | VM_UFFD_MINOR,
	.uffd_ioctls	= BIT_ULL(_UFFDIO_COPY) | BIT_ULL(_UFFDIO_ZEROPAGE) |
			  BIT_ULL(_UFFDIO_CONTINUE),
	.uffd_get_folio	= uffd_misbehave_get_folio,
	.uffd_copy	= uffd_misbehave_copy,
	.uffd_alloc_folio = uffd_misbehave_alloc_folio,
	.uffd_add_folio	= uffd_misbehave_add_folio,
};

static const struct vm_operations_struct uffd_misbehave_vm_ops =
	UFFD_BAD_VM_OPS(&uffd_misbehave_ops);

/*
 * Valid as far as registration can tell, since uffd_copy is not
 * uffd_pagecache_copy itself; but the helper needs uffd_add_folio.
 */
static const struct vm_uffd_ops uffd_wrap_no_add_ops = {
	.uffd_features	= VM_UFFD_MISSING,
	.uffd_ioctls	= BIT(_UFFDIO_COPY),
	.uffd_get_folio	= uffd_sample_get_folio,
	.uffd_copy	= uffd_wrap_copy,
};

static const struct vm_operations_struct uffd_wrap_no_add_vm_ops =
	UFFD_BAD_VM_OPS(&uffd_wrap_no_add_ops);

static long uffd_bad_ops_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	const struct vm_operations_struct *vm_ops;

	if (cmd == UFFD_BAD_OPS_MISBEHAVE) {
		if (arg >= UFFD_MISBEHAVIOUR_NR)
			return -EINVAL;
		WRITE_ONCE(uffd_misbehaviour, arg);
		return 0;
	}
	if (cmd != UFFD_BAD_OPS_CREATE)
		return -ENOTTY;

	switch (arg) {
	case 0 ... UFFD_BAD_NR - 1:
		vm_ops = &uffd_bad_vm_ops[arg];
		break;
	case UFFD_GOOD:
		vm_ops = &uffd_sample_vm_ops;
		break;
	case UFFD_GOOD_MINOR:
		vm_ops = &uffd_sample_minor_vm_ops;
		break;
	case UFFD_WP_ONLY:
		vm_ops = &uffd_wp_only_vm_ops;
		break;
	case UFFD_MISBEHAVE:
		vm_ops = &uffd_misbehave_vm_ops;
		break;
	case UFFD_WRAP_NO_ADD:
		vm_ops = &uffd_wrap_no_add_vm_ops;
		break;
	default:
		return -EINVAL;
	}
	return uffd_sample_create_fd(UFFD_BAD_OPS_SIZE, vm_ops);
}

static const struct file_operations uffd_bad_ops_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= uffd_bad_ops_ioctl,
	.compat_ioctl	= uffd_bad_ops_ioctl,
};

/* Pages cached by this module's memory objects, to find leaks */
static ssize_t nr_pages_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&uffd_sample_nr_pages));
}
static DEVICE_ATTR_RO(nr_pages);

static struct attribute *uffd_bad_ops_attrs[] = {
	&dev_attr_nr_pages.attr,
	NULL
};
ATTRIBUTE_GROUPS(uffd_bad_ops);

static struct miscdevice uffd_bad_ops_dev = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "uffd_bad_ops",
	.fops		= &uffd_bad_ops_fops,
	.mode		= 0600,
	.groups		= uffd_bad_ops_groups,
};
module_misc_device(uffd_bad_ops_dev);

MODULE_DESCRIPTION("Test memory provider with malformed vm_uffd_ops");
MODULE_LICENSE("GPL");
