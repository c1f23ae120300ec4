/* SPDX-License-Identifier: Apache-2.0 (xen-sshm test bed; see ../README.md) */
/*
 * xensim - simulated Xen hypervisor, loaded with LD_PRELOAD.
 *
 * The unmodified libxenctrl/libxencall/libxenforeignmemory/libxendevicemodel
 * open /dev/xen/privcmd and /dev/xen/hypercall with open(2), issue
 * IOCTL_PRIVCMD_* ioctls on the first and mmap hypercall buffers from the
 * second.  This library interposes open/openat (all variants), close, ioctl,
 * mmap and munmap: the device paths yield a memfd that stands for the device,
 * ioctls on it run the simulated hypervisor, mmaps of the buffer device become
 * anonymous shared memory (remembered until unmapped, see hcbuf_copy).  Everything else is passed to the next definition
 * (dlsym(RTLD_NEXT)), or to the raw system call while that is not resolved.
 *
 * Hypervisor state lives in one MAP_SHARED region so that several processes
 * share one hypervisor; see ../XENSIM.md for the model and the error table.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef __XEN_TOOLS__
#define __XEN_TOOLS__ 1
#endif
#include <xen/xen.h>
#include <xen/memory.h>
#include <xen/version.h>
#include <xen/features.h>
#include <xen/domctl.h>
#include <xen/sysctl.h>
#include <xen/sched.h>
#include <xen/sys/privcmd.h>

#include "xensim.h"

/* ------------------------------------------------------------------------ */
/* Constants                                                                 */

#define XS_PAGE_SHIFT      12
#define XS_PAGE            4096ULL
#define XS_MAGIC           0x3130204d49534e58ULL   /* "XNSIM 01" */
#define XS_LAYOUT          5
#define XS_MAX_DOMS        64
#define XS_MAX_GFN_FAULTS  64
#define XS_DEFAULT_FRAMES  (1ULL << 23)            /* 32 GiB of guest RAM   */
#define XS_DEFAULT_IPA     40
#define XS_RADIX_BITS      9
#define XS_RADIX_LEVELS    4                       /* 36 gfn bits = 48-bit IPA */
#define XS_NODE_ENTRIES    (1u << XS_RADIX_BITS)
#define XS_LEAF_FOREIGN    (1ULL << 63)
#define XS_LEAF_MFN_MASK   (XS_LEAF_FOREIGN - 1)
/* Radix levels whose nodes stand for Xen's L2 and L3 tables, which Arm
 * takes from the domain's p2m pool (the root, with a 40-bit IPA two
 * concatenated level-1 pages, is allocated separately). */
#define XS_POOL_LEVEL      2

/* Not in the installed public headers. */
#define XS_MEMOP_EXTENT_SHIFT 6
#define XS_MEMOP_CMD_MASK     ((1u << XS_MEMOP_EXTENT_SHIFT) - 1)
#define XS_MAPSPACE_GMFN_SHARE XENSIM_MAPSPACE_GMFN_SHARE
#define XS_INVALID_GFN        (~0UL)

#define XS_XEN_MAJOR 4
#define XS_XEN_MINOR 17
#define XS_CAPABILITIES "xen-3.0-aarch64 xen-3.0-armv7l "
#define XS_BUILD_ID_LEN 20

/* Arm 4.17 limits used by XEN_DOMCTL_createdomain. */
#define XS_ARM_MAX_VIRT_CPUS   128     /* arm64 MAX_VIRT_CPUS             */
#define XS_ARM_GIC_NATIVE      0       /* XEN_DOMCTL_CONFIG_GIC_*         */
#define XS_ARM_GIC_V2          1
#define XS_ARM_GIC_V3          2
#define XS_ARM_TEE_NONE        0
#define XS_ARM_MAX_SPIS        (1020 - 32)
#define XS_OPT_MAX_GRANT_FRAMES    64  /* opt_max_grant_frames default    */
#define XS_OPT_MAX_MAPTRACK_FRAMES 1024
#define XS_GNTTAB_MAX_VERSION  1       /* Arm GNTTAB_MAX_VERSION          */
#define XS_P2M_POOL_INITIAL    16      /* p2m_init(): 16 pages             */
#define XS_MAX_ORDER_CTLDOM    12      /* max_order() of the control domain */
#define XS_MAX_PAUSE_COUNT     255

/* Assertions a debug Xen of the series tree hits when a reference is dropped
 * on a page that is already free (see XENSIM.md, "Page references"). */
#define XS_PANIC_GET "Assertion 'fdom != NULL' failed at arch/arm/p2m.c:622"
#define XS_PANIC_PUT "Assertion '(y & PGC_count_mask) >= nr' failed at arch/arm/mm.c:1513"

#define FR_STORED     1u   /* the frame's storage is in use                  */
#define FR_ALLOCATED  2u   /* allocation reference held (PGC_allocated)      */

/* ------------------------------------------------------------------------ */
/* Shared state layout (all references are offsets or indices)              */

struct xs_dom {
    uint32_t used;
    uint16_t domid;
    uint16_t target;         /* DOMID_INVALID if none; holds the target alive */
    uint8_t  dying;          /* destroyed: listed until released             */
    uint8_t  shutdown;       /* XEN_DOMINF_shutdown (code: poweroff)         */
    uint8_t  pool_fixed;     /* p2m pool limited to pool_total               */
    uint8_t  vcpus;          /* online vcpus reported by getdomaininfo       */
    int32_t  pause_count;    /* controller_pause_count                       */
    uint64_t root;           /* p2m root node index + 1; 0 = empty */
    uint64_t tot_pages;      /* pages owned with a reference count > 0 */
    uint64_t max_pages;
    uint64_t p2m_count;      /* mapped gfns (own + foreign) */
    uint64_t foreign_count;  /* mapped gfns that are foreign */
    uint64_t pool_total;     /* p2m pool pages (when pool_fixed) */
    uint64_t pool_used;      /* pool pages holding L2/L3 tables */
    uint8_t  handle[16];
};

struct xs_gfn_fault {
    uint32_t used;
    uint32_t domid;
    int32_t  err;
    int32_t  pad;
    uint64_t gfn;
};

struct xs_frame {
    uint32_t refs;           /* Xen's reference count (count_info)          */
    uint32_t maps;           /* p2m entries of any domain pointing here     */
    uint16_t owner;
    uint16_t flags;          /* FR_*                                         */
    uint32_t next;           /* free list: next free mfn + 1                 */
};

struct xs_hdr {
    uint64_t magic;
    uint32_t layout;
    uint32_t hdr_size;
    uint64_t total_size;
    uint64_t max_frames;
    uint64_t max_nodes;
    uint64_t off_frames;
    uint64_t off_nodes;
    uint64_t off_data;

    pthread_mutex_t lock;

    int32_t  personality;
    int32_t  ipa_bits;
    int32_t  strict_occupied;
    int32_t  n_gfn_faults;

    uint64_t frame_hwm;      /* frames [0, hwm) have been handed out once */
    uint64_t frame_free;     /* free list head: mfn + 1, 0 = empty */
    uint64_t frames_in_use;  /* frames with a reference count > 0 */
    uint64_t frames_stored;  /* frames whose storage is in use */
    uint64_t pool_pages;     /* pages in fixed p2m pools (taken from the host) */
    uint64_t node_hwm;
    uint64_t node_free;      /* free list head: node + 1 */

    uint64_t op_count[XENSIM_OP_COUNT];
    uint64_t fail_at[XENSIM_OP_COUNT];   /* 0 = no pending fault */
    int32_t  fail_err[XENSIM_OP_COUNT];
    uint64_t stop_at[XENSIM_OP_COUNT];   /* 0 = no pending stop */
    uint64_t replaced;

    uint64_t handle_counter; /* never reset: handles differ across resets too */
    uint32_t domid_rover;    /* XEN_DOMCTL_createdomain's rover */
    int32_t  panicked;
    char     panic_msg[256];

    struct xs_gfn_fault gfn_faults[XS_MAX_GFN_FAULTS];
    struct xs_dom doms[XS_MAX_DOMS];
};

static struct xs_hdr *H;      /* set while attaching */
/* Set by count_op() when this thread's hypercall is to stop the process once it has run. */
static __thread int stop_pending;
static char *BASE;            /* == (char *)H */
static int xs_ready;          /* published (release) once H is usable */
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------------ */
/* Real functions                                                            */

typedef int   (*open_fn)(const char *, int, ...);
typedef int   (*openat_fn)(int, const char *, int, ...);
typedef int   (*open2_fn)(const char *, int);
typedef int   (*openat2_fn)(int, const char *, int);
typedef int   (*close_fn)(int);
typedef int   (*ioctl_fn)(int, unsigned long, ...);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int   (*munmap_fn)(void *, size_t);

static open_fn    real_open, real_open64;
static openat_fn  real_openat, real_openat64;
static open2_fn   real_open_2, real_open64_2;
static openat2_fn real_openat_2, real_openat64_2;
static close_fn   real_close;
static ioctl_fn   real_ioctl;
static mmap_fn    real_mmap, real_mmap64;
static munmap_fn  real_munmap;

static pthread_mutex_t emu_lock;
static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);

__attribute__((constructor))
static void xs_resolve(void)
{
    /* Keep the process-local locks consistent across fork(). */
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);

    /* dlsym does not open files or map memory through the PLT, so this
     * cannot recurse into us; until it is done the wrappers use syscalls. */
    real_open       = (open_fn)dlsym(RTLD_NEXT, "open");
    real_open64     = (open_fn)dlsym(RTLD_NEXT, "open64");
    real_openat     = (openat_fn)dlsym(RTLD_NEXT, "openat");
    real_openat64   = (openat_fn)dlsym(RTLD_NEXT, "openat64");
    real_open_2     = (open2_fn)dlsym(RTLD_NEXT, "__open_2");
    real_open64_2   = (open2_fn)dlsym(RTLD_NEXT, "__open64_2");
    real_openat_2   = (openat2_fn)dlsym(RTLD_NEXT, "__openat_2");
    real_openat64_2 = (openat2_fn)dlsym(RTLD_NEXT, "__openat64_2");
    real_close      = (close_fn)dlsym(RTLD_NEXT, "close");
    real_ioctl      = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
    real_mmap       = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
    real_mmap64     = (mmap_fn)dlsym(RTLD_NEXT, "mmap64");
    real_munmap     = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
}

static int sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

static int sys_close(int fd)
{
    close_fn f = real_close;
    return f ? f(fd) : (int)syscall(SYS_close, fd);
}

static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    mmap_fn f = real_mmap;
    if (f)
        return f(addr, len, prot, flags, fd, off);
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* ------------------------------------------------------------------------ */
/* Emulated device file descriptors                                          */

enum { KIND_NONE = 0, KIND_PRIVCMD = 1, KIND_HCBUF = 2 };

#define FD_TABLE_SIZE (1u << 20)
#define MAX_EMU_FDS   256

static unsigned char fd_kind[FD_TABLE_SIZE];   /* fast negative test */

struct emu_fd {
    int      fd;                  /* -1 = slot free */
    int      kind;
    dev_t    dev;
    ino_t    ino;
    uint32_t restrict_dom;        /* IOCTL_PRIVCMD_RESTRICT, DOMID_INVALID */
};

static struct emu_fd emu_fds[MAX_EMU_FDS];
static int emu_fds_init;
static pthread_mutex_t emu_lock = PTHREAD_MUTEX_INITIALIZER;

/* The buffers mapped from the emulated /dev/xen/hypercall, while they are
 * mapped.  A hypercall argument inside one is copied with memcpy, as Xen
 * copies guest memory; any other address goes through process_vm_readv,
 * which answers EFAULT for unmapped memory but costs a system call per copy:
 * several per entry of a multicall, a cost no hypervisor has, which would
 * hide what batching saves.  A full table only means slower copies. */
#define MAX_HCBUFS 1024

struct hcbuf {
    uintptr_t start, end;
};

static struct hcbuf hcbufs[MAX_HCBUFS];
static int n_hcbufs;              /* entries in use, at the front */
static pthread_mutex_t hcbuf_lock = PTHREAD_MUTEX_INITIALIZER;

static void atfork_prepare(void)
{
    pthread_mutex_lock(&attach_lock);
    pthread_mutex_lock(&emu_lock);
    pthread_mutex_lock(&hcbuf_lock);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&hcbuf_lock);
    pthread_mutex_unlock(&emu_lock);
    pthread_mutex_unlock(&attach_lock);
}

static void atfork_child(void)
{
    pthread_mutex_unlock(&hcbuf_lock);
    pthread_mutex_unlock(&emu_lock);
    pthread_mutex_unlock(&attach_lock);
}

static void hcbuf_add(void *p, size_t len)
{
    pthread_mutex_lock(&hcbuf_lock);
    if (n_hcbufs < MAX_HCBUFS) {
        hcbufs[n_hcbufs].start = (uintptr_t)p;
        hcbufs[n_hcbufs].end = (uintptr_t)p + len;
        __atomic_store_n(&n_hcbufs, n_hcbufs + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&hcbuf_lock);
}

/* Forgets every buffer that [p, p + len) touches, before that memory goes. */
static void hcbuf_forget(void *p, size_t len)
{
    if (!__atomic_load_n(&n_hcbufs, __ATOMIC_ACQUIRE))
        return;
    uintptr_t start = (uintptr_t)p, end = start + len;
    pthread_mutex_lock(&hcbuf_lock);
    for (int i = 0; i < n_hcbufs;) {
        if (hcbufs[i].start < end && start < hcbufs[i].end) {
            hcbufs[i] = hcbufs[n_hcbufs - 1];
            __atomic_store_n(&n_hcbufs, n_hcbufs - 1, __ATOMIC_RELEASE);
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&hcbuf_lock);
}

/* Copies with memcpy when [remote, remote + len) lies in one buffer: 1 if it
 * did, 0 if the caller must copy.  The lock keeps the buffer mapped until the
 * copy is done. */
static int hcbuf_copy(void *local, uint64_t remote, size_t len, int write)
{
    if (!__atomic_load_n(&n_hcbufs, __ATOMIC_ACQUIRE))
        return 0;
    int done = 0;
    pthread_mutex_lock(&hcbuf_lock);
    for (int i = 0; i < n_hcbufs; i++) {
        if (hcbufs[i].start <= remote && remote + len <= hcbufs[i].end) {
            if (write)
                memcpy((void *)(uintptr_t)remote, local, len);
            else
                memcpy(local, (const void *)(uintptr_t)remote, len);
            done = 1;
            break;
        }
    }
    pthread_mutex_unlock(&hcbuf_lock);
    return done;
}

static inline int fd_maybe_emulated(int fd)
{
    return fd >= 0 && (unsigned)fd < FD_TABLE_SIZE &&
           __atomic_load_n(&fd_kind[fd], __ATOMIC_RELAXED) != KIND_NONE;
}

static void emu_init_locked(void)
{
    if (!emu_fds_init) {
        for (int i = 0; i < MAX_EMU_FDS; i++)
            emu_fds[i].fd = -1;
        emu_fds_init = 1;
    }
}

static struct emu_fd *emu_find_locked(int fd)
{
    emu_init_locked();
    for (int i = 0; i < MAX_EMU_FDS; i++)
        if (emu_fds[i].fd == fd)
            return &emu_fds[i];
    return NULL;
}

static void emu_drop_locked(int fd)
{
    struct emu_fd *e = emu_find_locked(fd);
    if (e)
        e->fd = -1;
    if (fd >= 0 && (unsigned)fd < FD_TABLE_SIZE)
        __atomic_store_n(&fd_kind[fd], KIND_NONE, __ATOMIC_RELAXED);
}

/* The kind of an emulated fd, after checking that the descriptor still
 * refers to the memfd we created (it may have been closed behind our back,
 * e.g. by close_range, and reused). */
static int emu_check(int fd, uint32_t *restrict_dom)
{
    struct stat st;
    int kind = KIND_NONE;

    pthread_mutex_lock(&emu_lock);
    struct emu_fd *e = emu_find_locked(fd);
    if (e && fstat(fd, &st) == 0 && st.st_dev == e->dev && st.st_ino == e->ino) {
        kind = e->kind;
        if (restrict_dom)
            *restrict_dom = e->restrict_dom;
    } else {
        emu_drop_locked(fd);
    }
    pthread_mutex_unlock(&emu_lock);
    return kind;
}

static void note_real_fd(int fd)
{
    if (fd_maybe_emulated(fd)) {
        pthread_mutex_lock(&emu_lock);
        emu_drop_locked(fd);
        pthread_mutex_unlock(&emu_lock);
    }
}

static int xs_attach(void);

static int emu_open(int kind, int flags)
{
    int rc = xs_attach();
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    int fd = memfd_create(kind == KIND_PRIVCMD ? "xensim-privcmd" : "xensim-hypercall",
                          (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || (unsigned)fd >= FD_TABLE_SIZE) {
        sys_close(fd);
        errno = EMFILE;
        return -1;
    }
    pthread_mutex_lock(&emu_lock);
    struct emu_fd *e = emu_find_locked(fd);      /* stale entry for this fd? */
    if (!e)
        e = emu_find_locked(-1);
    if (!e) {
        pthread_mutex_unlock(&emu_lock);
        sys_close(fd);
        errno = EMFILE;
        return -1;
    }
    e->fd = fd;
    e->kind = kind;
    e->dev = st.st_dev;
    e->ino = st.st_ino;
    e->restrict_dom = DOMID_INVALID;
    __atomic_store_n(&fd_kind[fd], (unsigned char)kind, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&emu_lock);
    return fd;
}

static int emu_path_kind(const char *p)
{
    if (!p || p[0] != '/')
        return KIND_NONE;
    if (p[1] == 'd') {
        if (strcmp(p, "/dev/xen/privcmd") == 0)
            return KIND_PRIVCMD;
        if (strcmp(p, "/dev/xen/hypercall") == 0)
            return KIND_HCBUF;
    } else if (p[1] == 'p') {
        if (strcmp(p, "/proc/xen/privcmd") == 0)
            return KIND_PRIVCMD;
    }
    return KIND_NONE;
}

/* ------------------------------------------------------------------------ */
/* State attach / init                                                       */

static uint64_t round_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static void geometry(struct xs_hdr *g, uint64_t frames)
{
    g->max_frames = frames;
    g->max_nodes  = frames / 64 + 4096;
    g->hdr_size   = (uint32_t)sizeof(struct xs_hdr);
    g->off_frames = round_up(sizeof(struct xs_hdr), XS_PAGE);
    g->off_nodes  = round_up(g->off_frames + frames * sizeof(struct xs_frame), 1ULL << 21);
    g->off_data   = round_up(g->off_nodes + g->max_nodes * XS_PAGE, 1ULL << 21);
    g->total_size = g->off_data + frames * XS_PAGE;
}

static struct xs_frame *FR(uint64_t mfn)
{
    return (struct xs_frame *)(BASE + H->off_frames) + mfn;
}

static uint64_t *NODE(uint64_t idx)
{
    return (uint64_t *)(BASE + H->off_nodes + idx * XS_PAGE);
}

static char *PAGE(uint64_t mfn)
{
    return BASE + H->off_data + mfn * XS_PAGE;
}

/* Give memory back: zero-fill on next touch, no longer resident. */
static void punch(uint64_t off, uint64_t len)
{
    if (!len)
        return;
    if (madvise(BASE + off, len, MADV_REMOVE) != 0)
        memset(BASE + off, 0, len);
}

static void reset_locked(void)
{
    punch(H->off_data, H->frame_hwm * XS_PAGE);
    punch(H->off_nodes, H->node_hwm * XS_PAGE);
    punch(H->off_frames, round_up(H->frame_hwm * sizeof(struct xs_frame), XS_PAGE));
    H->strict_occupied = 0;
    H->n_gfn_faults = 0;
    H->frame_hwm = H->frame_free = H->frames_in_use = H->frames_stored = 0;
    H->pool_pages = 0;
    H->node_hwm = H->node_free = 0;
    memset(H->op_count, 0, sizeof(H->op_count));
    memset(H->fail_at, 0, sizeof(H->fail_at));
    memset(H->fail_err, 0, sizeof(H->fail_err));
    memset(H->stop_at, 0, sizeof(H->stop_at));
    H->replaced = 0;
    H->domid_rover = 0;
    H->panicked = 0;
    memset(H->panic_msg, 0, sizeof(H->panic_msg));
    memset(H->gfn_faults, 0, sizeof(H->gfn_faults));
    memset(H->doms, 0, sizeof(H->doms));
    H->doms[0].used = 1;
    H->doms[0].domid = 0;
    H->doms[0].target = DOMID_INVALID;
    H->doms[0].max_pages = H->max_frames;
    H->doms[0].vcpus = 1;
}

static int env_personality(void)
{
    const char *p = getenv("XENSIM_PERSONALITY");
    if (!p || !*p)
        return -1;
    if (strcmp(p, "stock") == 0 || strcmp(p, "0") == 0)
        return XENSIM_STOCK;
    if (strcmp(p, "series") == 0 || strcmp(p, "1") == 0)
        return XENSIM_SERIES;
    /* "patched" is the old name of the behaviour that series-fixed has. */
    if (strcmp(p, "series-fixed") == 0 || strcmp(p, "2") == 0 || strcmp(p, "patched") == 0)
        return XENSIM_SERIES_FIXED;
    fprintf(stderr, "xensim: ignoring XENSIM_PERSONALITY=%s (want stock|series|series-fixed)\n", p);
    return -1;
}

static int init_fresh(struct xs_hdr *h)
{
    pthread_mutexattr_t a;
    int pers = env_personality();

    /* The region is fresh (all zero). */
    H = h;
    BASE = (char *)h;
    h->layout = XS_LAYOUT;
    h->personality = pers < 0 ? XENSIM_SERIES_FIXED : pers;
    h->ipa_bits = XS_DEFAULT_IPA;
    if (pthread_mutexattr_init(&a) ||
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) ||
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) ||
        pthread_mutex_init(&h->lock, &a))
        return -EIO;
    pthread_mutexattr_destroy(&a);
    reset_locked();
    __atomic_store_n(&h->magic, XS_MAGIC, __ATOMIC_RELEASE);
    return 0;
}

static uint64_t env_frames(void)
{
    const char *p = getenv("XENSIM_MAX_PAGES");
    if (p && *p) {
        unsigned long long v = strtoull(p, NULL, 0);
        if (v >= 1024 && v <= (1ULL << 30))
            return v;
        fprintf(stderr, "xensim: ignoring XENSIM_MAX_PAGES=%s\n", p);
    }
    return XS_DEFAULT_FRAMES;
}

static int lock_state(void);
static void unlock_state(void);

static int do_attach(void)
{
    struct xs_hdr g;
    const char *path = getenv("XENSIM_STATE");
    void *m;
    int rc = 0;

    memset(&g, 0, sizeof(g));
    geometry(&g, env_frames());

    if (!path || !*path) {
        m = sys_mmap(NULL, g.total_size, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED)
            return -errno;
        memcpy(m, &g, offsetof(struct xs_hdr, lock));
        return init_fresh(m);
    }

    int fd = sys_openat(AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX) != 0) {
        rc = -errno;
        sys_close(fd);
        return rc;
    }
    struct stat st;
    struct xs_hdr old;
    int reuse = 0;
    if (fstat(fd, &st) == 0 && (uint64_t)st.st_size >= sizeof(old) &&
        pread(fd, &old, sizeof(old), 0) == (ssize_t)sizeof(old) &&
        old.magic == XS_MAGIC && old.layout == XS_LAYOUT &&
        old.hdr_size == sizeof(struct xs_hdr) &&
        old.total_size == (uint64_t)st.st_size) {
        struct xs_hdr chk;
        memset(&chk, 0, sizeof(chk));
        geometry(&chk, old.max_frames);
        reuse = chk.off_data == old.off_data && chk.total_size == old.total_size;
    }
    if (reuse) {
        m = sys_mmap(NULL, old.total_size, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_NORESERVE, fd, 0);
        if (m == MAP_FAILED) {
            rc = -errno;
        } else {
            H = m;
            BASE = m;
        }
    } else {
        if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)g.total_size) != 0) {
            rc = -errno;
        } else {
            m = sys_mmap(NULL, g.total_size, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_NORESERVE, fd, 0);
            if (m == MAP_FAILED) {
                rc = -errno;
            } else {
                memcpy(m, &g, offsetof(struct xs_hdr, lock));
                rc = init_fresh(m);
            }
        }
    }
    flock(fd, LOCK_UN);
    sys_close(fd);
    if (rc)
        H = NULL, BASE = NULL;
    return rc;
}

static int xs_attach(void)
{
    if (__atomic_load_n(&xs_ready, __ATOMIC_ACQUIRE))
        return 0;
    pthread_mutex_lock(&attach_lock);
    int rc = 0;
    if (!xs_ready) {
        rc = do_attach();
        if (rc) {
            fprintf(stderr, "xensim: cannot set up hypervisor state: %s\n", strerror(-rc));
        } else {
            int pers = env_personality();
            if (pers >= 0 && lock_state() == 0) {
                H->personality = pers;
                unlock_state();
            }
            __atomic_store_n(&xs_ready, 1, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&attach_lock);
    return rc;
}

static int lock_state(void)
{
    int r = pthread_mutex_lock(&H->lock);
    if (r == EOWNERDEAD) {
        /* A process died inside the hypervisor; carry on with its state. */
        pthread_mutex_consistent(&H->lock);
        r = 0;
    }
    return r ? -EIO : 0;
}

static void reap_domains(void);
static void acc_flush_global(void);

static void unlock_state(void)
{
    reap_domains();
    acc_flush_global();
    pthread_mutex_unlock(&H->lock);
}

static int enter(void)
{
    int rc = xs_attach();
    return rc ? rc : lock_state();
}

/* ------------------------------------------------------------------------ */
/* Guest memory                                                              */

/* Hypercall arguments are pointers into the calling process (the buffers of
 * /dev/xen/hypercall).  Xen copies them with copy_from_guest and answers
 * -EFAULT for an address that is not mapped; process_vm_readv on the own
 * process does the same without a SIGSEGV.  If that system call is not
 * allowed (seccomp), fall back to a plain copy that only refuses the first
 * page. */
static int guest_copy(void *local, uint64_t remote, size_t len, int write)
{
    if (!len)
        return 0;
    if (remote < XS_PAGE || remote + len < remote)
        return -EFAULT;
    if (hcbuf_copy(local, remote, len, write))
        return 0;
    struct iovec l = { local, len };
    struct iovec r = { (void *)(uintptr_t)remote, len };
    int saved = errno;
    ssize_t n = write ? process_vm_writev(getpid(), &l, 1, &r, 1, 0)
                      : process_vm_readv(getpid(), &l, 1, &r, 1, 0);
    int e = errno;
    errno = saved;
    if (n == (ssize_t)len)
        return 0;
    if (n < 0 && (e == ENOSYS || e == EPERM)) {
        if (write)
            memcpy((void *)(uintptr_t)remote, local, len);
        else
            memcpy(local, (const void *)(uintptr_t)remote, len);
        return 0;
    }
    return -EFAULT;
}

static int guest_read(void *dst, uint64_t src, size_t len)
{
    return guest_copy(dst, src, len, 0);
}

static int guest_write(uint64_t dst, const void *src, size_t len)
{
    return guest_copy((void *)src, dst, len, 1);
}

/* ------------------------------------------------------------------------ */
/* Panic                                                                     */

static void xs_panic(const char *assertion, const char *fmt, ...)
{
    if (H->panicked)
        return;
    char ctx[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof(ctx), fmt, ap);
    va_end(ap);
    H->panicked = 1;
    snprintf(H->panic_msg, sizeof(H->panic_msg), "%s (%s)", assertion, ctx);
    fprintf(stderr, "xensim: (XEN) %s\nxensim: (XEN) Panic on CPU 0: the simulated "
                    "hypervisor is dead; every hypercall now fails with EIO\n", H->panic_msg);
}

/* ------------------------------------------------------------------------ */
/* Domains                                                                   */

static struct xs_dom *dom_by_id(uint32_t domid)
{
    for (int i = 0; i < XS_MAX_DOMS; i++)
        if (H->doms[i].used && H->doms[i].domid == domid)
            return &H->doms[i];
    return NULL;
}

/* rcu_lock_domain_by_any_id(): DOMID_SELF is the caller, i.e. dom0. */
static struct xs_dom *dom_by_any_id(uint32_t domid)
{
    return dom_by_id(domid == DOMID_SELF ? 0 : domid);
}

/* First domain with domid >= min, in domid order (Xen's domain list). */
static struct xs_dom *dom_next(uint32_t min)
{
    struct xs_dom *best = NULL;
    for (int i = 0; i < XS_MAX_DOMS; i++) {
        struct xs_dom *d = &H->doms[i];
        if (d->used && d->domid >= min && (!best || d->domid < best->domid))
            best = d;
    }
    return best;
}

static struct xs_dom *dom_free_slot(void)
{
    for (int i = 0; i < XS_MAX_DOMS; i++)
        if (!H->doms[i].used)
            return &H->doms[i];
    return NULL;
}

/* A fresh toolstack-like handle: "xsim", a counter that is never reset,
 * the domid. */
static void fresh_handle(struct xs_dom *d)
{
    uint64_t n = ++H->handle_counter;
    memcpy(d->handle, "xsim", 4);
    for (int i = 0; i < 8; i++)
        d->handle[4 + i] = (uint8_t)(n >> (56 - 8 * i));
    d->handle[12] = (uint8_t)(d->domid >> 8);
    d->handle[13] = (uint8_t)d->domid;
    d->handle[14] = (uint8_t)(0x5a ^ n);
    d->handle[15] = (uint8_t)(0xa5 ^ (n >> 8));
}

static struct xs_dom *dom_init(struct xs_dom *d, uint32_t domid)
{
    memset(d, 0, sizeof(*d));
    d->used = 1;
    d->domid = (uint16_t)domid;
    d->target = DOMID_INVALID;
    return d;
}

/* A dying domain goes once it owns no page any more and no other domain
 * holds it as its target (complete_domain_destroy drops that reference only
 * when the holder itself goes).  Runs before every unlock. */
static void reap_domains(void)
{
    int changed = 1;
    while (changed) {
        changed = 0;
        for (int i = 0; i < XS_MAX_DOMS; i++) {
            struct xs_dom *d = &H->doms[i];
            if (!d->used || !d->dying || d->tot_pages)
                continue;
            int held = 0;
            for (int j = 0; j < XS_MAX_DOMS && !held; j++)
                held = j != i && H->doms[j].used && H->doms[j].target == d->domid;
            if (!held) {
                memset(d, 0, sizeof(*d));
                changed = 1;
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Frames                                                                    */

struct punch_acc {
    uint64_t start, n;
};

static struct punch_acc g_acc;   /* used only with the state lock held */

static void acc_flush(struct punch_acc *a)
{
    if (a->n)
        punch(H->off_data + a->start * XS_PAGE, a->n * XS_PAGE);
    a->n = 0;
}

static void acc_flush_global(void)
{
    acc_flush(&g_acc);
}

static void acc_add(struct punch_acc *a, uint64_t mfn)
{
    if (a->n && a->start + a->n == mfn) {
        a->n++;
        return;
    }
    acc_flush(a);
    a->start = mfn;
    a->n = 1;
}

static uint64_t host_free_frames(void)
{
    uint64_t used = H->frames_stored + H->pool_pages;
    return used >= H->max_frames ? 0 : H->max_frames - used;
}

/* alloc_domheap_page(d): one page with its allocation reference. */
static int64_t frame_alloc(struct xs_dom *d)
{
    uint64_t mfn;
    if (!host_free_frames())
        return -ENOMEM;
    if (H->frame_free) {
        mfn = H->frame_free - 1;
        H->frame_free = FR(mfn)->next;
    } else if (H->frame_hwm < H->max_frames) {
        mfn = H->frame_hwm++;
    } else {
        return -ENOMEM;
    }
    struct xs_frame *f = FR(mfn);
    f->refs = 1;
    f->maps = 0;
    f->owner = d->domid;
    f->flags = FR_STORED | FR_ALLOCATED;
    f->next = 0;
    H->frames_stored++;
    H->frames_in_use++;
    d->tot_pages++;
    return (int64_t)mfn;
}

/* The storage goes back to the pool only when Xen has freed the page AND
 * no p2m entry points at it any more, so that a dangling entry keeps its
 * bytes (on hardware the page would be handed out again). */
static void frame_maybe_release(uint64_t mfn)
{
    struct xs_frame *f = FR(mfn);
    if (f->refs || f->maps || !(f->flags & FR_STORED))
        return;
    f->flags = 0;
    f->owner = 0;
    f->next = (uint32_t)H->frame_free;
    H->frame_free = mfn + 1;
    H->frames_stored--;
    acc_add(&g_acc, mfn);
}

/* get_page(page, d): fails on a free page or one d does not own. */
static int frame_get_owned(uint64_t mfn, const struct xs_dom *d)
{
    struct xs_frame *f = FR(mfn);
    if (!f->refs || f->owner != d->domid)
        return 0;
    f->refs++;
    return 1;
}

/* put_page(): a debug Xen asserts that the count is not already 0. */
static int frame_put(uint64_t mfn, const char *assertion)
{
    struct xs_frame *f = FR(mfn);
    if (!f->refs) {
        xs_panic(assertion, "put_page on free mfn %#" PRIx64, mfn);
        return -1;
    }
    if (--f->refs)
        return 0;
    /* free_domheap_page(): the owner's tot_pages goes down. */
    struct xs_dom *o = dom_by_id(f->owner);
    if (o && o->tot_pages)
        o->tot_pages--;
    f->flags &= (uint16_t)~FR_ALLOCATED;
    H->frames_in_use--;
    frame_maybe_release(mfn);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* p2m: per-domain 4-level radix tree of 512-entry nodes                     */

static int64_t node_alloc(void)
{
    uint64_t idx;
    if (H->node_free) {
        idx = H->node_free - 1;
        H->node_free = NODE(idx)[0];
    } else if (H->node_hwm < H->max_nodes) {
        idx = H->node_hwm++;
    } else {
        return -ENOMEM;
    }
    memset(NODE(idx), 0, XS_PAGE);
    return (int64_t)idx;
}

static void node_free(uint64_t idx)
{
    NODE(idx)[0] = H->node_free;
    H->node_free = idx + 1;
}

static int gfn_ok(uint64_t gfn)
{
    return (gfn >> (H->ipa_bits - XS_PAGE_SHIFT)) == 0;
}

static uint64_t leaf_mfn(uint64_t e)
{
    return (e & XS_LEAF_MFN_MASK) - 1;
}

/* Pointer to the leaf entry for gfn; NULL if out of range or (when !create)
 * absent.  *err gets -EINVAL / -ENOMEM when create fails.  Nodes at levels
 * XS_POOL_LEVEL and below stand for Xen's L2/L3 tables and come from the
 * domain's p2m pool. */
static uint64_t *p2m_slot(struct xs_dom *d, uint64_t gfn, int create, int *err)
{
    if (!gfn_ok(gfn)) {
        if (err)
            *err = -EINVAL;
        return NULL;
    }
    uint64_t *slot = &d->root;
    for (int level = 0; level < XS_RADIX_LEVELS; level++) {
        if (*slot == 0) {
            if (!create)
                return NULL;
            if (level >= XS_POOL_LEVEL && d->pool_fixed && d->domid != 0 &&
                d->pool_used >= d->pool_total) {
                if (err)
                    *err = -ENOMEM;
                return NULL;
            }
            int64_t n = node_alloc();
            if (n < 0) {
                if (err)
                    *err = (int)n;
                return NULL;
            }
            *slot = (uint64_t)n + 1;
            if (level >= XS_POOL_LEVEL)
                d->pool_used++;
        }
        unsigned shift = XS_RADIX_BITS * (XS_RADIX_LEVELS - 1 - level);
        slot = &NODE(*slot - 1)[(gfn >> shift) & (XS_NODE_ENTRIES - 1)];
    }
    return slot;
}

static uint64_t p2m_get(struct xs_dom *d, uint64_t gfn)
{
    uint64_t *s = p2m_slot(d, gfn, 0, NULL);
    return s ? *s : 0;
}

/* p2m_free_entry() of one leaf: a foreign-typed entry drops one reference
 * (p2m_put_l3_page), own RAM drops none. */
static void p2m_drop_entry(uint64_t e)
{
    uint64_t mfn = leaf_mfn(e);
    if (e & XS_LEAF_FOREIGN)
        frame_put(mfn, XS_PANIC_PUT);
    FR(mfn)->maps--;
    frame_maybe_release(mfn);
}

/* __p2m_set_entry() of one 4K entry: the old entry is freed only if it
 * pointed at a different page. */
static void p2m_write(struct xs_dom *d, uint64_t *slot, uint64_t mfn, int foreign)
{
    uint64_t old = *slot;
    *slot = (mfn + 1) | (foreign ? XS_LEAF_FOREIGN : 0);
    if (foreign)
        d->foreign_count++;
    if (!old) {
        d->p2m_count++;
        FR(mfn)->maps++;
        return;
    }
    if (old & XS_LEAF_FOREIGN)
        d->foreign_count--;
    if (leaf_mfn(old) == mfn)
        return;
    FR(mfn)->maps++;
    p2m_drop_entry(old);
}

static void p2m_clear(struct xs_dom *d, uint64_t *slot)
{
    uint64_t old = *slot;
    if (!old)
        return;
    *slot = 0;
    d->p2m_count--;
    if (old & XS_LEAF_FOREIGN)
        d->foreign_count--;
    p2m_drop_entry(old);
}

static void p2m_free_tree(uint64_t ref, int level)
{
    if (!ref)
        return;
    uint64_t idx = ref - 1;
    uint64_t *n = NODE(idx);
    for (unsigned i = 0; i < XS_NODE_ENTRIES; i++) {
        if (!n[i])
            continue;
        if (level == XS_RADIX_LEVELS - 1)
            p2m_drop_entry(n[i]);
        else
            p2m_free_tree(n[i], level + 1);
    }
    node_free(idx);
}

/* relinquish_p2m_mapping() + p2m_teardown(): every entry goes, foreign ones
 * drop their reference. */
static void p2m_teardown(struct xs_dom *d)
{
    p2m_free_tree(d->root, 0);
    d->root = 0;
    d->p2m_count = d->foreign_count = 0;
    d->pool_used = 0;
}

/* domain_kill(): XEN_DOMCTL_destroydomain. */
static void dom_kill(struct xs_dom *d)
{
    if (d->dying)
        return;                      /* DOMDYING_dead: nothing more to do */
    d->dying = 1;
    /* relinquish_memory(): drop the allocation reference of every page the
     * domain still owns; pages referenced elsewhere stay, and are counted
     * in its tot_pages, until their last reference goes. */
    for (uint64_t mfn = 0; mfn < H->frame_hwm; mfn++) {
        struct xs_frame *f = FR(mfn);
        if ((f->flags & FR_ALLOCATED) && f->owner == d->domid) {
            f->flags &= (uint16_t)~FR_ALLOCATED;
            frame_put(mfn, XS_PANIC_PUT);
        }
    }
    p2m_teardown(d);
    /* p2m_teardown_allocation(): the pool goes back to the heap. */
    if (d->pool_fixed)
        H->pool_pages -= d->pool_total;
    d->pool_total = 0;
}

/* ------------------------------------------------------------------------ */
/* Faults and counters                                                       */

static int count_op(int op)
{
    uint64_t c = ++H->op_count[op];
    if (H->stop_at[op] && c == H->stop_at[op]) {
        H->stop_at[op] = 0;
        stop_pending = 1;
    }
    if (H->fail_at[op] && c == H->fail_at[op]) {
        H->fail_at[op] = 0;
        return -H->fail_err[op];
    }
    return 0;
}

static int gfn_fault(uint32_t domid, uint64_t gfn)
{
    if (!H->n_gfn_faults)
        return 0;
    for (int i = 0; i < XS_MAX_GFN_FAULTS; i++) {
        struct xs_gfn_fault *f = &H->gfn_faults[i];
        if (f->used && f->domid == domid && f->gfn == gfn)
            return -f->err;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Hypercalls                                                                */

static long hypercall(uint64_t op, const uint64_t a[5], int in_multicall);

/* get_pg_owner() (common/page_alloc.c), used by the Arm
 * xenmem_add_to_physmap_one for gmfn_foreign and, in the series tree, for
 * gmfn_share: refuses the caller's own id (dom0); DOMID_SELF is the caller;
 * DOMID_IO/DOMID_XEN are pseudo domains the simulator does not have.
 * Dying domains are found (rcu_lock_domain_by_any_id). */
static struct xs_dom *page_owner(uint32_t fdom, int *err)
{
    struct xs_dom *od = NULL;
    if (fdom != 0 && fdom < DOMID_FIRST_RESERVED)
        od = dom_by_id(fdom);
    else if (fdom == DOMID_SELF)
        od = dom_by_id(0);
    *err = od ? 0 : -ESRCH;
    return od;
}

static int add_one(struct xs_dom *d, unsigned space, struct xs_dom *od, int od_err,
                   uint64_t idx, uint64_t gpfn)
{
    int rc = gfn_fault(d->domid, gpfn);
    if (rc)
        return rc;

    switch (space) {
    case XENMAPSPACE_gmfn_foreign:
    case XS_MAPSPACE_GMFN_SHARE:
        if (space == XS_MAPSPACE_GMFN_SHARE && H->personality == XENSIM_STOCK)
            return -ENOSYS;             /* stock: the default: case */
        if (od_err)
            return od_err;
        if (od == d)
            return -EINVAL;
        /* gmfn_foreign: xsm_map_gmfn_foreign(XSM_TARGET, d, od), dummy
         * policy: the receiving domain must be privileged or have od as its
         * target.  gmfn_share: xsm_map_gmfn_share checks the caller (dom0)
         * against both domains, which always passes. */
        if (space == XENMAPSPACE_gmfn_foreign && !(d->domid == 0 || d->target == od->domid))
            return -EPERM;
        break;
    default:
        /* shared_info, grant_table, gmfn, dev_mmio: not modelled. */
        return -ENOSYS;
    }

    /* get_page_from_gfn(od, idx, &t, P2M_ALLOC): takes a reference. */
    uint64_t src = p2m_get(od, idx);
    if (!src)
        return -EINVAL;
    uint64_t mfn = leaf_mfn(src);
    if (src & XS_LEAF_FOREIGN) {
        /* page_get_owner_and_reference() on a foreign entry; the series
         * tree asserts that the page still has an owner. */
        if (!FR(mfn)->refs) {
            xs_panic(XS_PANIC_GET, "d%u gfn %#" PRIx64 " maps free mfn %#" PRIx64,
                     od->domid, idx, mfn);
            return -EIO;
        }
        return -EINVAL;                 /* not p2m RAM: reference put back */
    }
    if (!frame_get_owned(mfn, od))
        return -EINVAL;                 /* page already freed by Xen */

    /* guest_physmap_add_entry() -> p2m_set_entry(). */
    if (d->dying) {
        rc = -ENOMEM;                   /* p2m_set_entry refuses a dying domain */
    } else {
        int err = 0;
        uint64_t *slot = p2m_slot(d, gpfn, 1, &err);
        if (!slot) {
            rc = err;
        } else if (*slot && H->strict_occupied) {
            rc = -EEXIST;
        } else {
            if (*slot)
                H->replaced++;
            p2m_write(d, slot, mfn, 1);
            rc = 0;
        }
    }

    /* End of xenmem_add_to_physmap_one: gmfn_foreign keeps the reference on
     * success; the series as shipped drops it for every other space
     * (including gmfn_share); the fixed series keeps it for gmfn_share too. */
    int keep = rc == 0 && (space == XENMAPSPACE_gmfn_foreign ||
                           H->personality == XENSIM_SERIES_FIXED);
    if (!keep)
        frame_put(mfn, XS_PANIC_PUT);
    return rc;
}

static long mem_add_batch(uint64_t uarg, uint64_t start)
{
    int rc = count_op(XENSIM_OP_ADD_BATCH);
    if (rc)
        return rc;
    if (start != (uint16_t)start)
        return -EDOM;

    struct xen_add_to_physmap_batch x;
    if (guest_read(&x, uarg, sizeof(x)))
        return -EFAULT;

    if (x.space == XENMAPSPACE_gmfn_range)
        return -EOPNOTSUPP;
    struct xs_dom *d = dom_by_any_id(x.domid);
    if (!d)
        return -ESRCH;
    if (x.space == XENMAPSPACE_dev_mmio && d->domid != 0)
        return -EACCES;

    unsigned extent = (unsigned)start;
    if (x.size < extent)
        return -EILSEQ;
    if (x.size == extent)
        return extent ? -EILSEQ : 0;
    if (x.space == XENMAPSPACE_dev_mmio && x.u.res0)
        return -EOPNOTSUPP;

    unsigned n = x.size - extent;
    xen_ulong_t *idxs = malloc(n * sizeof(*idxs));
    xen_pfn_t *gpfns = malloc(n * sizeof(*gpfns));
    int *errs = malloc(n * sizeof(*errs));
    if (!idxs || !gpfns || !errs) {
        rc = -ENOMEM;
        goto out;
    }
    if (guest_read(idxs, (uintptr_t)x.idxs.p + extent * sizeof(*idxs), n * sizeof(*idxs)) ||
        guest_read(gpfns, (uintptr_t)x.gpfns.p + extent * sizeof(*gpfns), n * sizeof(*gpfns)) ||
        guest_read(errs, (uintptr_t)x.errs.p + extent * sizeof(*errs), n * sizeof(*errs))) {
        rc = -EFAULT;
        goto out;
    }

    int od_err = 0;
    struct xs_dom *od = NULL;
    if (x.space == XENMAPSPACE_gmfn_foreign || x.space == XS_MAPSPACE_GMFN_SHARE)
        od = page_owner(x.u.foreign_domid, &od_err);

    unsigned i;
    for (i = 0; i < n; i++) {
        if (gpfns[i] == XS_INVALID_GFN) {
            rc = -EINVAL;
            break;
        }
        errs[i] = add_one(d, x.space, od, od_err, idxs[i], gpfns[i]);
        if (H->panicked) {
            rc = -EIO;
            break;
        }
    }
    /* Entries before a failure have their errs[] written, as in Xen. */
    if (i && guest_write((uintptr_t)x.errs.p + extent * sizeof(*errs), errs, i * sizeof(*errs)))
        rc = -EFAULT;
out:
    free(idxs);
    free(gpfns);
    free(errs);
    return rc;
}

static long mem_remove(uint64_t uarg, uint64_t start)
{
    int rc = count_op(XENSIM_OP_REMOVE);
    if (rc)
        return rc;
    if (start)
        return -EINVAL;

    struct xen_remove_from_physmap x;
    if (guest_read(&x, uarg, sizeof(x)))
        return -EFAULT;
    struct xs_dom *d = dom_by_any_id(x.domid);
    if (!d)
        return -ESRCH;
    rc = gfn_fault(d->domid, x.gpfn);
    if (rc)
        return rc;
    /* get_page_from_gfn(d, gpfn, NULL, P2M_ALLOC) */
    uint64_t *slot = p2m_slot(d, x.gpfn, 0, NULL);
    if (!slot || !*slot)
        return -ENOENT;
    uint64_t mfn = leaf_mfn(*slot);
    if (*slot & XS_LEAF_FOREIGN) {
        if (!FR(mfn)->refs) {
            xs_panic(XS_PANIC_GET, "d%u remove gfn %#" PRIx64 ": mfn %#" PRIx64 " is free",
                     d->domid, (uint64_t)x.gpfn, mfn);
            return -EIO;
        }
    } else if (!FR(mfn)->refs || FR(mfn)->owner != d->domid) {
        return -ENOENT;       /* get_page() fails on a freed page */
    }
    /* guest_physmap_remove_page() then put_page(): net, a foreign entry
     * loses one reference, own RAM none. */
    p2m_clear(d, slot);
    return 0;
}

/* XENMEM_populate_physmap (common/memory.c populate_physmap): returns the
 * number of extents done; every failure just stops there. */
static long mem_populate(uint64_t uarg, uint64_t start)
{
    struct xen_memory_reservation r;
    if (guest_read(&r, uarg, sizeof(r)))
        return (long)start;
    if (r.nr_extents > (UINT_MAX >> XS_MEMOP_EXTENT_SHIFT) || start >= r.nr_extents)
        return (long)start;
    struct xs_dom *d = dom_by_any_id(r.domid);
    if (!d)
        return (long)start;
    if (r.mem_flags & XENMEMF_populate_on_demand)
        return (long)start;          /* Arm: mark_populate_on_demand is -ENOSYS */
    if (r.extent_order > XS_MAX_ORDER_CTLDOM)
        return (long)start;
    if (d->domid == 0)
        return (long)start;          /* dom0 is direct mapped; owns no RAM here */

    uint64_t n = 1ULL << r.extent_order, i;
    for (i = start; i < r.nr_extents; i++) {
        xen_pfn_t gpfn;
        if (guest_read(&gpfn, (uintptr_t)r.extent_start.p + i * sizeof(gpfn), sizeof(gpfn)))
            break;
        /* alloc_domheap_pages() -> assign_pages() */
        if (d->dying || d->tot_pages > d->max_pages || n > d->max_pages - d->tot_pages ||
            n > host_free_frames())
            break;
        int fail = 0;
        for (uint64_t j = 0; j < n && !fail; j++) {
            int64_t mfn = frame_alloc(d);
            if (mfn < 0) {
                fail = 1;
                break;
            }
            /* guest_physmap_add_page(): on failure the page stays allocated
             * to the domain, unmapped, as in Xen. */
            int err = 0;
            uint64_t *slot = p2m_slot(d, gpfn + j, 1, &err);
            if (!slot)
                fail = 1;
            else
                p2m_write(d, slot, (uint64_t)mfn, 0);
        }
        if (fail)
            break;
    }
    return (long)i;
}

static long hc_memory_op(uint64_t cmd, uint64_t arg)
{
    uint64_t start = cmd >> XS_MEMOP_EXTENT_SHIFT;
    switch (cmd & XS_MEMOP_CMD_MASK) {
    case XENMEM_add_to_physmap_batch:
        return mem_add_batch(arg, start);
    case XENMEM_remove_from_physmap:
        return mem_remove(arg, start);
    case XENMEM_populate_physmap:
        return mem_populate(arg, start);
    default:
        return -ENOSYS;
    }
}

/* do_multicall (common/multicall.c): every entry runs on its own and gets
 * its own result; a debug build then overwrites the whole entry with 0xAA
 * and writes back only the result. */
static long hc_multicall(uint64_t list, uint64_t nr, int in_multicall)
{
    if (in_multicall)
        return -EINVAL;            /* re-entry is refused */
    int rc = count_op(XENSIM_OP_MULTICALL);
    if (rc)
        return rc;
    nr = (uint32_t)nr;             /* nr_calls is uint32_t */
    for (uint64_t i = 0; i < nr; i++) {
        multicall_entry_t e;
        uint64_t at = list + i * sizeof(e);
        if (guest_read(&e, at, sizeof(e)))
            return -EFAULT;
        uint64_t a[5];
        for (int j = 0; j < 5; j++)
            a[j] = e.args[j];
        long r = hypercall(e.op, a, 1);
        if (H->panicked)
            return -EIO;
        memset(&e, 0xAA, sizeof(e));
        e.result = (xen_ulong_t)r;
        if (guest_write(at, &e, sizeof(e)))
            return -EFAULT;
    }
    return 0;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    memset(dst, 0, size);
    strncpy(dst, src, size - 1);
}

static long put_str(uint64_t arg, size_t size, const char *s)
{
    char buf[1024];
    if (size > sizeof(buf))
        size = sizeof(buf);
    copy_str(buf, size, s);
    return guest_write(arg, buf, size) ? -EFAULT : 0;
}

static const char *pers_extraversion(void)
{
    switch (H->personality) {
    case XENSIM_STOCK:  return ".7-xsim-stock";
    case XENSIM_SERIES: return ".7-xsim-series";
    default:            return ".7-xsim-fixed";
    }
}

static const char *pers_changeset(void)
{
    switch (H->personality) {
    case XENSIM_STOCK:  return "xensim stock: xen RELEASE-4.17.7 9373a593c5";
    case XENSIM_SERIES: return "xensim series: Xilinx/xen be35b46e90 as shipped";
    default:            return "xensim series-fixed: Xilinx/xen be35b46e90 + ref fix";
    }
}

static long hc_xen_version(uint64_t cmd, uint64_t arg)
{
    switch (cmd) {
    case XENVER_version:
        return (XS_XEN_MAJOR << 16) | XS_XEN_MINOR;
    case XENVER_extraversion:
        return put_str(arg, sizeof(xen_extraversion_t), pers_extraversion());
    case XENVER_compile_info: {
        xen_compile_info_t ci;
        copy_str(ci.compiler, sizeof(ci.compiler), "xensim");
        copy_str(ci.compile_by, sizeof(ci.compile_by), "xensim");
        copy_str(ci.compile_domain, sizeof(ci.compile_domain), "localdomain");
        copy_str(ci.compile_date, sizeof(ci.compile_date), "simulated");
        return guest_write(arg, &ci, sizeof(ci)) ? -EFAULT : 0;
    }
    case XENVER_capabilities:
        return put_str(arg, sizeof(xen_capabilities_info_t), XS_CAPABILITIES);
    case XENVER_changeset:
        return put_str(arg, sizeof(xen_changeset_info_t), pers_changeset());
    case XENVER_platform_parameters: {
        xen_platform_parameters_t pp = { .virt_start = 0 };
        return guest_write(arg, &pp, sizeof(pp)) ? -EFAULT : 0;
    }
    case XENVER_get_features: {
        xen_feature_info_t fi;
        if (guest_read(&fi, arg, sizeof(fi)))
            return -EFAULT;
        if (fi.submap_idx != 0)
            return -EINVAL;
        /* What an Arm dom0 (translated, direct mapped) is told. */
        fi.submap = (1U << XENFEAT_memory_op_vnode_supported) |
                    (1U << XENFEAT_writable_page_tables) |
                    (1U << XENFEAT_auto_translated_physmap) |
                    (1U << XENFEAT_dom0) |
                    (1U << XENFEAT_ARM_SMCCC_supported) |
                    (1U << XENFEAT_direct_mapped);
        return guest_write(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
    }
    case XENVER_pagesize:
        return arg ? -EINVAL : (long)XS_PAGE;
    case XENVER_guest_handle: {
        xen_domain_handle_t h;
        memset(h, 0, sizeof(h));          /* dom0's handle */
        return guest_write(arg, h, sizeof(h)) ? -EFAULT : 0;
    }
    case XENVER_commandline:
        return put_str(arg, sizeof(xen_commandline_t), "console=dtuart dom0_mem=1024M xensim");
    case XENVER_build_id: {
        /* common/kernel.c: NULL asks for the size; len 0 is EINVAL; a
         * buffer too small is ENOBUFS; else the bytes and their count. */
        uint8_t id[XS_BUILD_ID_LEN];
        static const uint8_t tail[] = { 0x41, 0x17, 0x07, 0x00, 0x4d, 0x9e, 0x37, 0x3a,
                                        0x59, 0x3c, 0x10, 0x00, 0xbe, 0x35, 0xb4 };
        memcpy(id, "xsim", 4);
        id[4] = (uint8_t)H->personality;
        memcpy(id + 5, tail, sizeof(tail));
        if (!arg)
            return XS_BUILD_ID_LEN;
        uint32_t len;
        if (guest_read(&len, arg, sizeof(len)))
            return -EFAULT;
        if (len == 0)
            return -EINVAL;
        if (len < XS_BUILD_ID_LEN)
            return -ENOBUFS;
        if (guest_write(arg + offsetof(xen_build_id_t, buf), id, sizeof(id)))
            return -EFAULT;
        return XS_BUILD_ID_LEN;
    }
    default:
        return -ENOSYS;
    }
}

static void fill_info(struct xs_dom *d, struct xen_domctl_getdomaininfo *info)
{
    memset(info, 0, sizeof(*info));
    info->domain = d->domid;
    uint32_t flags = 0;
    if (d->vcpus)
        flags = d->domid == 0 ? XEN_DOMINF_running : XEN_DOMINF_blocked;
    if (d->dying)
        flags |= XEN_DOMINF_dying;
    if (d->shutdown)
        flags |= XEN_DOMINF_shutdown | (SHUTDOWN_poweroff << XEN_DOMINF_shutdownshift);
    if (d->pause_count > 0)
        flags |= XEN_DOMINF_paused;
    flags |= XEN_DOMINF_hvm_guest | XEN_DOMINF_hap;
    info->flags = flags;
    info->tot_pages = d->tot_pages;
    info->max_pages = d->max_pages;
    info->shared_info_frame = 0;
    info->nr_online_vcpus = d->vcpus;
    info->max_vcpu_id = d->vcpus ? d->vcpus - 1u : XEN_INVALID_MAX_VCPU_ID;
    info->cpupool = 0;
    info->gpaddr_bits = (uint8_t)H->ipa_bits;
    memcpy(info->handle, d->handle, sizeof(info->handle));
}

static long hc_sysctl(uint64_t uarg)
{
    struct xen_sysctl op;
    if (guest_read(&op, uarg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
        return -EACCES;

    switch (op.cmd) {
    case XEN_SYSCTL_getdomaininfolist: {
        int rc = count_op(XENSIM_OP_DOMAININFO);
        if (rc)
            return rc;
        struct xen_sysctl_getdomaininfolist *l = &op.u.getdomaininfolist;
        uint32_t n = 0;
        uint32_t next = l->first_domain;
        struct xs_dom *d;
        while ((d = dom_next(next)) != NULL) {
            if (n == l->max_domains)
                break;
            struct xen_domctl_getdomaininfo info;
            fill_info(d, &info);
            if (guest_write((uintptr_t)l->buffer.p + n * sizeof(info), &info, sizeof(info)))
                return -EFAULT;
            n++;
            next = (uint32_t)d->domid + 1;
        }
        l->num_domains = n;
        return guest_write(uarg, &op, sizeof(op)) ? -EFAULT : 0;
    }
    default:
        return -ENOSYS;
    }
}

/* The Arm part of XEN_DOMCTL_createdomain's config, read with Arm's layout
 * (public/arch-arm.h) wherever the caller's headers put struct
 * xen_arch_domainconfig. */
struct xs_arm_arch {
    uint8_t  gic_version;
    uint16_t tee_type;
    uint32_t nr_spis;
    uint32_t clock_frequency;
};

/* sanitise_domain_config (common/domain.c), arch_sanitise_domain_config
 * (arch/arm/domain.c), then the checks domain_create makes on the way:
 * domain_vgic_init, sched_init_domain, grant_table_init. */
static int check_createdomain(struct xen_domctl_createdomain *c, struct xs_arm_arch *arch)
{
    const uint32_t known = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | XEN_DOMCTL_CDF_s3_integrity |
                           XEN_DOMCTL_CDF_oos_off | XEN_DOMCTL_CDF_xs_domain |
                           XEN_DOMCTL_CDF_iommu | XEN_DOMCTL_CDF_nested_virt |
                           XEN_DOMCTL_CDF_vpmu;
    int hvm = !!(c->flags & XEN_DOMCTL_CDF_hvm), hap = !!(c->flags & XEN_DOMCTL_CDF_hap);
    if (c->flags & ~known)
        return -EINVAL;
    if (c->grant_opts & ~XEN_DOMCTL_GRANT_version_mask)
        return -EINVAL;
    if (c->max_vcpus < 1)
        return -EINVAL;
    if (hap && !hvm)
        return -EINVAL;
    if (c->flags & XEN_DOMCTL_CDF_iommu)
        return -EINVAL;                 /* no IOMMU on the simulated host */
    if (c->iommu_opts)
        return -EINVAL;                 /* options without an IOMMU */
    if (c->vmtrace_size)
        return -EINVAL;                 /* vmtrace is x86 only */
    /* Arm: exactly hvm|hap, plus optional iommu/vpmu. */
    if ((c->flags & ~(XEN_DOMCTL_CDF_iommu | XEN_DOMCTL_CDF_vpmu)) !=
        (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap))
        return -EINVAL;
    if (arch->gic_version == XS_ARM_GIC_NATIVE)
        arch->gic_version = XS_ARM_GIC_V3;     /* QEMU virt, gic-version=3 */
    unsigned max = arch->gic_version == XS_ARM_GIC_V2 ? 8 :
                   arch->gic_version == XS_ARM_GIC_V3 ? XS_ARM_MAX_VIRT_CPUS : 0;
    if (!max || c->max_vcpus > max)
        return -EINVAL;
    if (arch->tee_type != XS_ARM_TEE_NONE)
        return -EINVAL;                 /* no TEE mediator */
    if (((arch->nr_spis + 31) & ~31u) > XS_ARM_MAX_SPIS)
        return -EINVAL;
    if (c->cpupool_id != 0)
        return -ESRCH;                  /* only cpupool 0 exists */
    unsigned ver = c->grant_opts & XEN_DOMCTL_GRANT_version_mask;
    if (!ver || ver > XS_GNTTAB_MAX_VERSION)
        return -EINVAL;
    int32_t gf = c->max_grant_frames < 0 ? XS_OPT_MAX_GRANT_FRAMES : c->max_grant_frames;
    int32_t mf = c->max_maptrack_frames < 0 ? XS_OPT_MAX_MAPTRACK_FRAMES : c->max_maptrack_frames;
    if (gf < 1 || gf > XS_OPT_MAX_GRANT_FRAMES || mf > XS_OPT_MAX_MAPTRACK_FRAMES)
        return -EINVAL;
    return 0;
}

static long domctl_createdomain(struct xen_domctl *op)
{
    struct xen_domctl_createdomain *c = &op->u.createdomain;
    uint32_t dom = op->domain;
    if (dom > 0 && dom < DOMID_FIRST_RESERVED) {
        if (dom_by_id(dom))
            return -EEXIST;
    } else {
        /* The rover: the next free id after the last one handed out,
         * wrapping from DOMID_FIRST_RESERVED to 1.  It moves even if the
         * creation then fails. */
        uint32_t rover = H->domid_rover, n;
        dom = rover;
        for (n = 0; n < DOMID_FIRST_RESERVED; n++) {
            dom = dom + 1 >= DOMID_FIRST_RESERVED ? 1 : dom + 1;
            if (dom == rover)
                return -ENOMEM;
            if (!dom_by_id(dom))
                break;
        }
        if (n == DOMID_FIRST_RESERVED)
            return -ENOMEM;
        H->domid_rover = dom;
    }

    struct xs_arm_arch arch;
    char *ap = (char *)c + offsetof(struct xen_domctl_createdomain, arch);
    arch.gic_version = (uint8_t)ap[0];
    memcpy(&arch.tee_type, ap + 2, 2);
    memcpy(&arch.nr_spis, ap + 4, 4);
    memcpy(&arch.clock_frequency, ap + 8, 4);
    int rc = check_createdomain(c, &arch);
    if (rc)
        return rc;

    struct xs_dom *d = dom_free_slot();
    if (!d || host_free_frames() < XS_P2M_POOL_INITIAL)
        return -ENOMEM;
    dom_init(d, dom);
    d->pause_count = 1;                 /* controller_pause_count = 1 */
    d->max_pages = 0;
    d->vcpus = 0;                       /* XEN_DOMCTL_max_vcpus not modelled */
    d->pool_fixed = 1;
    d->pool_total = XS_P2M_POOL_INITIAL;
    H->pool_pages += XS_P2M_POOL_INITIAL;
    memcpy(d->handle, c->handle, sizeof(d->handle));

    ap[0] = (char)arch.gic_version;     /* IN/OUT */
    op->domain = (domid_t)dom;
    return 0;
}

/* arch_set_paging_mempool_size / p2m_set_allocation (arch/arm/p2m.c). */
static long set_pool(struct xs_dom *d, uint64_t size)
{
    if (size & (XS_PAGE - 1))
        return -EINVAL;
    uint64_t pages = size >> XS_PAGE_SHIFT;
    if (!d->pool_fixed) {
        d->pool_fixed = 1;
        d->pool_total = d->pool_used;
        H->pool_pages += d->pool_total;
    }
    if (pages > d->pool_total) {
        uint64_t add = pages - d->pool_total, avail = host_free_frames();
        uint64_t got = add < avail ? add : avail;
        d->pool_total += got;
        H->pool_pages += got;
        return got == add ? 0 : -ENOMEM;
    }
    /* The hardware domain takes its tables from the heap, not the pool. */
    uint64_t used = d->domid == 0 ? 0 : d->pool_used;
    uint64_t floor = pages > used ? pages : used;
    H->pool_pages -= d->pool_total - floor;
    d->pool_total = floor;
    return floor == pages ? 0 : -ENOMEM;   /* freelist ran empty */
}

static long hc_domctl(uint64_t uarg)
{
    struct xen_domctl op;
    if (guest_read(&op, uarg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
        return -EACCES;

    struct xs_dom *d = NULL;
    if (op.cmd != XEN_DOMCTL_createdomain) {
        d = dom_by_id(op.domain);      /* no DOMID_SELF here; finds dying ones */
        if (!d && op.cmd != XEN_DOMCTL_getdomaininfo)
            return -ESRCH;
    }

    long ret = 0;
    int copyback = 0;
    switch (op.cmd) {
    case XEN_DOMCTL_getdomaininfo: {
        int rc = count_op(XENSIM_OP_DOMAININFO);
        if (rc)
            return rc;
        if (!d) {
            if (op.domain >= DOMID_FIRST_RESERVED)
                return -EINVAL;
            d = dom_next(op.domain);      /* 4.17: the next domain up */
            if (!d)
                return -ESRCH;
        }
        fill_info(d, &op.u.getdomaininfo);
        op.domain = d->domid;
        copyback = 1;
        break;
    }
    case XEN_DOMCTL_set_target: {
        struct xs_dom *e = dom_by_id(op.u.set_target.target);
        if (!e)
            return -ESRCH;
        if (d == e)
            return -EINVAL;
        /* Every Arm guest is "hvm", so no -EOPNOTSUPP; dom0 passes XSM. */
        if (d->target != DOMID_INVALID)
            return -EINVAL;
        d->target = e->domid;
        break;
    }
    case XEN_DOMCTL_createdomain:
        ret = domctl_createdomain(&op);
        copyback = ret == 0;
        break;
    case XEN_DOMCTL_destroydomain:
        if (d->domid == 0)
            return -EINVAL;              /* d == current->domain */
        dom_kill(d);
        break;
    case XEN_DOMCTL_pausedomain:
        if (d->domid == 0)
            return -EINVAL;
        if (d->pause_count + 1 > XS_MAX_PAUSE_COUNT)
            return -EOVERFLOW;
        d->pause_count++;
        break;
    case XEN_DOMCTL_unpausedomain:
        if (d->pause_count - 1 < 0)
            return -EINVAL;
        d->pause_count--;
        break;
    case XEN_DOMCTL_max_mem: {
        uint64_t pages = op.u.max_mem.max_memkb >> (XS_PAGE_SHIFT - 10);
        d->max_pages = pages < UINT32_MAX ? pages : UINT32_MAX;   /* unsigned int */
        break;
    }
    case XEN_DOMCTL_setdomainhandle:
        memcpy(d->handle, op.u.setdomainhandle.handle, sizeof(d->handle));
        break;
    case XEN_DOMCTL_get_paging_mempool_size:
        op.u.paging_mempool.size = (d->pool_fixed ? d->pool_total : d->pool_used) << XS_PAGE_SHIFT;
        copyback = 1;
        break;
    case XEN_DOMCTL_set_paging_mempool_size:
        ret = set_pool(d, op.u.paging_mempool.size);
        break;
    case XEN_DOMCTL_shadow_op:
        /* Arm 4.17 has no shadow_op (arch/arm/arm64/domctl.c, default:). */
        return -ENOSYS;
    default:
        return -ENOSYS;
    }
    if (copyback && guest_write(uarg, &op, sizeof(op)))
        return -EFAULT;
    return ret;
}

static long dispatch(uint64_t op, const uint64_t a[5], int in_multicall)
{
    switch (op) {
    case __HYPERVISOR_memory_op:
        return hc_memory_op(a[0], a[1]);
    case __HYPERVISOR_multicall:
        return hc_multicall(a[0], a[1], in_multicall);
    case __HYPERVISOR_xen_version:
        return hc_xen_version(a[0], a[1]);
    case __HYPERVISOR_sysctl:
        return hc_sysctl(a[0]);
    case __HYPERVISOR_domctl:
        return hc_domctl(a[0]);
    default:
        return -ENOSYS;
    }
}

/* After a panic the host is dead: nothing answers any more. */
static long hypercall(uint64_t op, const uint64_t a[5], int in_multicall)
{
    if (H->panicked)
        return -EIO;
    long r = dispatch(op, a, in_multicall);
    return H->panicked ? -EIO : r;
}

/* ------------------------------------------------------------------------ */
/* ioctl on the emulated devices                                             */

static int ret_errno(long rc)
{
    if (rc < 0 && rc >= -4095) {
        errno = (int)-rc;
        return -1;
    }
    return (int)rc;
}

static int privcmd_ioctl(int fd, uint32_t rdom, unsigned long req, void *arg)
{
    switch (req) {
    case IOCTL_PRIVCMD_HYPERCALL: {
        privcmd_hypercall_t h;
        if (guest_read(&h, (uintptr_t)arg, sizeof(h)))
            return ret_errno(-EFAULT);
        if (rdom != DOMID_INVALID)
            return ret_errno(-EPERM);
        long rc = enter();
        if (rc)
            return ret_errno(rc);
        rc = count_op(XENSIM_OP_ANY);
        if (!rc) {
            uint64_t a[5];
            for (int i = 0; i < 5; i++)
                a[i] = h.arg[i];
            rc = hypercall(h.op, a, 0);
        }
        unlock_state();
        if (stop_pending) {
            /* Outside the lock: other processes share this hypervisor while we are stopped. */
            stop_pending = 0;
            raise(SIGSTOP);
        }
        return ret_errno(rc);
    }
    case IOCTL_PRIVCMD_DM_OP: {
        privcmd_dm_op_t *u = arg;
        if (!u)
            return ret_errno(-EFAULT);
        if (rdom != DOMID_INVALID && u->dom != rdom)
            return ret_errno(-EPERM);
        return ret_errno(u->num == 0 ? 0 : -ENOSYS);
    }
    case IOCTL_PRIVCMD_RESTRICT: {
        domid_t *p = arg;
        if (!p)
            return ret_errno(-EFAULT);
        int rc = 0;
        pthread_mutex_lock(&emu_lock);
        struct emu_fd *e = emu_find_locked(fd);
        if (e) {
            if (e->restrict_dom == DOMID_INVALID)
                e->restrict_dom = *p;
            else if (e->restrict_dom != *p)
                rc = -EINVAL;
        }
        pthread_mutex_unlock(&emu_lock);
        return ret_errno(rc);
    }
    case IOCTL_PRIVCMD_MMAP:
    case IOCTL_PRIVCMD_MMAPBATCH:
    case IOCTL_PRIVCMD_MMAPBATCH_V2:
        return ret_errno(-ENOSYS);
    case IOCTL_PRIVCMD_MMAP_RESOURCE:
        return ret_errno(-EOPNOTSUPP);
    default:
        return ret_errno(-ENOTTY);
    }
}

/* ------------------------------------------------------------------------ */
/* Interposed libc functions                                                 */

#define NEEDS_MODE(flags) (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE)

#define GET_MODE(flags, last, mode)            \
    do {                                       \
        if (NEEDS_MODE(flags)) {               \
            va_list ap_;                       \
            va_start(ap_, last);               \
            mode = (mode_t)va_arg(ap_, int);   \
            va_end(ap_);                       \
        }                                      \
    } while (0)

__attribute__((visibility("default")))
int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    GET_MODE(flags, flags, mode);
    int k = emu_path_kind(path);
    if (k)
        return emu_open(k, flags);
    open_fn f = real_open;
    int fd = f ? f(path, flags, mode) : sys_openat(AT_FDCWD, path, flags, mode);
    note_real_fd(fd);
    return fd;
}

__attribute__((visibility("default")))
int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    GET_MODE(flags, flags, mode);
    int k = emu_path_kind(path);
    if (k)
        return emu_open(k, flags);
    open_fn f = real_open64;
    int fd = f ? f(path, flags, mode) : sys_openat(AT_FDCWD, path, flags, mode);
    note_real_fd(fd);
    return fd;
}

__attribute__((visibility("default")))
int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    GET_MODE(flags, flags, mode);
    int k = emu_path_kind(path);
    if (k)
        return emu_open(k, flags);
    openat_fn f = real_openat;
    int fd = f ? f(dirfd, path, flags, mode) : sys_openat(dirfd, path, flags, mode);
    note_real_fd(fd);
    return fd;
}

__attribute__((visibility("default")))
int openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    GET_MODE(flags, flags, mode);
    int k = emu_path_kind(path);
    if (k)
        return emu_open(k, flags);
    openat_fn f = real_openat64;
    int fd = f ? f(dirfd, path, flags, mode) : sys_openat(dirfd, path, flags, mode);
    note_real_fd(fd);
    return fd;
}

/* Fortified entry points (_FORTIFY_SOURCE). */
__attribute__((visibility("default"))) int __open_2(const char *path, int flags);
__attribute__((visibility("default"))) int __open64_2(const char *path, int flags);
__attribute__((visibility("default"))) int __openat_2(int dirfd, const char *path, int flags);
__attribute__((visibility("default"))) int __openat64_2(int dirfd, const char *path, int flags);

int __open_2(const char *path, int flags)
{
    int k = emu_path_kind(path);
    if (k)
        return emu_open(k, flags);
    open2_fn f = real_open_2;
    int fd = f ? f(path, flags) : sys_openat(AT_FDCWD, path, flags, 0);
    note_real_fd(fd);
    return fd;
}

int __open64_2(const char *path, int flags)
{
    int k = emu_path_kind(path);
    if (k)
        return emu_open(k, flags);
    open2_fn f = real_open64_2;
    int fd = f ? f(path, flags) : sys_openat(AT_FDCWD, path, flags, 0);
    note_real_fd(fd);
    return fd;
}

int __openat_2(int dirfd, const char *path, int flags)
{
    int k = emu_path_kind(path);
    if (k)
        return emu_open(k, flags);
    openat2_fn f = real_openat_2;
    int fd = f ? f(dirfd, path, flags) : sys_openat(dirfd, path, flags, 0);
    note_real_fd(fd);
    return fd;
}

int __openat64_2(int dirfd, const char *path, int flags)
{
    int k = emu_path_kind(path);
    if (k)
        return emu_open(k, flags);
    openat2_fn f = real_openat64_2;
    int fd = f ? f(dirfd, path, flags) : sys_openat(dirfd, path, flags, 0);
    note_real_fd(fd);
    return fd;
}

__attribute__((visibility("default")))
int close(int fd)
{
    if (fd_maybe_emulated(fd)) {
        pthread_mutex_lock(&emu_lock);
        emu_drop_locked(fd);
        pthread_mutex_unlock(&emu_lock);
    }
    return sys_close(fd);
}

__attribute__((visibility("default")))
int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);

    if (fd_maybe_emulated(fd)) {
        uint32_t rdom = DOMID_INVALID;
        int k = emu_check(fd, &rdom);
        if (k == KIND_PRIVCMD)
            return privcmd_ioctl(fd, rdom, req, arg);
        if (k == KIND_HCBUF)
            return ret_errno(-ENOTTY);
    }
    ioctl_fn f = real_ioctl;
    return f ? f(fd, req, arg) : (int)syscall(SYS_ioctl, fd, req, arg);
}

static void *emu_mmap(int fd, void *addr, size_t len, int prot, int flags, int *handled)
{
    int k = emu_check(fd, NULL);
    *handled = 1;
    if (k == KIND_HCBUF) {
        /* Like privcmd-buf: shared, zeroed, private to this mapping. */
        if ((flags & MAP_TYPE) != MAP_SHARED && (flags & MAP_TYPE) != MAP_SHARED_VALIDATE) {
            errno = EINVAL;
            return MAP_FAILED;
        }
        void *p = sys_mmap(addr, len, prot,
                           (flags & ~MAP_TYPE) | MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED)
            hcbuf_add(p, len);
        return p;
    }
    if (k == KIND_PRIVCMD) {
        /* privcmd hands out an empty VMA to be filled by MMAPBATCH, which
         * the simulator does not implement: reserve inaccessible memory. */
        return sys_mmap(addr, len, PROT_NONE,
                        (flags & ~MAP_TYPE) | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                        -1, 0);
    }
    *handled = 0;
    return MAP_FAILED;
}

__attribute__((visibility("default")))
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (fd_maybe_emulated(fd)) {
        int handled;
        void *p = emu_mmap(fd, addr, len, prot, flags, &handled);
        if (handled)
            return p;
    }
    return sys_mmap(addr, len, prot, flags, fd, off);
}

__attribute__((visibility("default")))
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
    if (fd_maybe_emulated(fd)) {
        int handled;
        void *p = emu_mmap(fd, addr, len, prot, flags, &handled);
        if (handled)
            return p;
    }
    mmap_fn f = real_mmap64;
    if (f)
        return f(addr, len, prot, flags, fd, off);
    return sys_mmap(addr, len, prot, flags, fd, off);
}

__attribute__((visibility("default")))
int munmap(void *addr, size_t len)
{
    hcbuf_forget(addr, len);
    munmap_fn f = real_munmap;
    return f ? f(addr, len) : (int)syscall(SYS_munmap, addr, len);
}

/* ------------------------------------------------------------------------ */
/* Control API                                                               */

#define API __attribute__((visibility("default")))

API int xensim_reset(void)
{
    int rc = enter();
    if (rc)
        return rc;
    reset_locked();
    g_acc.n = 0;
    unlock_state();
    return 0;
}

API int xensim_set_personality(int personality)
{
    if (personality < XENSIM_STOCK || personality > XENSIM_SERIES_FIXED)
        return -EINVAL;
    int rc = enter();
    if (rc)
        return rc;
    H->personality = personality;
    unlock_state();
    return 0;
}

API int xensim_get_personality(void)
{
    int rc = enter();
    if (rc)
        return rc;
    rc = H->personality;
    unlock_state();
    return rc;
}

API int xensim_create_domain(uint32_t domid)
{
    if (domid >= DOMID_FIRST_RESERVED)
        return -EINVAL;
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d;
    if (dom_by_id(domid)) {
        rc = -EEXIST;
    } else if (!(d = dom_free_slot())) {
        rc = -ENOSPC;
    } else {
        dom_init(d, domid);
        d->max_pages = H->max_frames;   /* may take all of the host's RAM */
        d->vcpus = 1;
        fresh_handle(d);
    }
    unlock_state();
    return rc;
}

API int xensim_destroy_domain(uint32_t domid)
{
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d = dom_by_id(domid);
    if (!d)
        rc = -ESRCH;
    else if (domid == 0)
        rc = -EPERM;
    else
        dom_kill(d);
    if (!rc && H->panicked)
        rc = -EIO;
    unlock_state();
    return rc;
}

API int xensim_shutdown_domain(uint32_t domid)
{
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d = dom_by_id(domid);
    if (!d)
        rc = -ESRCH;
    else if (domid == 0)
        rc = -EPERM;
    else
        d->shutdown = 1;
    unlock_state();
    return rc;
}

API int xensim_pause_domain(uint32_t domid)
{
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d = dom_by_id(domid);
    if (!d)
        rc = -ESRCH;
    else if (domid == 0)
        rc = -EINVAL;                   /* as XEN_DOMCTL_pausedomain */
    else if (d->pause_count + 1 > XS_MAX_PAUSE_COUNT)
        rc = -EOVERFLOW;
    else
        d->pause_count++;
    unlock_state();
    return rc;
}

API int xensim_set_handle(uint32_t domid, const uint8_t handle[16])
{
    if (!handle)
        return -EFAULT;
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d = dom_by_id(domid);
    if (d)
        memcpy(d->handle, handle, sizeof(d->handle));
    else
        rc = -ESRCH;
    unlock_state();
    return rc;
}

API int xensim_domain_info(uint32_t domid, uint64_t *tot_pages, uint32_t *flags)
{
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d = dom_by_id(domid);
    if (d) {
        struct xen_domctl_getdomaininfo info;
        fill_info(d, &info);
        if (tot_pages)
            *tot_pages = info.tot_pages;
        if (flags)
            *flags = info.flags;
    } else {
        rc = -ESRCH;
    }
    unlock_state();
    return rc;
}

API int xensim_populate(uint32_t domid, uint64_t first_gfn, uint64_t count)
{
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d = dom_by_id(domid);
    if (!d) {
        rc = -ESRCH;
        goto out;
    }
    if (!count)
        goto out;
    if (d->dying || first_gfn + count < first_gfn || !gfn_ok(first_gfn) ||
        !gfn_ok(first_gfn + count - 1)) {
        rc = -EINVAL;
        goto out;
    }
    for (uint64_t i = 0; i < count; i++) {
        if (p2m_get(d, first_gfn + i)) {
            rc = -EEXIST;
            goto out;
        }
    }
    if (d->tot_pages + count > d->max_pages || count > host_free_frames()) {
        rc = -ENOMEM;
        goto out;
    }
    for (uint64_t i = 0; i < count; i++) {
        int err = 0;
        uint64_t *slot = p2m_slot(d, first_gfn + i, 1, &err);
        int64_t mfn = slot ? frame_alloc(d) : err;
        if (mfn < 0) {
            /* Out of p2m nodes or pool: undo what this call did. */
            for (uint64_t j = 0; j < i; j++) {
                uint64_t *s = p2m_slot(d, first_gfn + j, 0, NULL);
                uint64_t m = leaf_mfn(*s);
                p2m_clear(d, s);
                FR(m)->flags &= (uint16_t)~FR_ALLOCATED;
                frame_put(m, XS_PANIC_PUT);
            }
            rc = (int)mfn;
            goto out;
        }
        p2m_write(d, slot, (uint64_t)mfn, 0);
    }
out:
    unlock_state();
    return rc;
}

API int xensim_set_target(uint32_t domid, uint32_t target)
{
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d = dom_by_id(domid);
    if (!d) {
        rc = -ESRCH;
    } else if (target == DOMID_INVALID) {
        d->target = DOMID_INVALID;     /* test-only: Xen cannot clear it */
    } else {
        struct xs_dom *e = dom_by_id(target);
        if (!e)
            rc = -ESRCH;
        else if (d == e || d->target != DOMID_INVALID)
            rc = -EINVAL;
        else
            d->target = e->domid;
    }
    unlock_state();
    return rc;
}

API int64_t xensim_p2m_lookup(uint32_t domid, uint64_t gfn)
{
    int rc = enter();
    if (rc)
        return rc;
    int64_t r;
    struct xs_dom *d = dom_by_id(domid);
    if (!d) {
        r = -ESRCH;
    } else {
        uint64_t e = p2m_get(d, gfn);
        r = e ? (int64_t)leaf_mfn(e) : -ENOENT;
    }
    unlock_state();
    return r;
}

API int64_t xensim_ref_count(uint32_t domid, uint64_t gfn)
{
    int rc = enter();
    if (rc)
        return rc;
    int64_t r;
    struct xs_dom *d = dom_by_id(domid);
    if (!d) {
        r = -ESRCH;
    } else {
        uint64_t e = p2m_get(d, gfn);
        r = e ? (int64_t)FR(leaf_mfn(e))->refs : -ENOENT;
    }
    unlock_state();
    return r;
}

API int xensim_p2m_is_foreign(uint32_t domid, uint64_t gfn)
{
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d = dom_by_id(domid);
    if (!d) {
        rc = -ESRCH;
    } else {
        uint64_t e = p2m_get(d, gfn);
        rc = e ? !!(e & XS_LEAF_FOREIGN) : -ENOENT;
    }
    unlock_state();
    return rc;
}

API uint64_t xensim_p2m_count(uint32_t domid)
{
    if (enter())
        return 0;
    struct xs_dom *d = dom_by_id(domid);
    uint64_t n = d ? d->p2m_count : 0;
    unlock_state();
    return n;
}

static int rw(uint32_t domid, uint64_t gpa, void *buf, uint64_t len, int write)
{
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d = dom_by_id(domid);
    if (!d) {
        rc = -ESRCH;
        goto out;
    }
    if (!len)
        goto out;
    if (!buf || gpa + len < gpa) {
        rc = -EFAULT;
        goto out;
    }
    uint64_t first = gpa >> XS_PAGE_SHIFT, last = (gpa + len - 1) >> XS_PAGE_SHIFT;
    for (uint64_t g = first; g <= last; g++) {
        if (!p2m_get(d, g)) {
            rc = -EFAULT;
            goto out;
        }
    }
    char *p = buf;
    while (len) {
        uint64_t off = gpa & (XS_PAGE - 1);
        uint64_t n = XS_PAGE - off;
        if (n > len)
            n = len;
        uint64_t mfn = leaf_mfn(p2m_get(d, gpa >> XS_PAGE_SHIFT));
        if (write)
            memcpy(PAGE(mfn) + off, p, n);
        else
            memcpy(p, PAGE(mfn) + off, n);
        p += n;
        gpa += n;
        len -= n;
    }
out:
    unlock_state();
    return rc;
}

API int xensim_write(uint32_t domid, uint64_t gpa, const void *buf, uint64_t len)
{
    return rw(domid, gpa, (void *)buf, len, 1);
}

API int xensim_read(uint32_t domid, uint64_t gpa, void *buf, uint64_t len)
{
    return rw(domid, gpa, buf, len, 0);
}

API int xensim_fail_nth(int op, uint64_t nth, int err)
{
    if (op < 0 || op >= XENSIM_OP_COUNT || nth == 0 || err <= 0)
        return -EINVAL;
    int rc = enter();
    if (rc)
        return rc;
    H->fail_at[op] = H->op_count[op] + nth;
    H->fail_err[op] = err;
    unlock_state();
    return 0;
}

API int xensim_stop_after_nth(int op, uint64_t nth)
{
    if (op < 0 || op >= XENSIM_OP_COUNT || nth == 0)
        return -EINVAL;
    int rc = enter();
    if (rc)
        return rc;
    H->stop_at[op] = H->op_count[op] + nth;
    unlock_state();
    return 0;
}

API int xensim_fail_gfn(uint32_t domid, uint64_t gfn, int err)
{
    if (err <= 0)
        return -EINVAL;
    int rc = enter();
    if (rc)
        return rc;
    struct xs_gfn_fault *free_slot = NULL, *slot = NULL;
    for (int i = 0; i < XS_MAX_GFN_FAULTS; i++) {
        struct xs_gfn_fault *f = &H->gfn_faults[i];
        if (f->used && f->domid == domid && f->gfn == gfn)
            slot = f;
        else if (!f->used && !free_slot)
            free_slot = f;
    }
    if (!slot && free_slot) {
        slot = free_slot;
        slot->used = 1;
        slot->domid = domid;
        slot->gfn = gfn;
        H->n_gfn_faults++;
    }
    if (slot)
        slot->err = err;
    else
        rc = -ENOSPC;
    unlock_state();
    return rc;
}

API int xensim_clear_faults(void)
{
    int rc = enter();
    if (rc)
        return rc;
    memset(H->fail_at, 0, sizeof(H->fail_at));
    memset(H->fail_err, 0, sizeof(H->fail_err));
    memset(H->stop_at, 0, sizeof(H->stop_at));
    memset(H->gfn_faults, 0, sizeof(H->gfn_faults));
    H->n_gfn_faults = 0;
    unlock_state();
    return 0;
}

API uint64_t xensim_op_count(int op)
{
    if (op < 0 || op >= XENSIM_OP_COUNT || enter())
        return 0;
    uint64_t n = H->op_count[op];
    unlock_state();
    return n;
}

API uint64_t xensim_replaced_count(void)
{
    if (enter())
        return 0;
    uint64_t n = H->replaced;
    unlock_state();
    return n;
}

API int xensim_set_occupied_policy(int strict)
{
    if (strict != 0 && strict != 1)
        return -EINVAL;
    int rc = enter();
    if (rc)
        return rc;
    H->strict_occupied = strict;
    unlock_state();
    return 0;
}

API int xensim_set_max_pages(uint32_t domid, uint64_t max_pages)
{
    int rc = enter();
    if (rc)
        return rc;
    struct xs_dom *d = dom_by_id(domid);
    if (d)
        d->max_pages = max_pages;
    else
        rc = -ESRCH;
    unlock_state();
    return rc;
}

API int xensim_set_ipa_bits(int bits)
{
    if (bits < 32 || bits > XS_PAGE_SHIFT + XS_RADIX_BITS * XS_RADIX_LEVELS)
        return -EINVAL;
    int rc = enter();
    if (rc)
        return rc;
    H->ipa_bits = bits;
    unlock_state();
    return 0;
}

API uint64_t xensim_frames_in_use(void)
{
    if (enter())
        return 0;
    uint64_t n = H->frames_in_use;
    unlock_state();
    return n;
}

API int xensim_panicked(char *buf, uint64_t len)
{
    int rc = enter();
    if (rc)
        return rc;
    rc = H->panicked ? 1 : 0;
    if (buf && len) {
        size_t n = strnlen(H->panic_msg, sizeof(H->panic_msg));
        if (!rc)
            n = 0;
        if (n >= len)
            n = len - 1;
        memcpy(buf, H->panic_msg, n);
        buf[n] = 0;
    }
    unlock_state();
    return rc;
}
