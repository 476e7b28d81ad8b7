// SPDX-License-Identifier: GPL-2.0
/*
 * uffd_sample - a memory provider that supports userfaultfd from a module
 *
 * A driver whose memory userspace can mmap() supports userfaultfd by
 * pointing its vm_operations_struct.userfaultfd_ops at a struct vm_uffd_ops.
 * This sample does the whole job for memory kept in a page cache:
 *
 * - each memory object is a file with an inode of its own, so that its
 *   pages live in a real page cache, which core mm needs to map them as
 *   file pages;
 * - ->fault only maps pages: core mm delivers MISSING and MINOR userfaults
 *   before it calls ->fault, using uffd_get_folio to see what is cached, so
 *   no code of this module sleeps in a userfault;
 * - UFFDIO_COPY and UFFDIO_ZEROPAGE use uffd_pagecache_copy(), which only
 *   asks us to insert the folio it filled (uffd_add_folio);
 * - UFFDIO_CONTINUE asks us to look a folio up (uffd_get_folio);
 * - WP and POISON need a declaration only: core mm does them.
 *
 * /dev/uffd_sample hands out memory with all of that.  /dev/uffd_sample_minor
 * hands out the same memory with a table that declares MINOR only, to show
 * that a partial table works and that the modes it leaves out are refused.
 * Both are for root only (mode 0600), and the max_pages parameter bounds
 * the memory they hand out, which no reclaim can take back.  The user API
 * is in uffd_sample.h.
 *
 * Needs a kernel with vm_uffd_ops (HAVE_VM_UFFD_OPS), which has it only
 * with CONFIG_USERFAULTFD.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/highmem.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sizes.h>
#include <linux/userfaultfd_k.h>

#include "uffd_sample.h"

#ifndef HAVE_VM_UFFD_OPS
#error "uffd_sample needs a kernel with vm_uffd_ops and CONFIG_USERFAULTFD"
#endif

/*
 * Nothing reclaims the pages of a memory object: whoever may open a device
 * pins memory until the object is gone.  Bound what all objects may hold:
 * each reserves its size when it is created, so that no fault or fill of
 * one ever fails for want of room.
 */
static unsigned long max_pages = SZ_512M >> PAGE_SHIFT;
module_param(max_pages, ulong, 0644);
MODULE_PARM_DESC(max_pages, "Most pages all memory objects may span together");

/* Pages reserved by the sizes of all memory objects */
static atomic_long_t uffd_sample_reserved = ATOMIC_LONG_INIT(0);

/* Pages cached by all memory objects: back to 0 once they are all gone */
static atomic_long_t uffd_sample_nr_pages = ATOMIC_LONG_INIT(0);

/*
 * Pages enter a cache in one place, whoever brings them: a fault or
 * UFFDIO_COPY.  Like filemap_add_folio(), which does the work, return the
 * folio locked on success and unlocked and uncached on failure.
 */
static int uffd_sample_add(struct address_space *mapping, struct folio *folio,
			   pgoff_t index)
{
	int ret;

	ret = filemap_add_folio(mapping, folio, index,
				mapping_gfp_mask(mapping));
	if (ret)
		return ret;
	atomic_long_add(folio_nr_pages(folio), &uffd_sample_nr_pages);
	/*
	 * Dirty from the start: a clean page without backing store could be
	 * dropped (drop_caches, invalidation) and come back as a hole.
	 */
	folio_mark_dirty(folio);
	return 0;
}

/* ...and leave it in one place, whatever removes them */
static void uffd_sample_free_folio(struct folio *folio)
{
	atomic_long_sub(folio_nr_pages(folio), &uffd_sample_nr_pages);
}

static const struct address_space_operations uffd_sample_aops = {
	/* There is no backing store: dirty pages are not written anywhere */
	.dirty_folio	= noop_dirty_folio,
	.free_folio	= uffd_sample_free_folio,
};

/* A new, zeroed and uptodate order-0 folio for @mapping */
static struct folio *uffd_sample_alloc(struct address_space *mapping)
{
	struct folio *folio;

	folio = filemap_alloc_folio(mapping_gfp_mask(mapping), 0);
	if (!folio)
		return NULL;
	clear_highpage(folio_page(folio, 0));
	__folio_mark_uptodate(folio);
	return folio;
}

/* Find the folio at @index, or cache a zeroed one; return it locked */
static struct folio *uffd_sample_get_or_alloc(struct address_space *mapping,
					      pgoff_t index)
{
	struct folio *folio;
	int ret;

	do {
		folio = filemap_lock_folio(mapping, index);
		if (!IS_ERR(folio))
			return folio;

		folio = uffd_sample_alloc(mapping);
		if (!folio)
			return ERR_PTR(-ENOMEM);
		ret = uffd_sample_add(mapping, folio, index);
		if (!ret)
			return folio;
		folio_put(folio);
		/* -EEXIST: someone else cached it meanwhile, use theirs */
	} while (ret == -EEXIST);

	return ERR_PTR(ret);
}

static vm_fault_t uffd_sample_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	struct folio *folio;

	/* Like a file, there is nothing to map beyond the end */
	if (vmf->pgoff >= DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE))
		return VM_FAULT_SIGBUS;

	/*
	 * Core mm delivered the MISSING or MINOR userfault already if the
	 * range is registered for one, and found the page absent or cached
	 * accordingly.  If that changed since (a hole punched, a page filled
	 * through another mapping), return without mapping anything: the
	 * access faults again and core mm looks again.
	 */
	folio = filemap_lock_folio(inode->i_mapping, vmf->pgoff);
	if (IS_ERR(folio)) {
		if (userfaultfd_missing(vma))
			return VM_FAULT_NOPAGE;
		folio = uffd_sample_get_or_alloc(inode->i_mapping, vmf->pgoff);
		if (IS_ERR(folio))
			return vmf_error(PTR_ERR(folio));
	} else if (userfaultfd_minor(vma)) {
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_NOPAGE;
	}

	vmf->page = folio_file_page(folio, vmf->pgoff);
	return VM_FAULT_LOCKED;
}

/*
 * vm_uffd_ops.uffd_get_folio: core mm asks what is cached, to tell MISSING
 * from MINOR faults, and UFFDIO_CONTINUE maps it; neither allocates.
 * filemap_lock_folio() returns the folio locked and referenced, as core mm
 * wants it, or -ENOENT.
 */
static int uffd_sample_get_folio(struct inode *inode, pgoff_t pgoff,
				 struct folio **foliop)
{
	struct folio *folio = filemap_lock_folio(inode->i_mapping, pgoff);

	if (IS_ERR(folio))
		return PTR_ERR(folio);
	*foliop = folio;
	return 0;
}

/*
 * vm_uffd_ops.uffd_add_folio: uffd_pagecache_copy() allocated, filled and
 * checked the folio against i_size; cache it where the fault will look.
 * On failure core mm frees it, and nothing is left to undo here, so no
 * uffd_remove_folio is needed: filemap_remove_folio() is the default and
 * ->free_folio keeps the count right.
 */
static int uffd_sample_add_folio(struct vm_area_struct *vma,
				 unsigned long addr, struct folio *folio)
{
	return uffd_sample_add(vma->vm_file->f_mapping, folio,
			       linear_page_index(vma, addr));
}

/* WP keeps the protection of unmapped pages in PTE markers */
#define UFFD_SAMPLE_WP \
	(IS_ENABLED(CONFIG_PTE_MARKER_UFFD_WP) ? VM_UFFD_WP : 0)

static const struct vm_uffd_ops uffd_sample_uffd_ops = {
	.uffd_features	= VM_UFFD_MISSING | VM_UFFD_MINOR | UFFD_SAMPLE_WP,
	.uffd_ioctls	= BIT(_UFFDIO_COPY) | BIT(_UFFDIO_ZEROPAGE) |
			  BIT(_UFFDIO_WRITEPROTECT) |
			  BIT(_UFFDIO_CONTINUE) | BIT(_UFFDIO_POISON),
	.uffd_get_folio	= uffd_sample_get_folio,
	.uffd_copy	= uffd_pagecache_copy,
	.uffd_add_folio	= uffd_sample_add_folio,
};

/*
 * filemap_map_pages() maps cached pages around a fault, and lets faults be
 * handled under the per-VMA lock.  Core mm turns it off where MINOR or WP
 * faults are registered, as those must reach ->fault or the PTE markers.
 */
static const struct vm_operations_struct uffd_sample_vm_ops = {
	.fault		= uffd_sample_fault,
	.map_pages	= filemap_map_pages,
	.userfaultfd_ops = &uffd_sample_uffd_ops,
};

/*
 * A partial table: MINOR faults only, so UFFDIO_CONTINUE only.  Registering
 * MISSING or WP on this memory fails with -EINVAL.
 */
static const struct vm_uffd_ops uffd_sample_minor_uffd_ops = {
	.uffd_features	= VM_UFFD_MINOR,
	.uffd_ioctls	= BIT(_UFFDIO_CONTINUE),
	.uffd_get_folio	= uffd_sample_get_folio,
};

static const struct vm_operations_struct uffd_sample_minor_vm_ops = {
	.fault		= uffd_sample_fault,
	.map_pages	= filemap_map_pages,
	.userfaultfd_ops = &uffd_sample_minor_uffd_ops,
};

/*
 * Punching a hole (fallocate(), or madvise(MADV_REMOVE) on a mapping) frees
 * pages: the next access faults again, which is how userspace can arm
 * MISSING faults anew.  The invalidate_lock, taken exclusive as filesystems
 * do, keeps UFFDIO_COPY (which core mm does under it shared) from caching a
 * page in the hole that the truncation would then miss.  A fault meanwhile
 * may leave a zeroed page in the hole, as an access just after it would.
 */
static long uffd_sample_fallocate(struct file *file, int mode, loff_t offset,
				  loff_t len)
{
	struct inode *inode = file_inode(file);

	if (mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (!PAGE_ALIGNED(offset) || !PAGE_ALIGNED(len))
		return -EINVAL;

	inode_lock(inode);
	filemap_invalidate_lock(inode->i_mapping);
	truncate_pagecache_range(inode, offset, offset + len - 1);
	filemap_invalidate_unlock(inode->i_mapping);
	inode_unlock(inode);
	return 0;
}

static int uffd_sample_mmap(struct file *file, struct vm_area_struct *vma)
{
	/*
	 * Neither VM_IO, VM_PFNMAP, VM_MIXEDMAP nor VM_DONTEXPAND: userfaultfd
	 * refuses such VMAs whatever their vm_uffd_ops say.  The pages are
	 * ordinary page cache pages, mapped by the generic fault code.
	 */
	file_accessed(file);
	vma->vm_ops = file->private_data;
	return 0;
}

/* The size is fixed at creation: a fault checks i_size only before it adds */
static int uffd_sample_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
			       struct iattr *attr)
{
	if (attr->ia_valid & ATTR_SIZE)
		return -EPERM;
	return simple_setattr(idmap, dentry, attr);
}

static const struct inode_operations uffd_sample_iops = {
	.setattr	= uffd_sample_setattr,
};

/*
 * The inodes of memory objects live in a pseudo filesystem of the module's
 * own, as those of secretmem do: never mounted in any namespace, so the
 * only way to an object is the descriptor the device returns.  It is
 * mounted while objects exist, and its superblock holds the module until
 * the last inode is gone: the final fput() frees the inode after it drops
 * the module reference of the file.
 */
#define UFFD_SAMPLE_MAGIC	0x75666673	/* "uffs" */

static struct vfsmount *uffd_sample_mnt;
static int uffd_sample_mnt_count;

static int uffd_sample_init_fs_context(struct fs_context *fc)
{
	if (!init_pseudo(fc, UFFD_SAMPLE_MAGIC))
		return -ENOMEM;
	fc->s_iflags |= SB_I_NOEXEC | SB_I_NODEV;
	return 0;
}

static struct file_system_type uffd_sample_fs = {
	.owner		 = THIS_MODULE,
	.name		 = "uffd_sample",
	.init_fs_context = uffd_sample_init_fs_context,
	.kill_sb	 = kill_anon_super,
};

static int uffd_sample_release(struct inode *inode, struct file *file)
{
	/* The last mapping is gone too, since mappings hold the file */
	truncate_inode_pages_final(file->f_mapping);
	atomic_long_sub(i_size_read(inode) >> PAGE_SHIFT, &uffd_sample_reserved);
	put_write_access(inode);
	/* The file holds the mount until it is freed */
	simple_release_fs(&uffd_sample_mnt, &uffd_sample_mnt_count);
	return 0;
}

static const struct file_operations uffd_sample_mem_fops = {
	/* Each memory object pins the module: rmmod fails while one exists */
	.owner		= THIS_MODULE,
	.mmap		= uffd_sample_mmap,
	.fallocate	= uffd_sample_fallocate,
	.release	= uffd_sample_release,
};

/**
 * uffd_sample_create_fd - create a memory object and a descriptor for it
 * @size: size in bytes, a multiple of the page size
 * @vm_ops: the vm_operations_struct, and so the vm_uffd_ops, of its mappings
 *
 * Return: a new file descriptor, or a negative errno.
 */
static int uffd_sample_create_fd(unsigned long size,
				 const struct vm_operations_struct *vm_ops)
{
	struct address_space *mapping;
	struct inode *inode;
	struct file *file;
	unsigned long pages;
	int fd, ret;

	if (!size || !PAGE_ALIGNED(size) || size > MAX_LFS_FILESIZE)
		return -EINVAL;
	pages = size >> PAGE_SHIFT;
	/* Reserve, then check: racing creations cannot both pass the bound */
	if (pages > READ_ONCE(max_pages))
		return -ENOSPC;
	if (atomic_long_add_return(pages, &uffd_sample_reserved) >
	    READ_ONCE(max_pages)) {
		ret = -ENOSPC;
		goto out_reserved;
	}

	ret = simple_pin_fs(&uffd_sample_fs, &uffd_sample_mnt,
			    &uffd_sample_mnt_count);
	if (ret)
		goto out_reserved;
	/* A fresh inode, and so a page cache, for each object */
	inode = alloc_anon_inode(uffd_sample_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto out_fs;
	}
	/*
	 * On the superblock's list, unlike other anonymous inodes: the
	 * superblock goes away with the last object, and its shutdown must
	 * find the inode to drop the fsnotify marks a user may have set.
	 */
	inode_sb_list_add(inode);
	inode->i_op = &uffd_sample_iops;
	/*
	 * A regular file, so that fallocate() and MADV_REMOVE work, from the
	 * start: nothing sees the inode before it is one.
	 */
	inode->i_mode = S_IFREG | 0600;
	/* Core mm refuses to fill or map pages at or beyond i_size */
	i_size_write(inode, size);

	mapping = inode->i_mapping;
	mapping->a_ops = &uffd_sample_aops;
	/*
	 * Without backing store the pages can neither be reclaimed nor, once
	 * dirty, migrated: keep them off the reclaim lists and out of
	 * movable zones.
	 */
	mapping_set_unevictable(mapping);
	mapping_set_gfp_mask(mapping, GFP_HIGHUSER);

	/*
	 * The object is open for writing as long as it exists, and says so:
	 * core mm then takes it for no read-only file whose page cache
	 * khugepaged may collapse into huge pages behind our accounting.
	 */
	ret = get_write_access(inode);
	if (WARN_ON_ONCE(ret))
		goto out_inode;

	ret = get_unused_fd_flags(O_CLOEXEC);
	if (ret < 0)
		goto out_write;
	fd = ret;

	/*
	 * The last fput() drops a reference to the module that owns the
	 * file's fops, which alloc_file_pseudo() does not take.  The device
	 * file our caller holds pins the module meanwhile.
	 */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, uffd_sample_mnt, KBUILD_MODNAME,
				 O_RDWR, &uffd_sample_mem_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		put_unused_fd(fd);
		ret = PTR_ERR(file);
		goto out_write;
	}
	file->private_data = (void *)vm_ops;

	fd_install(fd, file);
	return fd;

out_write:
	put_write_access(inode);
out_inode:
	iput(inode);
out_fs:
	simple_release_fs(&uffd_sample_mnt, &uffd_sample_mnt_count);
out_reserved:
	atomic_long_sub(pages, &uffd_sample_reserved);
	return ret;
}

#ifndef UFFD_SAMPLE_MEM_ONLY	/* the test module reuses the code above */

/**
 * struct uffd_sample_dev - a device that hands out memory objects
 * @misc: the misc device
 * @vm_ops: the vm_operations_struct of the memory it hands out
 */
struct uffd_sample_dev {
	struct miscdevice misc;
	const struct vm_operations_struct *vm_ops;
};

static long uffd_sample_dev_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	/* misc_open() pointed private_data at our miscdevice */
	struct uffd_sample_dev *dev = container_of(file->private_data,
						   struct uffd_sample_dev,
						   misc);

	if (cmd != UFFD_SAMPLE_CREATE)
		return -ENOTTY;
	return uffd_sample_create_fd(arg, dev->vm_ops);
}

static const struct file_operations uffd_sample_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= uffd_sample_dev_ioctl,
	.compat_ioctl	= uffd_sample_dev_ioctl,
};

/* Pages cached, in the sysfs directory of each device */
static ssize_t nr_pages_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&uffd_sample_nr_pages));
}
static DEVICE_ATTR_RO(nr_pages);

/* How much of max_pages the memory objects reserve */
static ssize_t reserved_pages_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&uffd_sample_reserved));
}
static DEVICE_ATTR_RO(reserved_pages);

static struct attribute *uffd_sample_attrs[] = {
	&dev_attr_nr_pages.attr,
	&dev_attr_reserved_pages.attr,
	NULL
};
ATTRIBUTE_GROUPS(uffd_sample);

static struct uffd_sample_dev uffd_sample_devs[] = {
	{
		.misc = {
			.minor	= MISC_DYNAMIC_MINOR,
			.name	= "uffd_sample",
			.fops	= &uffd_sample_dev_fops,
			.mode	= 0600,
			.groups	= uffd_sample_groups,
		},
		.vm_ops = &uffd_sample_vm_ops,
	},
	{
		.misc = {
			.minor	= MISC_DYNAMIC_MINOR,
			.name	= "uffd_sample_minor",
			.fops	= &uffd_sample_dev_fops,
			.mode	= 0600,
			.groups	= uffd_sample_groups,
		},
		.vm_ops = &uffd_sample_minor_vm_ops,
	},
};

static int __init uffd_sample_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(uffd_sample_devs); i++) {
		ret = misc_register(&uffd_sample_devs[i].misc);
		if (ret)
			goto out_deregister;
	}
	return 0;

out_deregister:
	while (i--)
		misc_deregister(&uffd_sample_devs[i].misc);
	return ret;
}
module_init(uffd_sample_init);

static void __exit uffd_sample_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(uffd_sample_devs); i++)
		misc_deregister(&uffd_sample_devs[i].misc);
}
module_exit(uffd_sample_exit);

MODULE_DESCRIPTION("Sample memory provider supporting userfaultfd");
MODULE_LICENSE("GPL");

#endif /* UFFD_SAMPLE_MEM_ONLY */
