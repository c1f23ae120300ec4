/*
 * xensim - simulated Xen hypervisor, loaded with LD_PRELOAD.
 *
 * The unmodified libxenctrl/libxencall/libxenforeignmemory/libxendevicemodel
 * open /dev/xen/privcmd and /dev/xen/hypercall with open(2), issue
 * IOCTL_PRIVCMD_* ioctls on the first and mmap hypercall buffers from the
 * second.  This library interposes open/openat (all variants), close, ioctl
 * and mmap: the device paths yield a memfd that stands for the device, ioctls
 * on it run the simulated hypervisor, mmaps of the buffer device become
 * anonymous shared memory.  Everything else is passed to the next definition
 * (dlsym(RTLD_NEXT)), or to the raw system call while that is not resolved.
 *
 * Hypervisor state lives in one MAP_SHARED region so that several processes
 * share one hypervisor; see ../XENSIM.md for the model and the error table.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include <xen/sys/privcmd.h>

#include "xensim.h"

/* ------------------------------------------------------------------------ */
/* Constants                                                                 */

#define XS_PAGE_SHIFT      12
#define XS_PAGE            4096ULL
#define XS_MAGIC           0x3130204d49534e58ULL   /* "XNSIM 01" */
#define XS_LAYOUT          3
#define XS_MAX_DOMS        64
#define XS_MAX_GFN_FAULTS  64
#define XS_DEFAULT_FRAMES  (1ULL << 22)            /* 16 GiB of guest RAM   */
#define XS_DEFAULT_MAXPG   (1ULL << 20)            /* per-domain max_pages  */
#define XS_DEFAULT_IPA     40
#define XS_RADIX_BITS      9
#define XS_RADIX_LEVELS    4                       /* 36 gfn bits = 48-bit IPA */
#define XS_NODE_ENTRIES    (1u << XS_RADIX_BITS)
#define XS_LEAF_FOREIGN    (1ULL << 63)
#define XS_LEAF_MFN_MASK   (XS_LEAF_FOREIGN - 1)

/* Not in the installed public headers. */
#define XS_MEMOP_EXTENT_SHIFT 6
#define XS_MEMOP_CMD_MASK     ((1u << XS_MEMOP_EXTENT_SHIFT) - 1)
#define XS_MAPSPACE_GMFN_SHARE XENSIM_MAPSPACE_GMFN_SHARE
#define XS_INVALID_GFN        (~0UL)

#define XS_XEN_MAJOR 4
#define XS_XEN_MINOR 17
#define XS_EXTRAVERSION ".7-xensim"
#define XS_CAPABILITIES "xen-3.0-aarch64 xen-3.0-armv7l "

#define FR_ALLOC      1u   /* frame is in use                                */
#define FR_OWNER_DEAD 2u   /* its owner was destroyed; kept for foreign maps */

/* ------------------------------------------------------------------------ */
/* Shared state layout (all references are offsets or indices)              */

struct xs_dom {
    uint32_t used;
    uint16_t domid;
    uint16_t target;         /* DOMID_INVALID if none */
    uint64_t root;           /* p2m root node index + 1; 0 = empty */
    uint64_t tot_pages;      /* pages allocated to (owned by) the domain */
    uint64_t max_pages;
    uint64_t p2m_count;      /* mapped gfns (own + foreign) */
    uint64_t foreign_count;  /* mapped gfns that are foreign */
};

struct xs_gfn_fault {
    uint32_t used;
    uint32_t domid;
    int32_t  err;
    int32_t  pad;
    uint64_t gfn;
};

struct xs_frame {
    uint32_t refs;           /* p2m references + 1 while the owner lives;
                                when free: next free mfn + 1 */
    uint16_t owner;
    uint16_t flags;
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
    uint64_t frames_in_use;
    uint64_t node_hwm;
    uint64_t node_free;      /* free list head: node + 1 */

    uint64_t op_count[XENSIM_OP_COUNT];
    uint64_t fail_at[XENSIM_OP_COUNT];   /* 0 = no pending fault */
    int32_t  fail_err[XENSIM_OP_COUNT];
    uint64_t replaced;

    struct xs_gfn_fault gfn_faults[XS_MAX_GFN_FAULTS];
    struct xs_dom doms[XS_MAX_DOMS];
};

static struct xs_hdr *H;      /* set while attaching */
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

static open_fn    real_open, real_open64;
static openat_fn  real_openat, real_openat64;
static open2_fn   real_open_2, real_open64_2;
static openat2_fn real_openat_2, real_openat64_2;
static close_fn   real_close;
static ioctl_fn   real_ioctl;
static mmap_fn    real_mmap, real_mmap64;

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

static void atfork_prepare(void)
{
    pthread_mutex_lock(&attach_lock);
    pthread_mutex_lock(&emu_lock);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&emu_lock);
    pthread_mutex_unlock(&attach_lock);
}

static void atfork_child(void)
{
    pthread_mutex_unlock(&emu_lock);
    pthread_mutex_unlock(&attach_lock);
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
    H->frame_hwm = H->frame_free = H->frames_in_use = 0;
    H->node_hwm = H->node_free = 0;
    memset(H->op_count, 0, sizeof(H->op_count));
    memset(H->fail_at, 0, sizeof(H->fail_at));
    memset(H->fail_err, 0, sizeof(H->fail_err));
    H->replaced = 0;
    memset(H->gfn_faults, 0, sizeof(H->gfn_faults));
    memset(H->doms, 0, sizeof(H->doms));
    H->doms[0].used = 1;
    H->doms[0].domid = 0;
    H->doms[0].target = DOMID_INVALID;
    H->doms[0].max_pages = XS_DEFAULT_MAXPG;
}

static int env_personality(void)
{
    const char *p = getenv("XENSIM_PERSONALITY");
    if (!p || !*p)
        return -1;
    if (strcmp(p, "stock") == 0 || strcmp(p, "0") == 0)
        return XENSIM_STOCK;
    if (strcmp(p, "patched") == 0 || strcmp(p, "1") == 0)
        return XENSIM_PATCHED;
    fprintf(stderr, "xensim: ignoring XENSIM_PERSONALITY=%s (want stock|patched)\n", p);
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
    h->personality = pers < 0 ? XENSIM_PATCHED : pers;
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

static void unlock_state(void)
{
    pthread_mutex_unlock(&H->lock);
}

static int enter(void)
{
    int rc = xs_attach();
    return rc ? rc : lock_state();
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

/* ------------------------------------------------------------------------ */
/* Frames                                                                    */

struct punch_acc {
    uint64_t start, n;
};

static void acc_flush(struct punch_acc *a)
{
    if (a->n)
        punch(H->off_data + a->start * XS_PAGE, a->n * XS_PAGE);
    a->n = 0;
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

static int64_t frame_alloc(uint16_t owner)
{
    uint64_t mfn;
    if (H->frame_free) {
        mfn = H->frame_free - 1;
        H->frame_free = FR(mfn)->refs;
    } else if (H->frame_hwm < H->max_frames) {
        mfn = H->frame_hwm++;
    } else {
        return -ENOMEM;
    }
    struct xs_frame *f = FR(mfn);
    f->refs = 1;                 /* allocation reference */
    f->owner = owner;
    f->flags = FR_ALLOC;
    H->frames_in_use++;
    return (int64_t)mfn;
}

static void frame_get(uint64_t mfn)
{
    FR(mfn)->refs++;
}

static void frame_put(uint64_t mfn, struct punch_acc *acc)
{
    struct xs_frame *f = FR(mfn);
    if (--f->refs)
        return;
    f->flags = 0;
    f->owner = 0;
    f->refs = (uint32_t)H->frame_free;
    H->frame_free = mfn + 1;
    H->frames_in_use--;
    if (acc) {
        acc_add(acc, mfn);
    } else {
        punch(H->off_data + mfn * XS_PAGE, XS_PAGE);
    }
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

/* Pointer to the leaf entry for gfn; NULL if out of range or (when !create)
 * absent.  *err gets -EINVAL / -ENOMEM when create fails. */
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
            int64_t n = node_alloc();
            if (n < 0) {
                if (err)
                    *err = (int)n;
                return NULL;
            }
            *slot = (uint64_t)n + 1;
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

/* Install mfn at a leaf slot, dropping whatever was there. */
static void p2m_install(struct xs_dom *d, uint64_t *slot, uint64_t mfn, int foreign)
{
    uint64_t old = *slot;
    frame_get(mfn);
    *slot = (mfn + 1) | (foreign ? XS_LEAF_FOREIGN : 0);
    if (old) {
        if (old & XS_LEAF_FOREIGN)
            d->foreign_count--;
        frame_put((old & XS_LEAF_MFN_MASK) - 1, NULL);
    } else {
        d->p2m_count++;
    }
    if (foreign)
        d->foreign_count++;
}

static void p2m_clear(struct xs_dom *d, uint64_t *slot, struct punch_acc *acc)
{
    uint64_t old = *slot;
    if (!old)
        return;
    *slot = 0;
    d->p2m_count--;
    if (old & XS_LEAF_FOREIGN)
        d->foreign_count--;
    frame_put((old & XS_LEAF_MFN_MASK) - 1, acc);
}

static void p2m_free_tree(uint64_t ref, int level, struct punch_acc *acc)
{
    if (!ref)
        return;
    uint64_t idx = ref - 1;
    uint64_t *n = NODE(idx);
    for (unsigned i = 0; i < XS_NODE_ENTRIES; i++) {
        if (!n[i])
            continue;
        if (level == XS_RADIX_LEVELS - 1)
            frame_put((n[i] & XS_LEAF_MFN_MASK) - 1, acc);
        else
            p2m_free_tree(n[i], level + 1, acc);
    }
    node_free(idx);
}

/* ------------------------------------------------------------------------ */
/* Faults and counters                                                       */

static int count_op(int op)
{
    uint64_t c = ++H->op_count[op];
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

/* Resolve the page owner of a foreign / share mapping.  *err is the
 * per-entry error if there is none. */
static struct xs_dom *page_owner(unsigned space, uint32_t fdom, int *err)
{
    struct xs_dom *od = NULL;
    if (space == XENMAPSPACE_gmfn_foreign) {
        /* get_pg_owner(): refuses the caller's own id (dom0), maps the
         * special ids to pseudo domains (not modelled: no such domain). */
        if (fdom != 0 && fdom < DOMID_FIRST_RESERVED)
            od = dom_by_id(fdom);
        else if (fdom == DOMID_SELF)
            od = dom_by_id(0);
    } else {
        od = dom_by_any_id(fdom);
    }
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
        if (od_err)
            return od_err;
        if (od == d)
            return -EINVAL;
        /* xsm_map_gmfn_foreign(XSM_TARGET, d, od), dummy policy: the
         * receiving domain must be privileged or have od as its target. */
        if (!(d->domid == 0 || d->target == od->domid))
            return -EPERM;
        break;
    case XS_MAPSPACE_GMFN_SHARE:
        if (H->personality != XENSIM_PATCHED)
            return -ENOSYS;
        if (od_err)
            return od_err;
        if (od == d)
            return -EINVAL;
        /* The patch checks the *caller* against both domains; the caller is
         * always dom0 here, so this always passes. */
        break;
    default:
        /* shared_info, grant_table, gmfn, dev_mmio: not modelled. */
        return -ENOSYS;
    }

    uint64_t src = p2m_get(od, idx);
    if (!src || (src & XS_LEAF_FOREIGN))      /* not p2m RAM in the owner */
        return -EINVAL;
    uint64_t mfn = (src & XS_LEAF_MFN_MASK) - 1;

    int err = 0;
    uint64_t *slot = p2m_slot(d, gpfn, 1, &err);
    if (!slot)
        return err;
    if (*slot) {
        if (H->strict_occupied)
            return -EEXIST;
        H->replaced++;
    }
    p2m_install(d, slot, mfn, 1);
    return 0;
}

static long mem_add_batch(void *arg, uint64_t start)
{
    int rc = count_op(XENSIM_OP_ADD_BATCH);
    if (rc)
        return rc;
    if (start != (uint16_t)start)
        return -EDOM;
    if (!arg)
        return -EFAULT;

    struct xen_add_to_physmap_batch x;
    memcpy(&x, arg, sizeof(x));

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
    if (!x.idxs.p || !x.gpfns.p || !x.errs.p)
        return -EFAULT;
    if (x.space == XENMAPSPACE_dev_mmio && x.u.res0)
        return -EOPNOTSUPP;

    int od_err = 0;
    struct xs_dom *od = NULL;
    if (x.space == XENMAPSPACE_gmfn_foreign || x.space == XS_MAPSPACE_GMFN_SHARE)
        od = page_owner(x.space, x.u.foreign_domid, &od_err);

    for (; extent < x.size; extent++) {
        xen_ulong_t idx = x.idxs.p[extent];
        xen_pfn_t gpfn = x.gpfns.p[extent];
        if (gpfn == XS_INVALID_GFN)
            return -EINVAL;
        x.errs.p[extent] = add_one(d, x.space, od, od_err, idx, gpfn);
    }
    return 0;
}

static long mem_remove(void *arg, uint64_t start)
{
    int rc = count_op(XENSIM_OP_REMOVE);
    if (rc)
        return rc;
    if (start)
        return -EINVAL;
    if (!arg)
        return -EFAULT;

    struct xen_remove_from_physmap x;
    memcpy(&x, arg, sizeof(x));
    struct xs_dom *d = dom_by_any_id(x.domid);
    if (!d)
        return -ESRCH;
    rc = gfn_fault(d->domid, x.gpfn);
    if (rc)
        return rc;
    uint64_t *slot = p2m_slot(d, x.gpfn, 0, NULL);
    if (!slot || !*slot)
        return -ENOENT;
    p2m_clear(d, slot, NULL);
    return 0;
}

static long hc_memory_op(uint64_t cmd, void *arg)
{
    uint64_t start = cmd >> XS_MEMOP_EXTENT_SHIFT;
    switch (cmd & XS_MEMOP_CMD_MASK) {
    case XENMEM_add_to_physmap_batch:
        return mem_add_batch(arg, start);
    case XENMEM_remove_from_physmap:
        return mem_remove(arg, start);
    default:
        return -ENOSYS;
    }
}

static long hc_multicall(multicall_entry_t *list, uint64_t nr, int in_multicall)
{
    if (in_multicall)
        return -EINVAL;            /* re-entry is refused */
    if (nr && !list)
        return -EFAULT;
    for (uint64_t i = 0; i < nr; i++) {
        uint64_t a[5];
        for (int j = 0; j < 5; j++)
            a[j] = list[i].args[j];
        list[i].result = (xen_ulong_t)hypercall(list[i].op, a, 1);
    }
    return 0;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    memset(dst, 0, size);
    strncpy(dst, src, size - 1);
}

static long hc_xen_version(uint64_t cmd, void *arg)
{
    switch (cmd) {
    case XENVER_version:
        return (XS_XEN_MAJOR << 16) | XS_XEN_MINOR;
    case XENVER_extraversion:
        if (!arg)
            return -EFAULT;
        copy_str(arg, sizeof(xen_extraversion_t), XS_EXTRAVERSION);
        return 0;
    case XENVER_compile_info: {
        xen_compile_info_t *ci = arg;
        if (!ci)
            return -EFAULT;
        copy_str(ci->compiler, sizeof(ci->compiler), "xensim");
        copy_str(ci->compile_by, sizeof(ci->compile_by), "xensim");
        copy_str(ci->compile_domain, sizeof(ci->compile_domain), "localdomain");
        copy_str(ci->compile_date, sizeof(ci->compile_date), "simulated");
        return 0;
    }
    case XENVER_capabilities:
        if (!arg)
            return -EFAULT;
        copy_str(arg, sizeof(xen_capabilities_info_t), XS_CAPABILITIES);
        return 0;
    case XENVER_changeset:
        if (!arg)
            return -EFAULT;
        copy_str(arg, sizeof(xen_changeset_info_t), "xensim");
        return 0;
    case XENVER_platform_parameters: {
        xen_platform_parameters_t *pp = arg;
        if (!pp)
            return -EFAULT;
        pp->virt_start = 0;
        return 0;
    }
    case XENVER_get_features: {
        xen_feature_info_t *fi = arg;
        if (!fi)
            return -EFAULT;
        if (fi->submap_idx != 0)
            return -EINVAL;
        /* What an Arm dom0 (translated, direct mapped) is told. */
        fi->submap = (1U << XENFEAT_memory_op_vnode_supported) |
                     (1U << XENFEAT_writable_page_tables) |
                     (1U << XENFEAT_auto_translated_physmap) |
                     (1U << XENFEAT_dom0) |
                     (1U << XENFEAT_ARM_SMCCC_supported) |
                     (1U << XENFEAT_direct_mapped);
        return 0;
    }
    case XENVER_pagesize:
        return arg ? -EINVAL : (long)XS_PAGE;
    case XENVER_guest_handle:
        if (!arg)
            return -EFAULT;
        memset(arg, 0, sizeof(xen_domain_handle_t));
        return 0;
    case XENVER_commandline:
        if (!arg)
            return -EFAULT;
        copy_str(arg, sizeof(xen_commandline_t), "console=dtuart dom0_mem=1024M xensim");
        return 0;
    case XENVER_build_id:
        return -ENODATA;
    default:
        return -ENOSYS;
    }
}

static void fill_info(struct xs_dom *d, struct xen_domctl_getdomaininfo *info)
{
    memset(info, 0, sizeof(*info));
    info->domain = d->domid;
    info->flags = XEN_DOMINF_hvm_guest | XEN_DOMINF_hap |
                  (d->domid == 0 ? XEN_DOMINF_running : XEN_DOMINF_blocked);
    info->tot_pages = d->tot_pages;
    info->max_pages = d->max_pages;
    info->shared_info_frame = 0;
    info->nr_online_vcpus = 1;
    info->max_vcpu_id = 0;
    info->cpupool = 0;
    info->gpaddr_bits = (uint8_t)H->ipa_bits;
    /* A recognisable handle: "xensim" + domid. */
    memcpy(info->handle, "xensim-dom", 10);
    info->handle[14] = (uint8_t)(d->domid >> 8);
    info->handle[15] = (uint8_t)d->domid;
}

static long hc_sysctl(void *arg)
{
    struct xen_sysctl op;
    if (!arg)
        return -EFAULT;
    memcpy(&op, arg, sizeof(op));
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
            if (!l->buffer.p)
                return -EFAULT;
            fill_info(d, &l->buffer.p[n]);
            n++;
            next = (uint32_t)d->domid + 1;
        }
        l->num_domains = n;
        memcpy(arg, &op, sizeof(op));
        return 0;
    }
    default:
        return -ENOSYS;
    }
}

static long hc_domctl(void *arg)
{
    struct xen_domctl op;
    if (!arg)
        return -EFAULT;
    memcpy(&op, arg, sizeof(op));
    if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
        return -EACCES;

    struct xs_dom *d = dom_by_id(op.domain);      /* no DOMID_SELF here */
    if (!d && op.cmd != XEN_DOMCTL_getdomaininfo)
        return -ESRCH;

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
        memcpy(arg, &op, sizeof(op));
        return 0;
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
        return 0;
    }
    default:
        return -ENOSYS;
    }
}

static long hypercall(uint64_t op, const uint64_t a[5], int in_multicall)
{
    switch (op) {
    case __HYPERVISOR_memory_op:
        return hc_memory_op(a[0], (void *)(uintptr_t)a[1]);
    case __HYPERVISOR_multicall:
        return hc_multicall((multicall_entry_t *)(uintptr_t)a[0], a[1], in_multicall);
    case __HYPERVISOR_xen_version:
        return hc_xen_version(a[0], (void *)(uintptr_t)a[1]);
    case __HYPERVISOR_sysctl:
        return hc_sysctl((void *)(uintptr_t)a[0]);
    case __HYPERVISOR_domctl:
        return hc_domctl((void *)(uintptr_t)a[0]);
    default:
        return -ENOSYS;
    }
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
        privcmd_hypercall_t *h = arg;
        if (!h)
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
                a[i] = h->arg[i];
            rc = hypercall(h->op, a, 0);
        }
        unlock_state();
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
        return sys_mmap(addr, len, prot,
                        (flags & ~MAP_TYPE) | MAP_SHARED | MAP_ANONYMOUS, -1, 0);
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

/* ------------------------------------------------------------------------ */
/* Control API                                                               */

#define API __attribute__((visibility("default")))

API int xensim_reset(void)
{
    int rc = enter();
    if (rc)
        return rc;
    reset_locked();
    unlock_state();
    return 0;
}

API int xensim_set_personality(int patched)
{
    if (patched != XENSIM_STOCK && patched != XENSIM_PATCHED)
        return -EINVAL;
    int rc = enter();
    if (rc)
        return rc;
    H->personality = patched;
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
    if (dom_by_id(domid)) {
        rc = -EEXIST;
    } else {
        rc = -ENOSPC;
        for (int i = 0; i < XS_MAX_DOMS; i++) {
            struct xs_dom *d = &H->doms[i];
            if (d->used)
                continue;
            memset(d, 0, sizeof(*d));
            d->used = 1;
            d->domid = (uint16_t)domid;
            d->target = DOMID_INVALID;
            d->max_pages = XS_DEFAULT_MAXPG;
            rc = 0;
            break;
        }
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
    if (!d) {
        rc = -ESRCH;
    } else if (domid == 0) {
        rc = -EPERM;
    } else {
        struct punch_acc acc = { 0, 0 };
        p2m_free_tree(d->root, 0, &acc);
        /* Drop the allocation reference of every page it owns; pages that
         * other domains map survive until unmapped. */
        for (uint64_t mfn = 0; mfn < H->frame_hwm; mfn++) {
            struct xs_frame *f = FR(mfn);
            if ((f->flags & FR_ALLOC) && !(f->flags & FR_OWNER_DEAD) && f->owner == domid) {
                f->flags |= FR_OWNER_DEAD;
                frame_put(mfn, &acc);
            }
        }
        acc_flush(&acc);
        for (int i = 0; i < XS_MAX_DOMS; i++)
            if (H->doms[i].used && H->doms[i].target == domid)
                H->doms[i].target = DOMID_INVALID;
        memset(d, 0, sizeof(*d));
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
    if (first_gfn + count < first_gfn || !gfn_ok(first_gfn) || !gfn_ok(first_gfn + count - 1)) {
        rc = -EINVAL;
        goto out;
    }
    for (uint64_t i = 0; i < count; i++) {
        if (p2m_get(d, first_gfn + i)) {
            rc = -EEXIST;
            goto out;
        }
    }
    if (d->tot_pages + count > d->max_pages ||
        count > H->max_frames - H->frames_in_use) {
        rc = -ENOMEM;
        goto out;
    }
    for (uint64_t i = 0; i < count; i++) {
        int err = 0;
        uint64_t *slot = p2m_slot(d, first_gfn + i, 1, &err);
        int64_t mfn = slot ? frame_alloc(d->domid) : err;
        if (mfn < 0) {
            /* Out of p2m nodes: undo what this call did. */
            struct punch_acc acc = { 0, 0 };
            for (uint64_t j = 0; j < i; j++) {
                uint64_t *s = p2m_slot(d, first_gfn + j, 0, NULL);
                uint64_t m = (*s & XS_LEAF_MFN_MASK) - 1;
                p2m_clear(d, s, &acc);
                FR(m)->flags |= FR_OWNER_DEAD;
                frame_put(m, &acc);
                d->tot_pages--;
            }
            acc_flush(&acc);
            rc = (int)mfn;
            goto out;
        }
        p2m_install(d, slot, (uint64_t)mfn, 0);
        d->tot_pages++;
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
        d->target = DOMID_INVALID;
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
        r = e ? (int64_t)((e & XS_LEAF_MFN_MASK) - 1) : -ENOENT;
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
        uint64_t mfn = (p2m_get(d, gpa >> XS_PAGE_SHIFT) & XS_LEAF_MFN_MASK) - 1;
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
