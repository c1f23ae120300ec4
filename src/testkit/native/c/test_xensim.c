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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
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
    CHECK(xensim_set_personality(XENSIM_PATCHED) == 0, "personality");
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
        CHECK(xensim_set_personality(XENSIM_PATCHED) == 0, "patched");
        CHECK(xensim_set_personality(2) == -EINVAL, "bad value");
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
        xc_domaininfo_t info;
        CHECK(xc_domain_getinfolist(xch, 5, 1, &info) == 1 && info.domain == 6, "5 gone from list");
        for (int i = 0; i < 4; i++)
            remove_gfn(6, 0x80 + i, &e);
        CHECK(xensim_frames_in_use() == f0 - 4, "freed after last unmap");
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
        CHECK(xensim_set_personality(XENSIM_PATCHED) == 0, "restore");
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

    /* ------------------------------------------------------------------ */
    section("reset");
    {
        CHECK(xensim_reset() == 0, "reset");
        CHECK(xensim_p2m_count(1) == 0 && xensim_frames_in_use() == 0, "empty");
        CHECK(xensim_op_count(XENSIM_OP_ANY) == 0, "counters zero");
        CHECK(xensim_get_personality() == XENSIM_PATCHED, "personality kept");
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
