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
#define XENSIM_OP_COUNT        4

/* Personalities. */
#define XENSIM_STOCK   0          /* Xen 4.17 as released                     */
#define XENSIM_PATCHED 1          /* plus XENMAPSPACE_gmfn_share (space 6)     */

/* Wipe the hypervisor: only dom0 remains (no pages), no faults, all counters
 * zero, occupied-target policy back to Xen's.  Keeps the personality and the
 * IPA size. */
XENSIM_API int xensim_reset(void);

/* 0 = stock, 1 = patched.  -EINVAL for other values. */
XENSIM_API int xensim_set_personality(int patched);
/* Returns 0 or 1 (or a negative errno if the state cannot be set up). */
XENSIM_API int xensim_get_personality(void);

/* Create an empty domain (no pages, max_pages 1<<20, no target).
 * -EEXIST if it exists, -EINVAL if domid >= 0x7FF0, -ENOSPC if 64 exist. */
XENSIM_API int xensim_create_domain(uint32_t domid);

/* Destroy a domain: its p2m is dropped and it vanishes from domain lists at
 * once.  Its pages that other domains still map stay alive (same bytes)
 * until the last such mapping is removed.  Other domains whose target was
 * this domain lose their target.  -ESRCH if missing, -EPERM for dom0. */
XENSIM_API int xensim_destroy_domain(uint32_t domid);

/* Give the domain RAM at gfns [first_gfn, first_gfn+count): fresh zeroed
 * pages.  Atomic: -EEXIST if any gfn is mapped, -EINVAL if a gfn is beyond
 * the IPA size, -ENOMEM if max_pages or the frame pool would be exceeded,
 * -ESRCH if no domain. */
XENSIM_API int xensim_populate(uint32_t domid, uint64_t first_gfn, uint64_t count);

/* Like XEN_DOMCTL_set_target (-ESRCH, -EINVAL if domid == target or a target
 * is already set), except that target 0x7FF4 (DOMID_INVALID) clears it. */
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

/* Drop all pending nth faults and gfn faults. */
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

/* Frames currently allocated in the backing pool (owned or still mapped). */
XENSIM_API uint64_t xensim_frames_in_use(void);

#ifdef __cplusplus
}
#endif

#endif /* XENSIM_H */
