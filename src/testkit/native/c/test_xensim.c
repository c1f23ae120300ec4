/* SPDX-License-Identifier: Apache-2.0 (xen-sshm test bed; see ../README.md) */
/*
 * Self-test of the simulated hypervisor: drives the real, unmodified
 * libxenctrl 4.17 while libxensim.so is preloaded, and checks the results
 * both through libxenctrl and through the xensim control API.
 *
 *   LD_PRELOAD=.../libxensim.so .../test_xensim
 *
 * Exits 0 if every check passed, 1 if one failed, 2 if not preloaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xencall.h>
#include <xen/sched.h>
#include <xen/sys/privcmd.h>

#define XENSIM_WEAK
#include "xensim.h"

#define SHARE   XENSIM_MAPSPACE_GMFN_SHARE
#define FOREIGN XENMAPSPACE_gmfn_foreign
#define PG      4096ULL

static xc_interface *xch;
static int total_pass, total_fail, sec_pass, sec_fail;
static const char *sec_name;
static int sections_failed;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            sec_pass++;                                                    \
        } else {                                                           \
            sec_fail++;                                                    \
            printf("    FAIL line %d: %s -- ", __LINE__, #cond);           \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
        }                                                                  \
    } while (0)

static void end_section(void)
{
    if (!sec_name)
        return;
    printf("[%s] %-44s %d checks\n", sec_fail ? "FAIL" : "PASS", sec_name,
           sec_pass + sec_fail);
    if (sec_fail)
        sections_failed++;
    total_pass += sec_pass;
    total_fail += sec_fail;
    sec_pass = sec_fail = 0;
    sec_name = NULL;
}

static void section(const char *name)
{
    end_section();
    sec_name = name;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Map n consecutive pages idx0.. of fdom at gpfn0.. of dom. */
static int map_range(uint32_t dom, uint32_t fdom, unsigned space, uint64_t idx0,
                     uint64_t gpfn0, unsigned n, int *errs, int *err_out)
{
    xen_ulong_t *idx = calloc(n ? n : 1, sizeof(*idx));
    xen_pfn_t *gpfn = calloc(n ? n : 1, sizeof(*gpfn));
    for (unsigned i = 0; i < n; i++) {
        idx[i] = idx0 + i;
        gpfn[i] = gpfn0 + i;
        errs[i] = 0x7777;
    }
    errno = 0;
    int rc = xc_domain_add_to_physmap_batch(xch, dom, fdom, space, n, idx, gpfn, errs);
    *err_out = errno;
    free(idx);
    free(gpfn);
    return rc;
}

static int all_eq(const int *errs, unsigned n, int v)
{
    for (unsigned i = 0; i < n; i++)
        if (errs[i] != v)
            return 0;
    return 1;
}

static int remove_gfn(uint32_t dom, uint64_t gfn, int *err_out)
{
    errno = 0;
    int rc = xc_domain_remove_from_physmap(xch, dom, gfn);
    *err_out = errno;
    return rc;
}

/* A raw privcmd hypercall, bypassing libxenctrl. */
static long raw_hypercall(int fd, uint64_t op, uint64_t a0, uint64_t a1, int *err_out)
{
    privcmd_hypercall_t h = { .op = op, .arg = { a0, a1, 0, 0, 0 } };
    errno = 0;
    long rc = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h);
    *err_out = errno;
    return rc;
}

/* Each thread opens its own libxenctrl handle and maps the owner's 50000
 * pages into its own domain, in chunks. */
struct thr_arg {
    uint32_t dom;
    int ok;
};

static void *thr_main(void *p)
{
    struct thr_arg *t = p;
    xc_interface *x = xc_interface_open(NULL, NULL, 0);
    enum { N = 50000, CH = 4096 };
    static __thread xen_ulong_t idx[CH];
    static __thread xen_pfn_t gp[CH];
    static __thread int errs[CH];
    t->ok = x != NULL;
    for (unsigned done = 0; x && done < N; done += CH) {
        unsigned n = N - done < CH ? N - done : CH;
        for (unsigned i = 0; i < n; i++) {
            idx[i] = 0x100000 + done + i;
            gp[i] = 0x300000 + done + i;
        }
        if (xc_domain_add_to_physmap_batch(x, t->dom, 1, SHARE, n, idx, gp, errs) != 0 ||
            !all_eq(errs, n, 0))
            t->ok = 0;
    }
    if (x)
        xc_interface_close(x);
    return NULL;
}

/* ---- child processes (exec'ed, so they attach to XENSIM_STATE anew) ---- */

static int child_main(void)
{
    int bad = 0, e;
    int errs[1];
    char buf[32] = { 0 };
    xc_domaininfo_t info;

    xch = xc_interface_open(NULL, NULL, 0);
    if (!xch)
        return 10;
    if (xc_domain_getinfolist(xch, 9, 1, &info) != 1 || info.domain != 9)
        bad |= 1;
    if (map_range(10, 9, SHARE, 0x10, 0x20, 1, errs, &e) != 0 || errs[0] != 0)
        bad |= 2;
    if (xensim_read(10, 0x20 * PG, buf, 12) != 0 || memcmp(buf, "from parent", 12) != 0)
        bad |= 4;
    if (xensim_write(10, 0x20 * PG + 64, "from child", 11) != 0)
        bad |= 8;
    xc_interface_close(xch);
    return bad;
}

static int run_child(const char *mode, const char *personality)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (personality)
            setenv("XENSIM_PERSONALITY", personality, 1);
        execl("/proc/self/exe", "test_xensim", mode, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- helpers for the reference / lifecycle / multicall sections ---------- */

static xencall_handle *xcall;

static uint64_t tot_of(uint32_t d)
{
    uint64_t t = UINT64_MAX;
    xensim_domain_info(d, &t, NULL);
    return t;
}

static uint32_t flags_of(uint32_t d)
{
    uint32_t f = 0;
    xensim_domain_info(d, NULL, &f);
    return f;
}

static int gone(uint32_t d)
{
    return xensim_domain_info(d, NULL, NULL) == -ESRCH;
}

static int dying(uint32_t d)
{
    return !gone(d) && (flags_of(d) & XEN_DOMINF_dying);
}

/* getdomaininfolist for exactly d: 1 and *info, or 0 if d is not listed. */
static int xc_info(uint32_t d, xc_domaininfo_t *info)
{
    return xc_domain_getinfolist(xch, d, 1, info) == 1 && info->domain == d;
}

/* Per-page removes; returns how many answered 0. */
static unsigned remove_range(uint32_t d, uint64_t g0, unsigned n)
{
    unsigned ok = 0;
    int e;
    for (unsigned i = 0; i < n; i++)
        ok += remove_gfn(d, g0 + i, &e) == 0;
    return ok;
}

static int panicked(char *buf, size_t len)
{
    return xensim_panicked(buf, len);
}

/* A multicall of n memory_op(XENMEM_remove_from_physmap) entries for gfns
 * g0.., in one hypercall buffer (entries, then their arguments). */
struct mc {
    multicall_entry_t *e;
    struct xen_remove_from_physmap *args;
    unsigned n;
};

static int mc_alloc(struct mc *m, unsigned n)
{
    m->n = n;
    m->e = xencall_alloc_buffer(xcall, n * (sizeof(*m->e) + sizeof(*m->args)));
    m->args = m->e ? (void *)(m->e + n) : NULL;
    return m->e != NULL;
}

static void mc_set_remove(struct mc *m, unsigned j, uint32_t dom, uint64_t gfn)
{
    memset(&m->e[j], 0, sizeof(m->e[j]));
    m->e[j].op = __HYPERVISOR_memory_op;
    m->e[j].args[0] = XENMEM_remove_from_physmap;
    m->e[j].args[1] = (xen_ulong_t)(uintptr_t)&m->args[j];
    m->e[j].result = 0x5555;
    m->args[j].domid = (domid_t)dom;
    m->args[j].gpfn = gfn;
}

static int mc_call(struct mc *m, unsigned n, int *err)
{
    errno = 0;
    int rc = xencall2(xcall, __HYPERVISOR_multicall, (uint64_t)(uintptr_t)m->e, n);
    *err = errno;
    return rc;
}

static struct xen_domctl_createdomain base_config(void)
{
    struct xen_domctl_createdomain c;
    memset(&c, 0, sizeof(c));
    c.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    c.max_vcpus = 1;
    c.max_evtchn_port = 1023;
    c.max_grant_frames = 32;
    c.max_maptrack_frames = 1024;
    c.grant_opts = XEN_DOMCTL_GRANT_version(1);
    memcpy(c.handle, "\x5e\x11\x2a\x00\x11\x22\x44\x88\x90\xab\xcd\xef\x01\x23\x45\x67", 16);
    return c;
}

/* xc_domain_create: 0 and *domid, or -errno. */
static int create_hc(uint32_t *domid, struct xen_domctl_createdomain *c)
{
    errno = 0;
    int rc = xc_domain_create(xch, domid, c);
    return rc ? -errno : 0;
}

/* The Arm view of the config's arch bytes (gic_version, tee_type). */
static uint8_t *arch_bytes(struct xen_domctl_createdomain *c)
{
    return (uint8_t *)c + offsetof(struct xen_domctl_createdomain, arch);
}

static int populate_hc(uint32_t dom, uint64_t g0, unsigned long n)
{
    xen_pfn_t *g = calloc(n ? n : 1, sizeof(*g));
    for (unsigned long i = 0; i < n; i++)
        g[i] = g0 + i;
    errno = 0;
    int rc = xc_domain_populate_physmap_exact(xch, dom, n, 0, 0, g);
    int e = errno;
    free(g);
    return rc ? -e : 0;
}

static void lifecycle_sections(void)
{
    int e, rc;
    char msg[256];

    xcall = xencall_open(NULL, 0);

    /* ------------------------------------------------------------------ */
    section("personalities: version strings");
    {
        static const char *extra[] = { ".7-xsim-stock", ".7-xsim-series", ".7-xsim-fixed" };
        static const char *word[] = { "stock", "series:", "series-fixed" };
        for (int p = 0; p <= 2; p++) {
            xen_extraversion_t ev;
            xen_changeset_info_t cs;
            struct { xen_build_id_t h; unsigned char buf[64]; } bid;
            CHECK(xensim_set_personality(p) == 0, "set %d", p);
            CHECK(xc_version(xch, XENVER_extraversion, ev) == 0 && strcmp(ev, extra[p]) == 0,
                  "extraversion '%s'", ev);
            CHECK(xc_version(xch, XENVER_changeset, cs) == 0 && strstr(cs, word[p]), "changeset '%s'", cs);
            bid.h.len = sizeof(bid.buf);
            rc = xc_version(xch, XENVER_build_id, &bid);
            CHECK(rc == 20 && memcmp(bid.buf, "xsim", 4) == 0 && bid.buf[4] == p,
                  "build id rc %d byte4 %d", rc, bid.buf[4]);
            printf("    personality %d: Xen 4.17%s, changeset \"%s\"\n", p, ev, cs);
        }
        struct { xen_build_id_t h; unsigned char buf[8]; } small = { .h.len = 8 };
        errno = 0;
        rc = xc_version(xch, XENVER_build_id, &small);
        CHECK(rc == -1 && errno == ENOBUFS, "build id into 8 bytes: rc %d errno %d", rc, errno);
        CHECK(xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "back to series-fixed");
    }

    /* ------------------------------------------------------------------ */
    section("series as shipped: detach frees a live owner's pages");
    {
        int errs[16];
        char buf[16] = { 0 };
        xc_domaininfo_t info;
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_SERIES) == 0, "reset, series");
        CHECK(xensim_create_domain(1) == 0 && xensim_create_domain(2) == 0, "create");
        CHECK(xensim_populate(1, 0x1000, 64) == 0, "owner RAM");
        CHECK(xensim_write(1, 0x1003 * PG, "owner's", 8) == 0, "write");
        rc = map_range(2, 1, SHARE, 0x1000, 0x8000, 16, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 16, 0), "share 16: rc %d err %d", rc, errs[0]);
        CHECK(xensim_ref_count(1, 0x1000) == 1 && xensim_ref_count(2, 0x8000) == 1,
              "no reference taken: %" PRId64, xensim_ref_count(1, 0x1000));
        CHECK(xensim_read(2, 0x8003 * PG, buf, 8) == 0 && strcmp(buf, "owner's") == 0, "borrower reads");
        CHECK(remove_range(2, 0x8000, 16) == 16, "borrower removes its 16");
        CHECK(xc_info(1, &info) && info.tot_pages == 48 && !(info.flags & XEN_DOMINF_dying),
              "running owner lost exactly the 16 mapped pages: tot_pages %" PRIu64,
              (uint64_t)info.tot_pages);
        CHECK(xensim_frames_in_use() == 48, "frames in use %" PRIu64, xensim_frames_in_use());
        CHECK(xensim_ref_count(1, 0x1000) == 0 && xensim_p2m_lookup(1, 0x1000) >= 0,
              "owner keeps a dangling entry to a free page");
        memset(buf, 0, sizeof(buf));
        CHECK(xensim_read(1, 0x1003 * PG, buf, 8) == 0 && strcmp(buf, "owner's") == 0,
              "dangling entry still readable in the simulator '%s'", buf);
        rc = map_range(2, 1, SHARE, 0x1000, 0x8000, 16, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 16, -EINVAL), "mapping those gfns again: EINVAL (%d)", errs[0]);
        rc = map_range(2, 1, FOREIGN, 0x1000, 0x8000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EPERM, "foreign still EPERM first: %d", errs[0]);
        CHECK(xensim_set_target(2, 1) == 0, "target");
        rc = map_range(2, 1, FOREIGN, 0x1000, 0x8000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EINVAL, "foreign from a freed page: %d", errs[0]);
        rc = remove_gfn(1, 0x1000, &e);
        CHECK(rc == -1 && e == ENOENT && xensim_p2m_lookup(1, 0x1000) >= 0,
              "owner's own remove of a freed page: ENOENT, entry stays (errno %d)", e);
        rc = map_range(2, 1, SHARE, 0x1010, 0x9000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == 0, "an untouched page maps: %d", errs[0]);
        CHECK(remove_range(2, 0x9000, 1) == 1 && tot_of(1) == 47, "and is lost the same way");
        CHECK(!panicked(NULL, 0), "no panic");
        CHECK(xensim_destroy_domain(1) == 0 && dying(1) && tot_of(1) == 0,
              "owner destroyed: no page left, a zombie only because 2 holds it as target");
        CHECK(xensim_frames_in_use() == 0, "everything freed: %" PRIu64, xensim_frames_in_use());
        CHECK(xensim_destroy_domain(2) == 0 && gone(2) && gone(1), "borrower destroyed: both gone");
    }

    /* ------------------------------------------------------------------ */
    section("series as shipped: owner destroyed first -> panic");
    {
        int errs[4];
        char buf[16] = { 0 };
        xc_domaininfo_t info;
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_SERIES) == 0, "reset, series");
        CHECK(xensim_create_domain(1) == 0 && xensim_create_domain(2) == 0, "create");
        CHECK(xensim_populate(1, 0x40, 4) == 0 && xensim_write(1, 0x40 * PG, "gone", 5) == 0, "RAM");
        rc = map_range(2, 1, SHARE, 0x40, 0x80, 4, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 4, 0), "share");
        CHECK(xensim_destroy_domain(1) == 0, "destroy owner");
        CHECK(gone(1) && xensim_frames_in_use() == 0, "owner freed at once, pages too");
        CHECK(xensim_read(2, 0x80 * PG, buf, 5) == 0, "borrower's dangling entry still reads");
        CHECK(!panicked(msg, sizeof(msg)) && msg[0] == 0, "not yet");
        rc = remove_gfn(2, 0x80, &e);
        CHECK(rc == -1 && e == EIO, "the remove kills the hypervisor: rc %d errno %d", rc, e);
        CHECK(panicked(msg, sizeof(msg)) == 1 && strstr(msg, "fdom != NULL") &&
              strstr(msg, "arch/arm/p2m.c:622"), "panic message '%s'", msg);
        errno = 0;
        rc = xc_version(xch, XENVER_version, NULL);
        CHECK(rc == -1 && errno == EIO, "then every hypercall: EIO (%d)", errno);
        errno = 0;
        CHECK(xc_domain_getinfolist(xch, 0, 1, &info) == -1 && errno == EIO, "getinfolist EIO");
        CHECK(remove_gfn(2, 0x81, &e) == -1 && e == EIO, "remove EIO");
        char small[8];
        CHECK(panicked(small, sizeof(small)) == 1 && strlen(small) == 7, "truncated message");
        CHECK(xensim_reset() == 0 && !panicked(NULL, 0), "reset clears the panic");
        CHECK(xc_version(xch, XENVER_version, NULL) == 0x40011, "alive again");

        /* The borrower's own teardown hits put_page's assertion instead. */
        CHECK(xensim_set_personality(XENSIM_SERIES) == 0, "series");
        CHECK(xensim_create_domain(1) == 0 && xensim_create_domain(2) == 0, "create");
        CHECK(xensim_populate(1, 0x40, 2) == 0, "RAM");
        rc = map_range(2, 1, SHARE, 0x40, 0x80, 2, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 2, 0), "share");
        CHECK(xensim_destroy_domain(1) == 0 && gone(1), "owner gone");
        errno = 0;
        rc = xc_domain_destroy(xch, 2);
        CHECK(rc == -1 && errno == EIO, "destroying the borrower panics: rc %d errno %d", rc, errno);
        CHECK(panicked(msg, sizeof(msg)) == 1 && strstr(msg, "PGC_count_mask"), "'%s'", msg);
        CHECK(xensim_reset() == 0, "reset");
    }

    /* ------------------------------------------------------------------ */
    section("series fixed + gmfn_foreign keep the owner's pages");
    {
        int errs[16];
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "reset");
        CHECK(xensim_create_domain(1) == 0 && xensim_create_domain(2) == 0 &&
              xensim_create_domain(3) == 0, "create");
        CHECK(xensim_populate(1, 0x1000, 32) == 0, "owner RAM");
        CHECK(xensim_ref_count(1, 0x1000) == 1, "allocation reference only");
        rc = map_range(2, 1, SHARE, 0x1000, 0x8000, 16, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 16, 0), "share");
        CHECK(xensim_ref_count(1, 0x1000) == 2, "share took one: %" PRId64, xensim_ref_count(1, 0x1000));
        CHECK(remove_range(2, 0x8000, 16) == 16, "remove");
        CHECK(tot_of(1) == 32 && xensim_ref_count(1, 0x1000) == 1, "owner keeps 32 (%" PRIu64 ")", tot_of(1));
        rc = map_range(2, 1, SHARE, 0x1000, 0x8000, 16, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 16, 0), "maps again");
        rc = map_range(2, 0, SHARE, 0x1000, 0x9000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -ESRCH, "dom0 as share owner (get_pg_owner): %d", errs[0]);
        rc = map_range(2, 2, SHARE, 0x1000, 0x9000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EINVAL, "owner == borrower: %d", errs[0]);
        CHECK(remove_range(2, 0x8000, 16) == 16, "remove");
        CHECK(xensim_set_target(3, 1) == 0, "3 is 1's device model");
        for (int p = 0; p <= 2; p++) {
            CHECK(xensim_set_personality(p) == 0, "personality %d", p);
            rc = map_range(3, 1, FOREIGN, 0x1000, 0xa000, 4, errs, &e);
            CHECK(rc == 0 && all_eq(errs, 4, 0), "foreign (%d): %d", p, errs[0]);
            CHECK(xensim_ref_count(1, 0x1003) == 2, "foreign took one (%d)", p);
            CHECK(remove_range(3, 0xa000, 4) == 4 && xensim_ref_count(1, 0x1003) == 1 && tot_of(1) == 32,
                  "foreign remove gives it back (%d)", p);
        }
        CHECK(xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "back");
        /* A borrower's teardown drops the references its mappings hold. */
        rc = map_range(2, 1, SHARE, 0x1000, 0x8000, 8, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 8, 0), "share 8");
        CHECK(xensim_destroy_domain(2) == 0 && gone(2), "borrower destroyed and gone");
        CHECK(tot_of(1) == 32 && xensim_ref_count(1, 0x1000) == 1, "owner intact");
        CHECK(!panicked(NULL, 0), "no panic");
    }

    /* ------------------------------------------------------------------ */
    section("owner destroyed while mapped: dying until last remove");
    {
        int errs[4];
        char buf[16] = { 0 };
        xc_domaininfo_t info;
        uint8_t h1[16];
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "reset");
        CHECK(xensim_create_domain(1) == 0 && xensim_create_domain(2) == 0 &&
              xensim_create_domain(3) == 0, "create");
        CHECK(xc_info(1, &info), "info");
        memcpy(h1, info.handle, 16);
        CHECK(xensim_populate(1, 0x40, 8) == 0 && xensim_write(1, 0x41 * PG, "kept", 5) == 0, "RAM");
        CHECK(xensim_populate(3, 0x10, 2) == 0, "3 has RAM");
        rc = map_range(2, 1, SHARE, 0x40, 0x80, 3, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 3, 0), "map 3 of 8");
        CHECK(xensim_destroy_domain(1) == 0, "destroy owner");
        CHECK(dying(1) && tot_of(1) == 3, "dying with exactly the 3 mapped pages (%" PRIu64 ")", tot_of(1));
        CHECK(xc_info(1, &info) && (info.flags & XEN_DOMINF_dying) && info.tot_pages == 3,
              "getdomaininfolist: flags %#x tot %" PRIu64, info.flags, (uint64_t)info.tot_pages);
        xc_dominfo_t di;
        CHECK(xc_domain_getinfo(xch, 1, 1, &di) == 1 && di.domid == 1 && di.dying && di.nr_pages == 3,
              "getdomaininfo: dying %u pages %lu", di.dying, di.nr_pages);
        CHECK(xensim_frames_in_use() == 3 + 2, "frames %" PRIu64, xensim_frames_in_use());
        CHECK(xensim_read(2, 0x81 * PG, buf, 5) == 0 && strcmp(buf, "kept") == 0, "bytes kept '%s'", buf);
        CHECK(xensim_create_domain(1) == -EEXIST, "its domid is still taken");
        rc = map_range(2, 1, SHARE, 0x43, 0x90, 2, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 2, -EINVAL), "map from a dying owner: %d", errs[0]);
        rc = map_range(2, 1, SHARE, 0x40, 0x91, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EINVAL, "even a page it still owns: %d", errs[0]);
        rc = map_range(1, 3, SHARE, 0x10, 0x20, 2, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 2, -ENOMEM), "map into a dying domain: %d", errs[0]);
        CHECK(xensim_ref_count(3, 0x10) == 1, "no reference left behind");
        CHECK(remove_gfn(1, 0x40, &e) == -1 && e == ENOENT, "remove in a dying domain: ENOENT");
        CHECK(remove_range(2, 0x80, 1) == 1 && tot_of(1) == 2, "2 left");
        CHECK(remove_range(2, 0x81, 1) == 1 && tot_of(1) == 1, "1 left");
        CHECK(remove_range(2, 0x82, 1) == 1 && gone(1), "last remove: gone");
        CHECK(xc_domain_getinfolist(xch, 1, 1, &info) == 1 && info.domain == 2, "not listed");
        CHECK(xensim_frames_in_use() == 2, "only 3's RAM left");
        CHECK(xensim_create_domain(1) == 0 && xc_info(1, &info), "domid free again");
        CHECK(memcmp(h1, info.handle, 16) != 0, "a re-created domid has a new handle");
    }

    /* ------------------------------------------------------------------ */
    section("set_target keeps a dead owner a zombie");
    {
        int errs[4];
        xc_domaininfo_t info;
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_STOCK) == 0, "reset, stock");
        CHECK(xensim_create_domain(1) == 0 && xensim_create_domain(2) == 0, "create");
        CHECK(xensim_populate(1, 0x40, 8) == 0, "RAM");
        CHECK(xc_domain_set_target(xch, 2, 1) == 0, "set_target(2, 1)");
        rc = map_range(2, 1, FOREIGN, 0x40, 0x80, 4, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 4, 0), "foreign");
        CHECK(xc_domain_destroy(xch, 1) == 0, "xc_domain_destroy(owner)");
        CHECK(dying(1) && tot_of(1) == 4, "dying with 4");
        CHECK(remove_range(2, 0x80, 4) == 4, "remove all");
        CHECK(dying(1) && tot_of(1) == 0, "zombie: dying, tot_pages 0");
        CHECK(xc_info(1, &info) && info.tot_pages == 0 && (info.flags & XEN_DOMINF_dying), "listed");
        errno = 0;
        CHECK(xc_domain_set_target(xch, 2, 1) == -1 && errno == EINVAL, "target cannot change");
        CHECK(xc_domain_destroy(xch, 2) == 0, "destroy the borrower");
        CHECK(gone(2) && gone(1), "both gone");
        CHECK(xc_domain_getinfolist(xch, 1, 1, &info) == 0, "nothing but dom0");
        /* Destroying the borrower first while it still maps the pages. */
        CHECK(xensim_create_domain(1) == 0 && xensim_create_domain(2) == 0, "create");
        CHECK(xensim_populate(1, 0x40, 8) == 0 && xc_domain_set_target(xch, 2, 1) == 0, "RAM, target");
        rc = map_range(2, 1, FOREIGN, 0x40, 0x80, 4, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 4, 0), "foreign");
        CHECK(xc_domain_destroy(xch, 2) == 0 && gone(2), "borrower gone (owns nothing)");
        CHECK(tot_of(1) == 8 && xensim_ref_count(1, 0x40) == 1, "its teardown gave the references back");
        CHECK(xc_domain_destroy(xch, 1) == 0 && gone(1), "owner then goes at once");
        CHECK(xensim_frames_in_use() == 0, "all free");
    }

    /* ------------------------------------------------------------------ */
    section("remap of the same page leaks a reference");
    {
        int errs[4];
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_STOCK) == 0, "reset, stock");
        CHECK(xensim_create_domain(1) == 0, "create");
        CHECK(xensim_populate(1, 0x10, 4) == 0, "RAM");
        rc = map_range(0, 1, FOREIGN, 0x10, 0x500, 4, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 4, 0), "foreign into dom0 (no target needed)");
        uint64_t rep0 = xensim_replaced_count();
        rc = map_range(0, 1, FOREIGN, 0x10, 0x500, 4, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 4, 0) && xensim_replaced_count() == rep0 + 4, "same again");
        CHECK(xensim_ref_count(1, 0x10) == 3, "one reference per map, none dropped: %" PRId64,
              xensim_ref_count(1, 0x10));
        /* A different page over an entry drops the old one's reference. */
        rc = map_range(0, 1, FOREIGN, 0x13, 0x500, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == 0, "other page over 0x500");
        CHECK(xensim_ref_count(1, 0x10) == 2 && xensim_ref_count(1, 0x13) == 4, "refs %" PRId64 " %" PRId64,
              xensim_ref_count(1, 0x10), xensim_ref_count(1, 0x13));
        CHECK(remove_range(0, 0x500, 4) == 4, "remove all 4");
        CHECK(xensim_ref_count(1, 0x10) == 2 && xensim_ref_count(1, 0x11) == 2, "leaked one each");
        CHECK(xensim_destroy_domain(1) == 0, "destroy owner");
        CHECK(dying(1) && tot_of(1) == 4, "zombie forever with 4 pages (%" PRIu64 ")", tot_of(1));
        CHECK(xensim_frames_in_use() == 4, "frames %" PRIu64, xensim_frames_in_use());

        /* series-fixed gmfn_share between domUs: the same leak survives the borrower. */
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "reset, fixed");
        CHECK(xensim_create_domain(1) == 0 && xensim_create_domain(2) == 0, "create");
        CHECK(xensim_populate(1, 0x10, 4) == 0, "RAM");
        rc = map_range(2, 1, SHARE, 0x10, 0x500, 4, errs, &e);
        rc |= map_range(2, 1, SHARE, 0x10, 0x500, 4, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 4, 0) && xensim_ref_count(1, 0x10) == 3, "mapped twice");
        CHECK(remove_range(2, 0x500, 4) == 4, "removed");
        CHECK(xensim_destroy_domain(1) == 0 && xensim_destroy_domain(2) == 0, "destroy both");
        CHECK(gone(2) && dying(1) && tot_of(1) == 4, "owner stays a zombie after the borrower died");

        /* The series as shipped takes no reference, so nothing leaks. */
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_SERIES) == 0, "reset, series");
        CHECK(xensim_create_domain(1) == 0 && xensim_create_domain(2) == 0, "create");
        CHECK(xensim_populate(1, 0x10, 4) == 0, "RAM");
        rc = map_range(2, 1, SHARE, 0x10, 0x500, 4, errs, &e);
        rc |= map_range(2, 1, SHARE, 0x10, 0x500, 4, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 4, 0) && xensim_ref_count(1, 0x10) == 1, "still 1");
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "reset");
    }

    /* ------------------------------------------------------------------ */
    section("multicall: per-entry results, poisoning");
    {
        enum { N = 300, M = N + 4, K = N / 2 };
        int errs[N];
        struct mc m;
        CHECK(xcall != NULL, "xencall_open");
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "reset");
        CHECK(xensim_create_domain(1) == 0 && xensim_create_domain(2) == 0, "create");
        CHECK(xensim_populate(1, 0x1000, N) == 0, "RAM");
        rc = map_range(2, 1, SHARE, 0x1000, 0x5000, N, errs, &e);
        CHECK(rc == 0 && all_eq(errs, N, 0), "map %d", N);
        unsigned pre = 0;
        for (unsigned i = 0; i < N; i += 3)
            pre += remove_gfn(2, 0x5000 + i, &e) == 0;
        CHECK(pre == (N + 2) / 3, "pre-removed every third: %u", pre);
        CHECK(mc_alloc(&m, M), "buffer");
        long want[M];
        for (unsigned j = 0, g = 0; j < M; j++) {
            mc_set_remove(&m, j, 2, 0x5000);
            if (j >= K && j < K + 4) {
                if (j == K)     { m.args[j].domid = 0x7000; want[j] = -ESRCH; }
                if (j == K + 1) { m.e[j].args[1] = 0x10; want[j] = -EFAULT; }
                if (j == K + 2) { m.e[j].op = 9999; want[j] = -ENOSYS; }
                if (j == K + 3) { m.e[j].args[0] = 0x7777; want[j] = -ENOSYS; }
                continue;
            }
            m.args[j].gpfn = 0x5000 + g;
            want[j] = g % 3 == 0 ? -ENOENT : 0;
            g++;
        }
        uint64_t rm0 = xensim_op_count(XENSIM_OP_REMOVE), mc0 = xensim_op_count(XENSIM_OP_MULTICALL);
        rc = mc_call(&m, M, &e);
        CHECK(rc == 0, "multicall rc %d errno %d", rc, e);
        unsigned bad = 0, poisoned = 0, zero = 0, noent = 0;
        for (unsigned j = 0; j < M; j++) {
            long r = (long)m.e[j].result;
            bad += r != want[j];
            zero += r == 0;
            noent += r == -ENOENT;
            int p = m.e[j].op == 0xAAAAAAAAAAAAAAAAUL;
            for (int a = 0; a < 6; a++)
                p &= m.e[j].args[a] == 0xAAAAAAAAAAAAAAAAUL;
            poisoned += p;
        }
        CHECK(bad == 0, "%u results differ (odd: %ld %ld %ld %ld)", bad, (long)m.e[K].result,
              (long)m.e[K + 1].result, (long)m.e[K + 2].result, (long)m.e[K + 3].result);
        CHECK(zero == N - pre && noent == pre, "%u x 0, %u x -ENOENT", zero, noent);
        CHECK(poisoned == M, "every entry's op and args overwritten with 0xAA (%u of %u)", poisoned, M);
        CHECK(xensim_op_count(XENSIM_OP_MULTICALL) == mc0 + 1, "one multicall counted");
        CHECK(xensim_op_count(XENSIM_OP_REMOVE) == rm0 + N + 2, "each inner remove counted: %" PRIu64,
              xensim_op_count(XENSIM_OP_REMOVE) - rm0);
        CHECK(xensim_p2m_count(2) == 0 && tot_of(1) == N, "all unmapped, owner intact");
        /* Reusing the entries without rebuilding them is caught. */
        rc = mc_call(&m, 4, &e);
        CHECK(rc == 0 && (long)m.e[0].result == -ENOSYS && (long)m.e[3].result == -ENOSYS,
              "stale entries: %ld", (long)m.e[0].result);
        /* Whole-call failures. */
        CHECK(xensim_fail_nth(XENSIM_OP_MULTICALL, 1, EAGAIN) == 0, "arm");
        mc_set_remove(&m, 0, 2, 0x5001);
        rc = mc_call(&m, 1, &e);
        CHECK(rc == -1 && e == EAGAIN && m.e[0].result == 0x5555, "injected: errno %d, entry untouched", e);
        errno = 0;
        rc = xencall2(xcall, __HYPERVISOR_multicall, 0x10, 2);
        CHECK(rc == -1 && errno == EFAULT, "bad list: errno %d", errno);
        CHECK(xencall2(xcall, __HYPERVISOR_multicall, (uintptr_t)m.e, 0) == 0, "empty list");

        /* The series as shipped: a multicall teardown frees the live owner's pages too. */
        CHECK(xensim_set_personality(XENSIM_SERIES) == 0, "series");
        rc = map_range(2, 1, SHARE, 0x1000, 0x5000, 16, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 16, 0), "share 16");
        for (unsigned j = 0; j < 16; j++)
            mc_set_remove(&m, j, 2, 0x5000 + j);
        rc = mc_call(&m, 16, &e);
        CHECK(rc == 0 && m.e[0].result == 0 && m.e[15].result == 0, "multicall remove");
        CHECK(tot_of(1) == N - 16, "owner lost 16: %" PRIu64, tot_of(1));
        xencall_free_buffer(xcall, m.e);
        CHECK(xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "back");
    }

    /* ------------------------------------------------------------------ */
    section("createdomain validation and domid rover");
    {
        struct xen_domctl_createdomain c;
        uint32_t d;
        CHECK(xensim_reset() == 0, "reset");
        c = base_config(); d = 0;
        CHECK(create_hc(&d, &c) == 0 && d == 1, "first: domid %u", d);
        CHECK(arch_bytes(&c)[0] == 2, "GIC native reported back as v3 (%u)", arch_bytes(&c)[0]);
        c = base_config(); d = 0;
        CHECK(create_hc(&d, &c) == 0 && d == 2, "second: domid %u", d);
        CHECK(xc_domain_destroy(xch, 1) == 0 && gone(1), "destroy 1");
        c = base_config(); d = 0;
        CHECK(create_hc(&d, &c) == 0 && d == 3, "rover moves on, not lowest free: %u", d);
        c = base_config(); d = 1;
        CHECK(create_hc(&d, &c) == 0 && d == 1, "explicit free id");
        c = base_config(); d = 2;
        CHECK(create_hc(&d, &c) == -EEXIST, "explicit taken id: EEXIST");
        struct { const char *what; int want; void (*f)(struct xen_domctl_createdomain *); } cases[] = {
            { "hvm only", -EINVAL, NULL }, { "no flags", -EINVAL, NULL }, { "hap without hvm", -EINVAL, NULL },
            { "xs_domain", -EINVAL, NULL }, { "0 vcpus", -EINVAL, NULL }, { "129 vcpus", -EINVAL, NULL },
            { "gicv2 9 vcpus", -EINVAL, NULL }, { "iommu", -EINVAL, NULL }, { "grant v2", -EINVAL, NULL },
            { "grant v0", -EINVAL, NULL }, { "grant frames 65", -EINVAL, NULL }, { "cpupool 1", -ESRCH, NULL },
            { "tee optee", -EINVAL, NULL }, { "unknown gic", -EINVAL, NULL },
        };
        for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            c = base_config();
            switch (i) {
            case 0: c.flags = XEN_DOMCTL_CDF_hvm; break;
            case 1: c.flags = 0; break;
            case 2: c.flags = XEN_DOMCTL_CDF_hap; break;
            case 3: c.flags |= XEN_DOMCTL_CDF_xs_domain; break;
            case 4: c.max_vcpus = 0; break;
            case 5: c.max_vcpus = 129; break;
            case 6: arch_bytes(&c)[0] = 1; c.max_vcpus = 9; break;
            case 7: c.flags |= XEN_DOMCTL_CDF_iommu; break;
            case 8: c.grant_opts = XEN_DOMCTL_GRANT_version(2); break;
            case 9: c.grant_opts = 0; break;
            case 10: c.max_grant_frames = 65; break;
            case 11: c.cpupool_id = 1; break;
            case 12: arch_bytes(&c)[2] = 1; break;
            case 13: arch_bytes(&c)[0] = 7; break;
            }
            d = 0;
            rc = create_hc(&d, &c);
            CHECK(rc == cases[i].want, "%s: %d", cases[i].what, rc);
        }
        c = base_config(); c.max_vcpus = 128; c.flags |= XEN_DOMCTL_CDF_vpmu; d = 0;
        CHECK(create_hc(&d, &c) == 0, "128 vcpus + vpmu accepted");
        c = base_config(); arch_bytes(&c)[0] = 1; c.max_vcpus = 8; d = 0;
        CHECK(create_hc(&d, &c) == 0 && arch_bytes(&c)[0] == 1, "gicv2 with 8 vcpus");
        printf("    rover after %u failed creations: next domid %u\n",
               (unsigned)(sizeof(cases) / sizeof(cases[0])), d);
        CHECK(d == 4 + (unsigned)(sizeof(cases) / sizeof(cases[0])) + 1,
              "failed creations still moved the rover: %u", d);
    }

    /* ------------------------------------------------------------------ */
    section("create / setmaxmem / pool / populate / destroy");
    {
        struct xen_domctl_createdomain c = base_config();
        uint32_t d = 0;
        xc_domaininfo_t info;
        uint64_t size = 0;
        CHECK(xensim_reset() == 0 && xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "reset");
        CHECK(create_hc(&d, &c) == 0 && d == 1, "create");
        CHECK(xc_info(d, &info) && info.tot_pages == 0 && info.max_pages == 0 &&
              (info.flags & XEN_DOMINF_paused) && !(info.flags & XEN_DOMINF_dying) &&
              info.nr_online_vcpus == 0 && memcmp(info.handle, c.handle, 16) == 0,
              "new domain: paused, empty, handle from the config (flags %#x)", info.flags);
        CHECK(populate_hc(d, 0x40000, 1) == -EBUSY && tot_of(d) == 0, "populate without max_mem: EBUSY");
        CHECK(xc_domain_setmaxmem(xch, d, 64 * 1024) == 0 && xc_info(d, &info) &&
              info.max_pages == 16384, "setmaxmem 64 MiB: max_pages %" PRIu64, (uint64_t)info.max_pages);
        unsigned int mb = 32;
        errno = 0;
        CHECK(xc_shadow_control(xch, d, XEN_DOMCTL_SHADOW_OP_SET_ALLOCATION, &mb, 0) == -1 &&
              errno == ENOSYS, "shadow_op on Arm: ENOSYS (%d)", errno);
        CHECK(xc_get_paging_mempool_size(xch, d, &size) == 0 && size == 16 * PG,
              "initial p2m pool: 16 pages (%" PRIu64 ")", size);
        /* 32 MiB needs 16 L3 tables + 1 L2 table: one more than the pool. */
        CHECK(populate_hc(d, 0x40000, 8192) == -EBUSY, "32 MiB with the initial pool: EBUSY");
        CHECK(xensim_p2m_count(d) == 15 * 512 && tot_of(d) == 15 * 512 + 1,
              "15 tables' worth mapped, 1 page allocated but unmapped (mapped %" PRIu64 ", tot %" PRIu64 ")",
              xensim_p2m_count(d), tot_of(d));
        CHECK(xc_set_paging_mempool_size(xch, d, 64 * PG) == 0 &&
              xc_get_paging_mempool_size(xch, d, &size) == 0 && size == 64 * PG, "pool 64 pages");
        CHECK(populate_hc(d, 0x40000 + 15 * 512, 512) == 0, "rest populated");
        CHECK(xc_info(d, &info) && info.tot_pages == 8193 && xensim_p2m_count(d) == 8192,
              "tot_pages %" PRIu64, (uint64_t)info.tot_pages);
        errno = 0;
        CHECK(xc_set_paging_mempool_size(xch, d, 4 * PG) == -1 && errno == ENOMEM &&
              xc_get_paging_mempool_size(xch, d, &size) == 0 && size == 17 * PG,
              "shrinking below the tables in use: ENOMEM, pool %" PRIu64, (uint64_t)(size / PG));
        errno = 0;
        CHECK(xc_set_paging_mempool_size(xch, d, 100) == -1 && errno == EINVAL, "unaligned size");
        CHECK(xc_domain_setmaxmem(xch, d, 8193 * 4) == 0 && populate_hc(d, 0x50000, 1) == -EBUSY,
              "max_pages enforced");
        CHECK(populate_hc(0, 0x50000, 1) == -EBUSY, "dom0 (direct mapped): nothing");
        CHECK(populate_hc(77, 0x50000, 1) == -EBUSY, "missing domain: nothing");
        CHECK(xc_domain_unpause(xch, d) == 0 && !(flags_of(d) & XEN_DOMINF_paused), "unpause");
        errno = 0;
        CHECK(xc_domain_unpause(xch, d) == -1 && errno == EINVAL, "unpause again: EINVAL");
        CHECK(xc_domain_pause(xch, d) == 0 && (flags_of(d) & XEN_DOMINF_paused), "pause");
        errno = 0;
        CHECK(xc_domain_pause(xch, 0) == -1 && errno == EINVAL, "pause dom0: EINVAL");
        CHECK(xensim_write(d, 0x40000 * PG, "guest", 6) == 0, "bytes in its RAM");
        CHECK(xensim_frames_in_use() == 8193, "frames %" PRIu64, xensim_frames_in_use());
        CHECK(xc_domain_destroy(xch, d) == 0 && gone(d), "destroy: gone");
        CHECK(xensim_frames_in_use() == 0, "all its pages freed");
        errno = 0;
        CHECK(xc_domain_destroy(xch, 0) == -1 && errno == EINVAL, "destroy dom0: EINVAL");
        errno = 0;
        CHECK(xc_domain_destroy(xch, d) == -1 && errno == ESRCH, "destroy again: ESRCH");

        /* A full round trip through the hypercalls only. */
        uint32_t own = 0, bor = 0;
        int errs[256], e2;
        c = base_config();
        CHECK(create_hc(&own, &c) == 0 && create_hc(&bor, &c) == 0, "owner d%u, borrower d%u", own, bor);
        CHECK(xc_domain_setmaxmem(xch, own, 1024) == 0 && xc_domain_setmaxmem(xch, bor, 1024) == 0, "max");
        CHECK(populate_hc(own, 0x40000, 256) == 0 && populate_hc(bor, 0x40000, 16) == 0, "populate");
        rc = map_range(bor, own, SHARE, 0x40000, 0x50000, 256, errs, &e2);
        CHECK(rc == 0 && all_eq(errs, 256, 0), "share 256");
        CHECK(xc_domain_destroy(xch, own) == 0 && dying(own) && tot_of(own) == 256, "owner dying, 256");
        struct mc m;
        CHECK(mc_alloc(&m, 256), "buffer");
        for (unsigned j = 0; j < 256; j++)
            mc_set_remove(&m, j, bor, 0x50000 + j);
        CHECK(mc_call(&m, 256, &e2) == 0 && m.e[255].result == 0, "multicall teardown");
        CHECK(gone(own) && tot_of(bor) == 16, "owner gone, borrower keeps its RAM");
        xencall_free_buffer(xcall, m.e);
        CHECK(xc_domain_destroy(xch, bor) == 0 && gone(bor) && xensim_frames_in_use() == 0, "all gone");
    }

    /* ------------------------------------------------------------------ */
    section("handles and shutdown");
    {
        xc_domaininfo_t info;
        uint8_t h1[16], h2[16];
        static const uint8_t mine[16] = "0123456789abcdef";
        CHECK(xensim_reset() == 0, "reset");
        CHECK(xensim_create_domain(4) == 0 && xc_info(4, &info), "create 4");
        memcpy(h1, info.handle, 16);
        CHECK(xensim_destroy_domain(4) == 0 && gone(4), "destroy: gone (no pages)");
        CHECK(xensim_create_domain(4) == 0 && xc_info(4, &info), "create 4 again");
        memcpy(h2, info.handle, 16);
        CHECK(memcmp(h1, h2, 16) != 0, "different handle");
        CHECK(xc_info(0, &info) && memcmp(info.handle, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0,
              "dom0's handle is zero");
        CHECK(xensim_set_handle(4, mine) == 0 && xc_info(4, &info) && memcmp(info.handle, mine, 16) == 0,
              "set_handle");
        CHECK(xensim_set_handle(9, mine) == -ESRCH && xensim_set_handle(4, NULL) == -EFAULT, "errors");
        CHECK(!(flags_of(4) & XEN_DOMINF_shutdown), "running");
        CHECK(xensim_shutdown_domain(4) == 0 && xc_info(4, &info) && (info.flags & XEN_DOMINF_shutdown) &&
              ((info.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask) == SHUTDOWN_poweroff,
              "shutdown flag, code poweroff (%#x)", info.flags);
        CHECK(xensim_shutdown_domain(0) == -EPERM && xensim_shutdown_domain(9) == -ESRCH, "errors");
        CHECK(xensim_pause_domain(4) == 0 && (flags_of(4) & XEN_DOMINF_paused), "paused, as xl create -p leaves it");
        CHECK(xc_domain_unpause(xch, 4) == 0 && !(flags_of(4) & XEN_DOMINF_paused), "xc_domain_unpause runs it");
        CHECK(xensim_pause_domain(0) == -EINVAL && xensim_pause_domain(9) == -ESRCH, "pause errors");
        xc_dominfo_t di;
        CHECK(xc_domain_getinfo(xch, 4, 1, &di) == 1 && di.shutdown && !di.dying, "xc_dominfo shutdown");
        CHECK(xensim_destroy_domain(4) == 0 && gone(4), "destroy");
        CHECK(xensim_domain_info(4, NULL, NULL) == -ESRCH, "domain_info ESRCH");
        uint64_t t = 0;
        uint32_t f = 0;
        CHECK(xensim_domain_info(0, &t, &f) == 0 && t == 0 && (f & XEN_DOMINF_running), "dom0 info");
    }

    if (xcall)
        xencall_close(xcall);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    static char state_path[256];
    int created_state = 0;
    int e, rc;

    if (!xensim_reset || !xensim_populate) {
        fprintf(stderr, "test_xensim: libxensim.so is not preloaded "
                        "(run with LD_PRELOAD=.../libxensim.so)\n");
        return 2;
    }
    if (argc > 1 && strcmp(argv[1], "--child") == 0)
        return child_main();
    if (argc > 1 && strcmp(argv[1], "--child-attach") == 0)
        return xensim_get_personality() < 0 ? 1 : 0;

    unsetenv("XENSIM_PERSONALITY");
    if (!getenv("XENSIM_STATE")) {
        snprintf(state_path, sizeof(state_path), "/tmp/xensim-test-%d.state", (int)getpid());
        setenv("XENSIM_STATE", state_path, 1);
        created_state = 1;
    }
    printf("xensim self-test, state file %s\n", getenv("XENSIM_STATE"));

    /* ------------------------------------------------------------------ */
    section("open + xc_version");
    xch = xc_interface_open(NULL, NULL, 0);
    CHECK(xch != NULL, "xc_interface_open failed: %s", strerror(errno));
    if (!xch) {
        end_section();
        return 1;
    }
    CHECK(xensim_reset() == 0, "reset");
    CHECK(xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "personality");
    rc = xc_version(xch, XENVER_version, NULL);
    CHECK(rc == 0x40011, "version %#x", rc);
    {
        xen_capabilities_info_t caps;
        xen_extraversion_t extra;
        memset(caps, 'x', sizeof(caps));
        CHECK(xc_version(xch, XENVER_capabilities, caps) == 0, "caps rc");
        CHECK(strcmp(caps, "xen-3.0-aarch64 xen-3.0-armv7l ") == 0, "caps '%s'", caps);
        CHECK(xc_version(xch, XENVER_extraversion, extra) == 0 && extra[0] == '.', "extra");
        xen_feature_info_t fi = { .submap_idx = 0 };
        CHECK(xc_version(xch, XENVER_get_features, &fi) == 0 &&
              (fi.submap & (1u << XENFEAT_dom0)), "features %#x", fi.submap);
        CHECK(xc_version(xch, XENVER_pagesize, NULL) == 4096, "pagesize");
    }

    /* ------------------------------------------------------------------ */
    section("control API basics");
    CHECK(xensim_create_domain(0) == -EEXIST, "dom0 exists");
    CHECK(xensim_create_domain(1) == 0, "create 1");
    CHECK(xensim_create_domain(1) == -EEXIST, "create 1 again");
    CHECK(xensim_create_domain(2) == 0, "create 2");
    CHECK(xensim_create_domain(3) == 0, "create 3");
    CHECK(xensim_create_domain(4) == 0, "create 4");
    CHECK(xensim_create_domain(0x7FF0) == -EINVAL, "reserved domid");
    CHECK(xensim_populate(1, 0x1000, 16) == 0, "populate");
    CHECK(xensim_populate(1, 0x100f, 2) == -EEXIST, "populate overlap");
    CHECK(xensim_populate(99, 0, 1) == -ESRCH, "populate no dom");
    CHECK(xensim_p2m_count(1) == 16, "count %" PRIu64, xensim_p2m_count(1));
    CHECK(xensim_p2m_lookup(1, 0x1000) >= 0, "lookup");
    CHECK(xensim_p2m_lookup(1, 0x2000) == -ENOENT, "lookup unmapped");
    CHECK(xensim_p2m_lookup(77, 0x1000) == -ESRCH, "lookup no dom");
    CHECK(xensim_p2m_is_foreign(1, 0x1000) == 0, "own RAM");
    {
        char z[8] = { 1 };
        CHECK(xensim_read(1, 0x1003 * PG, z, 8) == 0 && z[0] == 0 && z[7] == 0, "fresh page zero");
        CHECK(xensim_write(1, 0x2000 * PG, "x", 1) == -EFAULT, "write unmapped");
        CHECK(xensim_write(1, 0x100f * PG + 4090, "0123456789", 10) == -EFAULT,
              "write crossing into unmapped page");
    }

    /* ------------------------------------------------------------------ */
    section("share success + bytes shared");
    {
        int errs[4];
        rc = map_range(2, 1, SHARE, 0x1000, 0x8000, 4, errs, &e);
        CHECK(rc == 0, "rc %d errno %d", rc, e);
        CHECK(all_eq(errs, 4, 0), "errs %d %d %d %d", errs[0], errs[1], errs[2], errs[3]);
        CHECK(xensim_p2m_lookup(2, 0x8002) == xensim_p2m_lookup(1, 0x1002), "same mfn");
        CHECK(xensim_p2m_is_foreign(2, 0x8002) == 1, "foreign entry");
        CHECK(xensim_p2m_count(2) == 4, "borrower count");
        char buf[64] = { 0 };
        CHECK(xensim_write(1, 0x1000 * PG + 100, "hello from owner", 17) == 0, "write owner");
        CHECK(xensim_read(2, 0x8000 * PG + 100, buf, 17) == 0 &&
              strcmp(buf, "hello from owner") == 0, "read borrower '%s'", buf);
        CHECK(xensim_write(2, 0x8001 * PG - 5, "cross-page", 11) == 0, "cross write");
        memset(buf, 0, sizeof(buf));
        CHECK(xensim_read(1, 0x1001 * PG - 5, buf, 11) == 0 &&
              strcmp(buf, "cross-page") == 0, "cross read '%s'", buf);
        /* getinfo: tot_pages counts owned pages only. */
        xc_domaininfo_t info[2];
        CHECK(xc_domain_getinfolist(xch, 2, 1, info) == 1 && info[0].tot_pages == 0,
              "borrower tot_pages %" PRIu64, (uint64_t)info[0].tot_pages);
    }

    /* ------------------------------------------------------------------ */
    section("bad source pages");
    {
        int errs[3];
        rc = map_range(3, 1, SHARE, 0x5000, 0x8000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EINVAL, "unpopulated: rc %d err %d", rc, errs[0]);
        /* A foreign entry is not RAM of its holder: cannot be passed on. */
        rc = map_range(3, 2, SHARE, 0x8000, 0x8000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EINVAL, "re-share foreign: rc %d err %d", rc, errs[0]);
        CHECK(xensim_p2m_count(3) == 0, "nothing mapped");
        /* Target gfn beyond the IPA size (40 bits -> gfn < 2^28). */
        rc = map_range(3, 1, SHARE, 0x1000, 1ULL << 28, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EINVAL, "beyond IPA: rc %d err %d", rc, errs[0]);
        /* INVALID_GFN aborts the whole call after the earlier entries. */
        xen_ulong_t idx[2] = { 0x1000, 0x1001 };
        xen_pfn_t gp[2] = { 0x3000, ~0UL };
        errs[0] = errs[1] = 0x7777;
        errno = 0;
        rc = xc_domain_add_to_physmap_batch(xch, 3, 1, SHARE, 2, idx, gp, errs);
        e = errno;
        CHECK(rc == -1 && e == EINVAL, "invalid gfn rc %d errno %d", rc, e);
        CHECK(errs[0] == 0 && xensim_p2m_lookup(3, 0x3000) >= 0, "entry before it done");
        CHECK(remove_gfn(3, 0x3000, &e) == 0, "cleanup");
    }

    /* ------------------------------------------------------------------ */
    section("occupied target (Arm p2m replaces)");
    {
        int errs[1];
        CHECK(xensim_populate(2, 0x9000, 1) == 0, "populate borrower");
        CHECK(xensim_write(2, 0x9000 * PG, "own", 4) == 0, "write own");
        uint64_t rep0 = xensim_replaced_count();
        rc = map_range(2, 1, SHARE, 0x1005, 0x9000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == 0, "rc %d err %d", rc, errs[0]);
        CHECK(xensim_replaced_count() == rep0 + 1, "replaced counter");
        CHECK(xensim_p2m_lookup(2, 0x9000) == xensim_p2m_lookup(1, 0x1005), "now owner's page");
        CHECK(xensim_p2m_is_foreign(2, 0x9000) == 1, "foreign now");
        xc_domaininfo_t info;
        CHECK(xc_domain_getinfolist(xch, 2, 1, &info) == 1 && info.tot_pages == 1,
              "replaced own page still allocated (tot_pages %" PRIu64 ")", (uint64_t)info.tot_pages);
        CHECK(xensim_set_occupied_policy(1) == 0, "strict");
        rc = map_range(2, 1, SHARE, 0x1006, 0x9000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EEXIST, "strict: rc %d err %d", rc, errs[0]);
        CHECK(xensim_p2m_lookup(2, 0x9000) == xensim_p2m_lookup(1, 0x1005), "unchanged");
        CHECK(xensim_set_occupied_policy(0) == 0, "policy back");
    }

    /* ------------------------------------------------------------------ */
    section("missing domains");
    {
        int errs[2];
        rc = map_range(42, 1, SHARE, 0x1000, 0x8000, 1, errs, &e);
        CHECK(rc == -1 && e == ESRCH, "missing target dom: rc %d errno %d", rc, e);
        rc = map_range(2, 42, SHARE, 0x1000, 0xa000, 2, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 2, -ESRCH), "missing foreign dom (share): rc %d %d", rc, errs[0]);
        rc = map_range(2, 42, FOREIGN, 0x1000, 0xa000, 2, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 2, -ESRCH), "missing foreign dom (foreign): rc %d %d", rc, errs[0]);
        rc = remove_gfn(42, 0x8000, &e);
        CHECK(rc == -1 && e == ESRCH, "remove missing dom: rc %d errno %d", rc, e);
    }

    /* ------------------------------------------------------------------ */
    section("XSM rule for gmfn_foreign + set_target");
    {
        int errs[2];
        rc = map_range(2, 1, FOREIGN, 0x1008, 0xb000, 2, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 2, -EPERM), "domU<-domU: rc %d %d", rc, errs[0]);
        rc = map_range(0, 1, FOREIGN, 0x1008, 0xb000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == 0, "dom0 may receive: %d", errs[0]);
        rc = map_range(2, 0, FOREIGN, 0xb000, 0xb000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -ESRCH, "dom0 as owner (get_pg_owner): %d", errs[0]);
        rc = map_range(2, 2, FOREIGN, 0x9000, 0xb000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EINVAL, "self: %d", errs[0]);
        errno = 0;
        rc = xc_domain_set_target(xch, 2, 1);
        CHECK(rc == 0, "set_target rc %d errno %d", rc, errno);
        rc = map_range(2, 1, FOREIGN, 0x1008, 0xb000, 2, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 2, 0), "target owner: %d %d", errs[0], errs[1]);
        rc = map_range(3, 1, FOREIGN, 0x1008, 0xb000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EPERM, "other domU still refused: %d", errs[0]);
        errno = 0;
        rc = xc_domain_set_target(xch, 2, 3);
        CHECK(rc == -1 && errno == EINVAL, "target already set: errno %d", errno);
        errno = 0;
        rc = xc_domain_set_target(xch, 3, 3);
        CHECK(rc == -1 && errno == EINVAL, "self target: errno %d", errno);
        errno = 0;
        rc = xc_domain_set_target(xch, 3, 99);
        CHECK(rc == -1 && errno == ESRCH, "missing target: errno %d", errno);
        errno = 0;
        rc = xc_domain_set_target(xch, 99, 1);
        CHECK(rc == -1 && errno == ESRCH, "missing domain: errno %d", errno);
        CHECK(xensim_set_target(2, 0x7FF4) == 0, "control clears target");
        rc = map_range(2, 1, FOREIGN, 0x100a, 0xb002, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == -EPERM, "cleared: %d", errs[0]);
        CHECK(remove_gfn(2, 0xb000, &e) == 0 && remove_gfn(2, 0xb001, &e) == 0, "cleanup");
        CHECK(remove_gfn(0, 0xb000, &e) == 0, "cleanup dom0");
    }

    /* ------------------------------------------------------------------ */
    section("stock personality");
    {
        int errs[3];
        CHECK(xensim_set_personality(XENSIM_STOCK) == 0 &&
              xensim_get_personality() == XENSIM_STOCK, "stock");
        rc = map_range(3, 1, SHARE, 0x1000, 0xc000, 3, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 3, -ENOSYS), "share: rc %d %d", rc, errs[0]);
        rc = map_range(3, 1, FOREIGN, 0x1000, 0xc000, 3, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 3, -EPERM), "foreign: rc %d %d", rc, errs[0]);
        CHECK(xensim_p2m_count(3) == 0, "nothing mapped");
        CHECK(xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "series-fixed");
        CHECK(xensim_set_personality(3) == -EINVAL, "bad value");
    }

    /* ------------------------------------------------------------------ */
    section("200000 pages, 65535 per call");
    {
        const uint64_t N = 200000, OWN = 0x100000;
        int *errs = calloc(65537, sizeof(int));
        double t0 = now();
        CHECK(xensim_populate(1, OWN, N) == 0, "populate 200000");
        double t1 = now();
        rc = map_range(2, 1, SHARE, OWN, 0x400000, 65535, errs, &e);
        double t2 = now();
        CHECK(rc == 0 && all_eq(errs, 65535, 0), "65535 in one call: rc %d", rc);
        CHECK(xensim_p2m_count(2) == 4 + 1 + 65535, "borrower count %" PRIu64, xensim_p2m_count(2));
        CHECK(xensim_p2m_lookup(2, 0x400000 + 65534) == xensim_p2m_lookup(1, OWN + 65534), "last entry");
        CHECK(xensim_p2m_lookup(2, 0x400000 + 65535) == -ENOENT, "not beyond");
        /* All 200000 into dom3 in chunks of 65535. */
        double t3 = now();
        int ok = 1;
        for (uint64_t done = 0; done < N;) {
            unsigned n = (unsigned)(N - done > 65535 ? 65535 : N - done);
            rc = map_range(3, 1, SHARE, OWN + done, 0x800000 + done, n, errs, &e);
            ok &= rc == 0 && all_eq(errs, n, 0);
            done += n;
        }
        double t4 = now();
        CHECK(ok, "chunks all mapped");
        CHECK(xensim_p2m_count(3) == N, "dom3 count %" PRIu64, xensim_p2m_count(3));
        char buf[16] = { 0 };
        CHECK(xensim_write(1, (OWN + N - 1) * PG + 4000, "last page", 10) == 0, "write");
        CHECK(xensim_read(3, (0x800000 + N - 1) * PG + 4000, buf, 10) == 0 &&
              strcmp(buf, "last page") == 0, "read '%s'", buf);
        printf("    timing: populate 200000 %.3fs, map 65535 %.3fs, map 200000 (4 calls) %.3fs\n",
               t1 - t0, t2 - t1, t4 - t3);
        CHECK(t4 - t3 < 1.0, "200000 mapped in %.3fs", t4 - t3);
        xc_domaininfo_t info;
        CHECK(xc_domain_getinfolist(xch, 1, 1, &info) == 1 && info.tot_pages == 16 + N,
              "owner tot_pages %" PRIu64, (uint64_t)info.tot_pages);

        /* 65536 straight to libxenctrl: size is uint16_t, becomes 0. */
        uint64_t before = xensim_p2m_count(4);
        rc = map_range(4, 1, SHARE, OWN, 0x10000, 65536, errs, &e);
        int zeroed = all_eq(errs, 65536, 0);
        CHECK(rc == 0, "65536: rc %d errno %d", rc, e);
        CHECK(xensim_p2m_count(4) == before, "65536: nothing mapped (count %" PRIu64 ")",
              xensim_p2m_count(4));
        printf("    observed: 65536 entries -> rc 0, 0 pages mapped, errs[] %s\n",
               zeroed ? "all 0 (bounce buffer contents: looks like success!)" : "not all 0");
        rc = map_range(4, 1, SHARE, OWN, 0x10000, 65537, errs, &e);
        CHECK(rc == 0 && xensim_p2m_count(4) == before + 1, "65537: only 1 mapped (%" PRIu64 ")",
              xensim_p2m_count(4));
        CHECK(xensim_p2m_lookup(4, 0x10000) >= 0 && xensim_p2m_lookup(4, 0x10001) == -ENOENT,
              "65537: entry 0 only");
        printf("    observed: 65537 entries -> rc 0, 1 page mapped, errs[1..] %s\n",
               all_eq(errs + 1, 65536, 0) ? "all 0" : "not all 0");
        free(errs);
    }

    /* ------------------------------------------------------------------ */
    section("remove_from_physmap");
    {
        int64_t owner_mfn = xensim_p2m_lookup(1, 0x1000);
        rc = remove_gfn(2, 0x8000, &e);
        CHECK(rc == 0, "remove borrowed: rc %d errno %d", rc, e);
        CHECK(xensim_p2m_lookup(2, 0x8000) == -ENOENT, "gone");
        CHECK(xensim_p2m_lookup(1, 0x1000) == owner_mfn, "owner mapping untouched");
        char buf[32] = { 0 };
        CHECK(xensim_read(1, 0x1000 * PG + 100, buf, 17) == 0 &&
              strcmp(buf, "hello from owner") == 0, "owner bytes intact '%s'", buf);
        rc = remove_gfn(2, 0x8000, &e);
        CHECK(rc == -1 && e == ENOENT, "remove again: rc %d errno %d", rc, e);
        rc = remove_gfn(2, 0x7777, &e);
        CHECK(rc == -1 && e == ENOENT, "remove never mapped: errno %d", e);
        /* Owner drops its own page; the borrower's mapping keeps it alive. */
        rc = remove_gfn(1, 0x1001, &e);
        CHECK(rc == 0, "owner removes own page");
        memset(buf, 0, sizeof(buf));
        /* "cross-page" was written at 0x8001*PG - 5: "-page" is in 0x8001. */
        CHECK(xensim_read(2, 0x8001 * PG, buf, 6) == 0 && strcmp(buf, "-page") == 0,
              "borrower still sees bytes '%s'", buf);
        CHECK(xensim_read(2, 0x8001 * PG - 5, buf, 11) == -EFAULT, "0x8000 unmapped now");
        CHECK(remove_gfn(2, 0x9000, &e) == 0, "remove replaced foreign");
        CHECK(remove_gfn(0x7FF0, 0x1234, &e) == -1 && e == ENOENT, "DOMID_SELF is dom0: %d", e);
    }

    /* ------------------------------------------------------------------ */
    section("domain info (next-domain semantics)");
    {
        xc_domaininfo_t info[16];
        xc_dominfo_t di;
        CHECK(xensim_create_domain(7) == 0, "create 7");
        rc = xc_domain_getinfolist(xch, 0, 16, info);
        CHECK(rc == 6, "all: %d", rc);
        if (rc == 6)
            CHECK(info[0].domain == 0 && info[1].domain == 1 && info[4].domain == 4 &&
                  info[5].domain == 7, "order");
        rc = xc_domain_getinfolist(xch, 5, 1, info);
        CHECK(rc == 1 && info[0].domain == 7, "first>=5 is 7: rc %d dom %d", rc, info[0].domain);
        rc = xc_domain_getinfolist(xch, 8, 4, info);
        CHECK(rc == 0, "none >= 8: %d", rc);
        rc = xc_domain_getinfolist(xch, 1, 2, info);
        CHECK(rc == 2 && info[0].domain == 1 && info[1].domain == 2, "max honoured");
        CHECK(info[0].flags & XEN_DOMINF_hvm_guest, "hvm flag");
        rc = xc_domain_getinfo(xch, 5, 1, &di);
        CHECK(rc == 1 && di.domid == 7, "domctl: asking 5 gives %d (rc %d)", di.domid, rc);
        errno = 0;
        rc = xc_domain_getinfo(xch, 8, 1, &di);
        CHECK(rc == -1 && errno == ESRCH, "domctl: none >= 8: rc %d errno %d", rc, errno);
        errno = 0;
        rc = xc_domain_getinfo(xch, 0x7FF5, 1, &di);
        CHECK(rc == -1 && errno == EINVAL, "domctl: reserved id: errno %d", errno);
        CHECK(xensim_op_count(XENSIM_OP_DOMAININFO) > 0, "counted");
    }

    /* ------------------------------------------------------------------ */
    section("fault injection");
    {
        int errs[3];
        uint64_t c0 = xensim_op_count(XENSIM_OP_ADD_BATCH);
        CHECK(xensim_fail_nth(XENSIM_OP_ADD_BATCH, 2, EIO) == 0, "arm nth");
        rc = map_range(3, 1, SHARE, 0x1000, 0xd000, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == 0, "1st ok");
        rc = map_range(3, 1, SHARE, 0x1002, 0xd001, 1, errs, &e);
        CHECK(rc == -1 && e == EIO, "2nd fails: rc %d errno %d", rc, e);
        CHECK(xensim_p2m_lookup(3, 0xd001) == -ENOENT, "2nd did nothing");
        rc = map_range(3, 1, SHARE, 0x1002, 0xd001, 1, errs, &e);
        CHECK(rc == 0 && errs[0] == 0, "3rd ok");
        CHECK(xensim_op_count(XENSIM_OP_ADD_BATCH) == c0 + 3, "counted 3");

        xc_domaininfo_t info;
        CHECK(xensim_fail_nth(XENSIM_OP_DOMAININFO, 1, EAGAIN) == 0, "arm info");
        errno = 0;
        rc = xc_domain_getinfolist(xch, 0, 1, &info);
        CHECK(rc == -1 && errno == EAGAIN, "getinfolist fails: rc %d errno %d", rc, errno);
        CHECK(xc_domain_getinfolist(xch, 0, 1, &info) == 1, "then ok");

        CHECK(xensim_fail_nth(XENSIM_OP_ANY, 1, EBUSY) == 0, "arm any");
        errno = 0;
        rc = xc_version(xch, XENVER_version, NULL);
        CHECK(rc == -1 && errno == EBUSY, "any: rc %d errno %d", rc, errno);

        CHECK(xensim_fail_nth(XENSIM_OP_REMOVE, 1, EIO) == 0, "arm remove");
        rc = remove_gfn(3, 0xd000, &e);
        CHECK(rc == -1 && e == EIO && xensim_p2m_lookup(3, 0xd000) >= 0, "remove fails: %d", e);

        CHECK(xensim_fail_gfn(3, 0xe001, ENOSPC) == 0, "arm gfn");
        rc = map_range(3, 1, SHARE, 0x1003, 0xe000, 3, errs, &e);
        CHECK(rc == 0 && errs[0] == 0 && errs[1] == -ENOSPC && errs[2] == 0,
              "per entry: %d %d %d", errs[0], errs[1], errs[2]);
        rc = remove_gfn(3, 0xe001, &e);
        CHECK(rc == -1 && e == ENOSPC, "remove faulted gfn: errno %d", e);
        CHECK(xensim_clear_faults() == 0, "clear");
        rc = remove_gfn(3, 0xe001, &e);
        CHECK(rc == -1 && e == ENOENT, "after clear: errno %d", e);
        CHECK(xensim_fail_nth(9, 1, EIO) == -EINVAL && xensim_fail_nth(1, 0, EIO) == -EINVAL,
              "bad args");
    }

    /* ------------------------------------------------------------------ */
    section("stop after the nth hypercall");
    {
        CHECK(xensim_stop_after_nth(XENSIM_OP_ADD_BATCH, 2) == 0, "arm");
        pid_t child = fork();
        if (child == 0) {
            int errs[1], ce;
            int ok = map_range(3, 1, SHARE, 0x1000, 0xd020, 1, errs, &ce) == 0 && errs[0] == 0
                && map_range(3, 1, SHARE, 0x1002, 0xd021, 1, errs, &ce) == 0 && errs[0] == 0;
            _exit(ok ? 0 : 1);
        }
        int status = 0;
        CHECK(waitpid(child, &status, WUNTRACED) == child && WIFSTOPPED(status)
              && WSTOPSIG(status) == SIGSTOP, "the child stops: status 0x%x", status);
        CHECK(xensim_p2m_lookup(3, 0xd021) >= 0, "once its hypercall has run");
        CHECK(xensim_op_count(XENSIM_OP_ANY) > 0, "the hypervisor is not locked while it is stopped");
        kill(child, SIGCONT);
        CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "then goes on: status 0x%x", status);
        CHECK(xensim_stop_after_nth(9, 1) == -EINVAL && xensim_stop_after_nth(1, 0) == -EINVAL, "bad args");
        int errs[1];
        CHECK(xensim_stop_after_nth(XENSIM_OP_ADD_BATCH, 1) == 0 && xensim_clear_faults() == 0, "clear");
        CHECK(map_range(3, 1, SHARE, 0x1000, 0xd022, 1, errs, &e) == 0 && errs[0] == 0, "cleared: no stop");
    }

    /* ------------------------------------------------------------------ */
    section("raw privcmd ABI");
    {
        int fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
        CHECK(fd >= 0, "open privcmd");
        struct xen_domctl dc;
        memset(&dc, 0, sizeof(dc));
        dc.cmd = XEN_DOMCTL_getdomaininfo;
        dc.interface_version = 0x14;
        long r = raw_hypercall(fd, __HYPERVISOR_domctl, (uintptr_t)&dc, 0, &e);
        CHECK(r == -1 && e == EACCES, "domctl version mismatch: %ld errno %d", r, e);
        struct xen_sysctl sc;
        memset(&sc, 0, sizeof(sc));
        sc.cmd = XEN_SYSCTL_getdomaininfolist;
        sc.interface_version = 0x16;
        r = raw_hypercall(fd, __HYPERVISOR_sysctl, (uintptr_t)&sc, 0, &e);
        CHECK(r == -1 && e == EACCES, "sysctl version mismatch: %ld errno %d", r, e);
        r = raw_hypercall(fd, 99, 0, 0, &e);
        CHECK(r == -1 && e == ENOSYS, "unknown hypercall: errno %d", e);
        multicall_entry_t mc[2];
        memset(mc, 0, sizeof(mc));
        mc[0].op = __HYPERVISOR_xen_version;
        mc[0].args[0] = XENVER_version;
        mc[1].op = __HYPERVISOR_multicall;
        r = raw_hypercall(fd, __HYPERVISOR_multicall, (uintptr_t)mc, 2, &e);
        CHECK(r == 0 && mc[0].result == 0x40011 && (long)mc[1].result == -EINVAL,
              "multicall results %#lx %ld", mc[0].result, (long)mc[1].result);
        errno = 0;
        CHECK(ioctl(fd, IOCTL_PRIVCMD_UNIMPLEMENTED, NULL) == -1 && errno == ENOTTY, "ENOTTY");
        domid_t dom = 5;
        CHECK(ioctl(fd, IOCTL_PRIVCMD_RESTRICT, &dom) == 0, "restrict");
        r = raw_hypercall(fd, __HYPERVISOR_xen_version, 0, 0, &e);
        CHECK(r == -1 && e == EPERM, "restricted fd: errno %d", e);
        CHECK(close(fd) == 0, "close");
    }

    /* ------------------------------------------------------------------ */
    section("destroy owner while borrowed");
    {
        int errs[4];
        char buf[16] = { 0 };
        CHECK(xensim_create_domain(5) == 0 && xensim_create_domain(6) == 0, "create");
        CHECK(xensim_populate(5, 0x40, 4) == 0, "populate");
        CHECK(xensim_write(5, 0x42 * PG, "survivor", 9) == 0, "write");
        rc = map_range(6, 5, SHARE, 0x40, 0x80, 4, errs, &e);
        CHECK(rc == 0 && all_eq(errs, 4, 0), "map");
        uint64_t f0 = xensim_frames_in_use();
        CHECK(xensim_destroy_domain(5) == 0, "destroy");
        CHECK(xensim_frames_in_use() == f0, "pages kept while mapped");
        CHECK(xensim_read(6, 0x82 * PG, buf, 9) == 0 && strcmp(buf, "survivor") == 0, "bytes '%s'", buf);
        /* Xen keeps a dying domain while pages it owns are referenced. */
        xc_domaininfo_t info;
        CHECK(xc_domain_getinfolist(xch, 5, 1, &info) == 1 && info.domain == 5 &&
              (info.flags & XEN_DOMINF_dying) && info.tot_pages == 4,
              "5 listed dying with its 4 mapped pages (dom %u flags %#x tot %" PRIu64 ")",
              info.domain, info.flags, (uint64_t)info.tot_pages);
        CHECK(xensim_destroy_domain(5) == 0, "destroying a dying domain again: 0");
        for (int i = 0; i < 4; i++)
            remove_gfn(6, 0x80 + i, &e);
        CHECK(xensim_frames_in_use() == f0 - 4, "freed after last unmap");
        CHECK(xc_domain_getinfolist(xch, 5, 1, &info) == 1 && info.domain == 6, "5 gone from list");
        CHECK(xensim_destroy_domain(0) == -EPERM && xensim_destroy_domain(5) == -ESRCH, "errors");
        CHECK(xensim_destroy_domain(6) == 0, "destroy 6");
    }

    /* ------------------------------------------------------------------ */
    section("two processes share XENSIM_STATE");
    {
        CHECK(xensim_create_domain(9) == 0 && xensim_create_domain(10) == 0, "create");
        CHECK(xensim_populate(9, 0x10, 1) == 0, "populate");
        CHECK(xensim_write(9, 0x10 * PG, "from parent", 12) == 0, "write");
        rc = run_child("--child", NULL);
        CHECK(rc == 0, "child exit %d", rc);
        char buf[16] = { 0 };
        CHECK(xensim_p2m_is_foreign(10, 0x20) == 1, "child's mapping visible");
        CHECK(xensim_read(9, 0x10 * PG + 64, buf, 11) == 0 && strcmp(buf, "from child") == 0,
              "child's bytes '%s'", buf);
        rc = run_child("--child-attach", "stock");
        CHECK(rc == 0 && xensim_get_personality() == XENSIM_STOCK,
              "explicit XENSIM_PERSONALITY in a new process applies: %d", rc);
        CHECK(xensim_set_personality(XENSIM_SERIES_FIXED) == 0, "restore");
    }

    /* ------------------------------------------------------------------ */
    section("8 threads, own handles, concurrent batches");
    {
        pthread_t th[8];
        struct thr_arg ta[8];
        CHECK(xensim_populate(1, 0x100000, 50000) == 0 || xensim_p2m_lookup(1, 0x100000) >= 0,
              "owner pages");
        for (int i = 0; i < 8; i++) {
            ta[i].dom = 20 + i;
            ta[i].ok = 0;
            CHECK(xensim_create_domain(ta[i].dom) == 0, "create %u", ta[i].dom);
            pthread_create(&th[i], NULL, thr_main, &ta[i]);
        }
        for (int i = 0; i < 8; i++) {
            pthread_join(th[i], NULL);
            CHECK(ta[i].ok && xensim_p2m_count(ta[i].dom) == 50000, "thread %d count %" PRIu64,
                  i, xensim_p2m_count(ta[i].dom));
        }
    }

    lifecycle_sections();

    /* ------------------------------------------------------------------ */
    section("reset");
    {
        CHECK(xensim_reset() == 0, "reset");
        CHECK(xensim_p2m_count(1) == 0 && xensim_frames_in_use() == 0, "empty");
        CHECK(xensim_op_count(XENSIM_OP_ANY) == 0, "counters zero");
        CHECK(xensim_get_personality() == XENSIM_SERIES_FIXED, "personality kept");
        xc_domaininfo_t info[4];
        CHECK(xc_domain_getinfolist(xch, 0, 4, info) == 1 && info[0].domain == 0, "only dom0");
    }
    end_section();

    xc_interface_close(xch);
    if (created_state)
        unlink(state_path);

    printf("xensim self-test: %d checks passed, %d failed, %d section(s) failed\n",
           total_pass, total_fail, sections_failed);
    return total_fail ? 1 : 0;
}
