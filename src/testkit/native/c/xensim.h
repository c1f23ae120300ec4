/* SPDX-License-Identifier: Apache-2.0 (xen-sshm test bed; see ../README.md) */
/*
 * xensim - a simulated Xen hypervisor for tests.
 *
 * libxensim.so is LD_PRELOADed into a process that uses the unmodified
 * libxenctrl 4.17.  It emulates /dev/xen/privcmd and /dev/xen/hypercall and
 * implements the few hypercalls the project needs against a simulated
 * hypervisor whose state lives in one MAP_SHARED region (file named by
 * $XENSIM_STATE, else an anonymous shared mapping).  See ../XENSIM.md.
 *
 * This header is the control API.  It is a plain C ABI (ints, 64-bit ints,
 * pointers) so that Java can bind it with FFM.  Unless stated otherwise a
 * function returns 0 on success or a negative errno value.  Every function
 * initialises the simulator lazily and is thread- and process-safe.
 *
 * Define XENSIM_WEAK before including this header to declare the functions as
 * weak symbols; a program can then be linked without libxensim.so and picks
 * the functions up from the preloaded library at run time (a function's
 * address is NULL when the library is not loaded).
 */
#ifndef XENSIM_H
#define XENSIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef XENSIM_WEAK
#define XENSIM_API __attribute__((weak))
#else
#define XENSIM_API __attribute__((visibility("default")))
#endif

/* Address space "gmfn_share" from the never-merged static-shm series. */
#define XENSIM_MAPSPACE_GMFN_SHARE 6

/* Operation codes for xensim_fail_nth() and xensim_op_count(). */
#define XENSIM_OP_ANY          0  /* every IOCTL_PRIVCMD_HYPERCALL ioctl        */
#define XENSIM_OP_ADD_BATCH    1  /* XENMEM_add_to_physmap_batch                */
#define XENSIM_OP_REMOVE       2  /* XENMEM_remove_from_physmap                 */
#define XENSIM_OP_DOMAININFO   3  /* XEN_DOMCTL_getdomaininfo and
                                     XEN_SYSCTL_getdomaininfolist              */
#define XENSIM_OP_MULTICALL    4  /* __HYPERVISOR_multicall (libxenctrl sends
                                     every memory_op as a one-entry multicall) */
#define XENSIM_OP_COUNT        5

/* Personalities (see ../XENSIM.md, "Personalities"). */
#define XENSIM_STOCK        0     /* Xen 4.17 as released: space 6 is ENOSYS   */
#define XENSIM_SERIES       1     /* the static shm series as shipped: a
                                     gmfn_share mapping takes no page reference
                                     but its removal drops one                 */
#define XENSIM_SERIES_FIXED 2     /* the series with gmfn_share keeping its
                                     reference like gmfn_foreign (default)     */

/* Wipe the hypervisor: only dom0 remains (no pages), no faults, all counters
 * zero, no panic, occupied-target policy back to Xen's.  Keeps the
 * personality and the IPA size. */
XENSIM_API int xensim_reset(void);

/* XENSIM_STOCK, XENSIM_SERIES or XENSIM_SERIES_FIXED; -EINVAL otherwise. */
XENSIM_API int xensim_set_personality(int personality);
/* Returns 0..2 (or a negative errno if the state cannot be set up). */
XENSIM_API int xensim_get_personality(void);

/* Create an empty, running domain (no pages, max_pages the whole frame pool
 * (XENSIM_MAX_PAGES; RAM is sparse, so a large region costs little), no target,
 * one vcpu, a p2m pool that grows as needed, a fresh unique handle).
 * -EEXIST if the domid is taken (also by a dying domain), -EINVAL if
 * domid >= 0x7FF0, -ENOSPC if 64 domains exist. */
XENSIM_API int xensim_create_domain(uint32_t domid);

/* Like XEN_DOMCTL_destroydomain: the domain becomes dying (reported with
 * XEN_DOMINF_dying), its p2m is torn down (foreign entries drop their page
 * reference) and the allocation reference of each page it owns is dropped.
 * It stays listed, with tot_pages = its pages still referenced elsewhere,
 * until that is 0 and no other domain holds it as its target; then its
 * domid is free.  0 if already dying, -ESRCH if missing, -EPERM for dom0. */
XENSIM_API int xensim_destroy_domain(uint32_t domid);

/* Mark the domain shut down (XEN_DOMINF_shutdown, code poweroff), as a guest
 * poweroff does before the toolstack destroys it.  -ESRCH, -EPERM for dom0. */
XENSIM_API int xensim_shutdown_domain(uint32_t domid);

/* Pause the domain as the toolstack does (XEN_DOMCTL_pausedomain: one more
 * on its pause count; XEN_DOMINF_paused while above 0), e.g. to build a
 * domain like `xl create -p`; xc_domain_unpause undoes it.  -ESRCH, -EINVAL
 * for dom0, -EOVERFLOW past 255 pauses. */
XENSIM_API int xensim_pause_domain(uint32_t domid);

/* Set the 16-byte handle (the toolstack's UUID) getdomaininfo reports.
 * -ESRCH, -EFAULT for NULL. */
XENSIM_API int xensim_set_handle(uint32_t domid, const uint8_t handle[16]);

/* tot_pages and XEN_DOMINF_* flags as getdomaininfo reports them (either
 * pointer may be NULL).  -ESRCH when the domain does not exist (any more). */
XENSIM_API int xensim_domain_info(uint32_t domid, uint64_t *tot_pages, uint32_t *flags);

/* Xen's reference count of the page mapped at gfn (0 for a dangling entry
 * whose page Xen has already freed), -ENOENT if unmapped, -ESRCH. */
XENSIM_API int64_t xensim_ref_count(uint32_t domid, uint64_t gfn);

/* 1 if the simulated hypervisor has panicked (then every hypercall fails
 * with EIO until xensim_reset()), copying the message into buf (always
 * NUL-terminated when len > 0); 0 if not. */
XENSIM_API int xensim_panicked(char *buf, uint64_t len);

/* Give the domain RAM at gfns [first_gfn, first_gfn+count): fresh zeroed
 * pages.  Atomic: -EEXIST if any gfn is mapped, -EINVAL if a gfn is beyond
 * the IPA size or the domain is dying, -ENOMEM if max_pages, the frame pool
 * or the domain's p2m pool would be exceeded, -ESRCH if no domain. */
XENSIM_API int xensim_populate(uint32_t domid, uint64_t first_gfn, uint64_t count);

/* Like XEN_DOMCTL_set_target (-ESRCH, -EINVAL if domid == target or a target
 * is already set; the target is then held alive until domid goes), except
 * that target 0x7FF4 (DOMID_INVALID) clears it: a test-only helper, Xen
 * cannot clear or change a target. */
XENSIM_API int xensim_set_target(uint32_t domid, uint32_t target);

/* Backing page number (mfn >= 0), -ENOENT if unmapped, -ESRCH if no domain. */
XENSIM_API int64_t xensim_p2m_lookup(uint32_t domid, uint64_t gfn);

/* 1 if the entry maps another domain's page, 0 if own RAM, -ENOENT, -ESRCH. */
XENSIM_API int xensim_p2m_is_foreign(uint32_t domid, uint64_t gfn);

/* Number of mapped gfns (own RAM + foreign) in the domain; 0 if no domain. */
XENSIM_API uint64_t xensim_p2m_count(uint32_t domid);

/* Copy bytes to/from guest physical address gpa of domid through its p2m;
 * may cross pages.  All pages are checked first: -EFAULT (nothing copied) if
 * one is unmapped, -ESRCH if no domain. */
XENSIM_API int xensim_write(uint32_t domid, uint64_t gpa, const void *buf, uint64_t len);
XENSIM_API int xensim_read(uint32_t domid, uint64_t gpa, void *buf, uint64_t len);

/* The nth (1-based, counted from now) hypercall of class op fails as a whole
 * with -err.  One pending fault per op; a new call replaces it.  -EINVAL for
 * a bad op, nth == 0 or err <= 0. */
XENSIM_API int xensim_fail_nth(int op, uint64_t nth, int err);

/* Every add (as target gpfn) or remove of gfn in domid fails with -err for
 * that entry, until xensim_clear_faults()/xensim_reset().  Up to 64 gfns;
 * -ENOSPC beyond, -EINVAL if err <= 0.  Setting the same (domid, gfn) again
 * replaces its errno. */
XENSIM_API int xensim_fail_gfn(uint32_t domid, uint64_t gfn, int err);

/* The nth (1-based, counted from now) hypercall of class op stops the calling
 * process with SIGSTOP once it has run and the hypervisor's state is unlocked:
 * a test can then act while a toolstack is frozen at a known point, and
 * continue it (SIGCONT) or kill it.  One pending stop per op; a new call
 * replaces it.  -EINVAL for a bad op or nth == 0. */
XENSIM_API int xensim_stop_after_nth(int op, uint64_t nth);

/* Drop all pending nth faults, stops and gfn faults. */
XENSIM_API int xensim_clear_faults(void);

/* Hypercalls of class op so far (since the last reset); 0 for a bad op. */
XENSIM_API uint64_t xensim_op_count(int op);

/* ---- additions ---------------------------------------------------------- */

/* Number of add_to_physmap_batch entries that succeeded over an already
 * mapped target gfn (Xen on Arm silently replaces such a mapping). */
XENSIM_API uint64_t xensim_replaced_count(void);

/* 0 (default, like Xen on Arm): an add over a mapped target gfn replaces it.
 * 1 (strict, NOT Xen behaviour): such an entry fails with -EEXIST. */
XENSIM_API int xensim_set_occupied_policy(int strict);

/* max_pages reported by getdomaininfo and enforced by xensim_populate. */
XENSIM_API int xensim_set_max_pages(uint32_t domid, uint64_t max_pages);

/* Guest physical address size (32..48, default 40): gfns at or above
 * 2^(bits-12) cannot be mapped (-EINVAL per entry, like the Arm p2m). */
XENSIM_API int xensim_set_ipa_bits(int bits);

/* Frames Xen counts as allocated (reference count > 0). */
XENSIM_API uint64_t xensim_frames_in_use(void);

#ifdef __cplusplus
}
#endif

#endif /* XENSIM_H */
