/* peek.c - e2e-peek, dom0's hands and eyes in the arm64 e2e tier: reads and writes domU memory
 * through foreign maps, sets up and reads the test guest (guest.S), and reports a domain's
 * page counts. Built static against Debian's arm64 libxen-dev (build.sh), so it needs no
 * library in dom0.
 *
 *   e2e-peek write DOMID GFN HEX [OFFSET]       write the bytes HEX at byte OFFSET of page GFN
 *   e2e-peek read DOMID GFN LEN [OFFSET]        print LEN bytes from there, as hex
 *   e2e-peek fill DOMID GFN NPAGES SEED [FIRST] fill NPAGES pages with the pattern of SEED
 *   e2e-peek check DOMID GFN NPAGES SEED [FIRST] verify that pattern
 *   e2e-peek guest-setup DOMID WINDOW FLAGS VALUE [PERIOD_MS]  fill the guest's control block
 *   e2e-peek guest-report DOMID                 print the guest's report block
 *   e2e-peek pages DOMID                        page counts and state of a domain, or gone
 *                                               (shutdown_code: Xen's SHUTDOWN_* reason,
 *                                               meaningful only with shutdown=1)
 * Numbers are decimal or 0x-hex. Reads and writes may run over several consecutive pages.
 *
 * Output: one line of key=value pairs on stdout, starting with cmd=NAME; hex numbers with 0x,
 * byte strings as plain hex. Exit status: 0 done; 1 check found a mismatch (result=mismatch,
 * on stdout); 2 bad usage; 3 Xen or the foreign map failed (one line on stderr,
 * "e2e-peek CMD: ...").
 *
 * The pattern: the 8-byte little-endian word W (0..511) of pattern page P holds
 * splitmix64(SEED + (P * 512 + W + 1) * 0x9e3779b97f4a7c15), where splitmix64(z) is
 * z ^= z >> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >> 27; z *= 0x94d049bb133111eb; z ^= z >> 31.
 * Page GFN + i carries pattern page FIRST + i, so any part of a large region can be checked
 * on its own, and the pattern does not depend on where a domain maps the region.
 *
 * The guest's blocks (layout in guest.S): control at 0x100 and report at 0x200 of gfn 0x40000.
 * guest-setup bumps the control's generation, so it also re-arms a running guest.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>

#define PAGE 4096UL
#define WORDS (PAGE / 8)
#define CHUNK 256 /* pages mapped at a time by fill and check */

#define GUEST_GFN 0x40000UL /* the guest image's first page: GUEST_RAM0_BASE */
#define CTRL_OFF 0x100
#define REPT_OFF 0x200
#define CTRL_MAGIC 0x4c5254434d485353ULL /* "SSHMCTRL" */
#define REPT_MAGIC 0x545045524d485353ULL /* "SSHMREPT" */

/* Report block, in 8-byte words (guest.S) */
enum { R_MAGIC, R_SEQ, R_GEN, R_WINDOW, R_FLAGS, R_FAULT, R_ESR, R_FAR, R_ELR, R_WSTATE,
       R_WBACK, R_READS, R_FAULTS, R_CNTVCT, R_CNTFRQ, R_WAKEUPS, R_BASE, R_PERIOD,
       R_BYTES = 0xc0 / 8, R_WORDS = 0x100 / 8 };
/* Control block, in 8-byte words */
enum { C_MAGIC, C_GEN, C_WINDOW, C_FLAGS, C_VALUE, C_PERIOD };

static const char *cmd = "?";
static xenforeignmemory_handle *fmem;

static void fail(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "e2e-peek %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(status);
}

static uint64_t number(const char *s, const char *what) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || *s == '-')
        fail(2, "%s: not a number: %s", what, s);
    return v;
}

static uint32_t domid(const char *s) {
    uint64_t d = number(s, "DOMID");
    if (d >= DOMID_FIRST_RESERVED)
        fail(2, "DOMID %s is not a domain id", s);
    return (uint32_t)d;
}

/* Maps N pages of DOM from GFN on; every page must map. */
static void *map(uint32_t dom, uint64_t gfn, size_t n, int prot) {
    if (!fmem && !(fmem = xenforeignmemory_open(NULL, 0)))
        fail(3, "xenforeignmemory_open: %s", strerror(errno));
    xen_pfn_t *gfns = calloc(n, sizeof *gfns);
    int *errs = calloc(n, sizeof *errs);
    if (!gfns || !errs)
        fail(3, "out of memory");
    for (size_t i = 0; i < n; i++)
        gfns[i] = gfn + i;
    void *p = xenforeignmemory_map(fmem, dom, prot, n, gfns, errs);
    if (!p)
        fail(3, "cannot map %zu page(s) at gfn 0x%llx of domain %u: %s", n,
             (unsigned long long)gfn, dom, strerror(errno));
    for (size_t i = 0; i < n; i++)
        if (errs[i])
            fail(3, "cannot map gfn 0x%llx of domain %u: %s", (unsigned long long)(gfn + i), dom,
                 strerror(errs[i] < 0 ? -errs[i] : errs[i]));
    free(gfns);
    free(errs);
    return p;
}

static void unmap(void *p, size_t n) { xenforeignmemory_unmap(fmem, p, n); }

static uint64_t pattern(uint64_t seed, uint64_t page, uint64_t word) {
    uint64_t z = seed + (page * WORDS + word + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void print_hex(const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
}

/* pages spanned by LEN bytes from byte OFFSET of a page */
static size_t span(uint64_t offset, uint64_t len) { return (offset + len + PAGE - 1) / PAGE; }

static int do_write(uint32_t dom, uint64_t gfn, const char *hex, uint64_t offset) {
    size_t len = strlen(hex);
    if (len == 0 || len % 2)
        fail(2, "HEX must be a non-empty, even number of hex digits");
    len /= 2;
    if (len > (1 << 20))
        fail(2, "at most 1 MiB at a time");
    uint8_t *buf = malloc(len);
    for (size_t i = 0; i < len; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            fail(2, "HEX: not a hex digit near position %zu", 2 * i);
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    gfn += offset / PAGE;
    offset %= PAGE;
    size_t n = span(offset, len);
    uint8_t *p = map(dom, gfn, n, PROT_READ | PROT_WRITE);
    memcpy(p + offset, buf, len);
    __sync_synchronize();
    unmap(p, n);
    printf("cmd=write domid=%u gfn=0x%llx offset=%llu len=%zu\n", dom, (unsigned long long)gfn,
           (unsigned long long)offset, len);
    return 0;
}

static int do_read(uint32_t dom, uint64_t gfn, uint64_t len, uint64_t offset) {
    if (len == 0 || len > (1 << 20))
        fail(2, "LEN must be 1 .. 1 MiB");
    gfn += offset / PAGE;
    offset %= PAGE;
    size_t n = span(offset, len);
    uint8_t *p = map(dom, gfn, n, PROT_READ);
    printf("cmd=read domid=%u gfn=0x%llx offset=%llu len=%llu hex=", dom,
           (unsigned long long)gfn, (unsigned long long)offset, (unsigned long long)len);
    print_hex(p + offset, len);
    putchar('\n');
    unmap(p, n);
    return 0;
}

/* fill and check: CHUNK pages at a time, so a region of any size needs little dom0 memory */
static int do_pattern(int check, uint32_t dom, uint64_t gfn, uint64_t npages, uint64_t seed,
                      uint64_t first) {
    if (npages == 0)
        fail(2, "NPAGES must be at least 1");
    for (uint64_t done = 0; done < npages;) {
        size_t n = npages - done < CHUNK ? npages - done : CHUNK;
        uint64_t *p = map(dom, gfn + done, n, check ? PROT_READ : PROT_READ | PROT_WRITE);
        for (size_t i = 0; i < n; i++) {
            uint64_t page = first + done + i;
            uint64_t *w = p + i * WORDS;
            for (uint64_t j = 0; j < WORDS; j++) {
                uint64_t want = pattern(seed, page, j);
                if (!check) {
                    w[j] = want;
                } else if (w[j] != want) {
                    printf("cmd=check domid=%u gfn=0x%llx npages=%llu seed=0x%llx first=%llu "
                           "result=mismatch at_gfn=0x%llx page=%llu offset=0x%llx want=0x%016llx "
                           "got=0x%016llx\n",
                           dom, (unsigned long long)gfn, (unsigned long long)npages,
                           (unsigned long long)seed, (unsigned long long)first,
                           (unsigned long long)(gfn + done + i), (unsigned long long)page,
                           (unsigned long long)(j * 8), (unsigned long long)want,
                           (unsigned long long)w[j]);
                    return 1;
                }
            }
        }
        __sync_synchronize();
        unmap(p, n);
        done += n;
    }
    printf("cmd=%s domid=%u gfn=0x%llx npages=%llu seed=0x%llx first=%llu%s\n",
           check ? "check" : "fill", dom, (unsigned long long)gfn, (unsigned long long)npages,
           (unsigned long long)seed, (unsigned long long)first, check ? " result=ok" : "");
    return 0;
}

static int do_guest_setup(uint32_t dom, uint64_t window, uint64_t flags, uint64_t value,
                          uint64_t period_ms) {
    if (window % 8)
        fail(2, "WINDOW must be 8-byte aligned (the guest runs with the MMU off)");
    volatile uint64_t *page = map(dom, GUEST_GFN, 1, PROT_READ | PROT_WRITE);
    volatile uint64_t *c = page + CTRL_OFF / 8;
    uint64_t gen = (c[C_MAGIC] == CTRL_MAGIC ? c[C_GEN] : 0) + 1;
    /* The guest acts on a new generation only: fields first, generation last. */
    c[C_WINDOW] = window;
    c[C_FLAGS] = flags;
    c[C_VALUE] = value;
    c[C_PERIOD] = period_ms;
    c[C_MAGIC] = CTRL_MAGIC;
    __sync_synchronize();
    c[C_GEN] = gen;
    __sync_synchronize();
    unmap((void *)page, 1);
    printf("cmd=guest-setup domid=%u gen=%llu window=0x%llx flags=0x%llx value=0x%llx "
           "period_ms=%llu\n",
           dom, (unsigned long long)gen, (unsigned long long)window, (unsigned long long)flags,
           (unsigned long long)value, (unsigned long long)(period_ms ? period_ms : 200));
    return 0;
}

static int do_guest_report(uint32_t dom) {
    static const char *faults[] = {"none", "read", "write", "other"};
    static const char *wstates[] = {"none", "ok", "fault", "stuck"};
    volatile uint64_t *page = map(dom, GUEST_GFN, 1, PROT_READ);
    volatile uint64_t *r = page + REPT_OFF / 8;
    uint64_t a[R_WORDS], b[R_WORDS];
    /* The guest writes while we read: take a copy whose seq did not move meanwhile. */
    for (int tries = 0;; tries++) {
        for (int i = 0; i < R_WORDS; i++) a[i] = r[i];
        __sync_synchronize();
        for (int i = 0; i < R_WORDS; i++) b[i] = r[i];
        if (a[R_SEQ] == b[R_SEQ] || tries == 20)
            break;
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    }
    unmap((void *)page, 1);
    int started = b[R_MAGIC] == REPT_MAGIC;
    printf("cmd=guest-report domid=%u started=%d seq=%llu gen=%llu window=0x%llx flags=0x%llx "
           "fault=%s esr=0x%llx far=0x%llx elr=0x%llx wprobe=%s wback=0x%llx reads=%llu "
           "faults=%llu wakeups=%llu cntvct=%llu cntfrq=%llu base=0x%llx period=%llu bytes=",
           dom, started, (unsigned long long)b[R_SEQ], (unsigned long long)b[R_GEN],
           (unsigned long long)b[R_WINDOW], (unsigned long long)b[R_FLAGS],
           b[R_FAULT] < 4 ? faults[b[R_FAULT]] : "?", (unsigned long long)b[R_ESR],
           (unsigned long long)b[R_FAR], (unsigned long long)b[R_ELR],
           b[R_WSTATE] < 4 ? wstates[b[R_WSTATE]] : "?", (unsigned long long)b[R_WBACK],
           (unsigned long long)b[R_READS], (unsigned long long)b[R_FAULTS],
           (unsigned long long)b[R_WAKEUPS], (unsigned long long)b[R_CNTVCT],
           (unsigned long long)b[R_CNTFRQ], (unsigned long long)b[R_BASE],
           (unsigned long long)b[R_PERIOD]);
    print_hex((const uint8_t *)&b[R_BYTES], 64);
    putchar('\n');
    return 0;
}

static int do_pages(uint32_t dom) {
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    if (!xch)
        fail(3, "xc_interface_open: %s", strerror(errno));
    xc_domaininfo_t info;
    /* getinfolist answers from the first domain >= dom on: anything else means gone */
    int n = xc_domain_getinfolist(xch, dom, 1, &info);
    if (n < 0)
        fail(3, "xc_domain_getinfolist: %s", strerror(errno));
    if (n == 0 || info.domain != dom) {
        printf("cmd=pages domid=%u state=gone\n", dom);
    } else {
        uint32_t f = info.flags;
        printf("cmd=pages domid=%u state=present tot_pages=%llu max_pages=%llu dying=%d "
               "shutdown=%d shutdown_code=%u paused=%d blocked=%d running=%d\n",
               dom, (unsigned long long)info.tot_pages, (unsigned long long)info.max_pages,
               !!(f & XEN_DOMINF_dying), !!(f & XEN_DOMINF_shutdown),
               (f >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask,
               !!(f & XEN_DOMINF_paused), !!(f & XEN_DOMINF_blocked),
               !!(f & XEN_DOMINF_running));
    }
    xc_interface_close(xch);
    return 0;
}

static void usage(void) {
    fputs("usage: e2e-peek write DOMID GFN HEX [OFFSET]\n"
          "       e2e-peek read DOMID GFN LEN [OFFSET]\n"
          "       e2e-peek fill DOMID GFN NPAGES SEED [FIRST]\n"
          "       e2e-peek check DOMID GFN NPAGES SEED [FIRST]\n"
          "       e2e-peek guest-setup DOMID WINDOW FLAGS VALUE [PERIOD_MS]\n"
          "       e2e-peek guest-report DOMID\n"
          "       e2e-peek pages DOMID\n",
          stderr);
    exit(2);
}

/* argument I of argv, or DEFAULT when it was left out */
#define OPT(i, name, dflt) (argc > (i) ? number(argv[i], name) : (dflt))

int main(int argc, char **argv) {
    if (argc < 3)
        usage();
    cmd = argv[1];
    uint32_t dom = domid(argv[2]);
    const char *c = cmd;
#define ARGS(lo, hi) do { if (argc < (lo) || argc > (hi)) usage(); } while (0)
    if (!strcmp(c, "write")) {
        ARGS(5, 6);
        return do_write(dom, number(argv[3], "GFN"), argv[4], OPT(5, "OFFSET", 0));
    }
    if (!strcmp(c, "read")) {
        ARGS(5, 6);
        return do_read(dom, number(argv[3], "GFN"), number(argv[4], "LEN"), OPT(5, "OFFSET", 0));
    }
    if (!strcmp(c, "fill") || !strcmp(c, "check")) {
        ARGS(6, 7);
        return do_pattern(!strcmp(c, "check"), dom, number(argv[3], "GFN"),
                          number(argv[4], "NPAGES"), number(argv[5], "SEED"),
                          OPT(6, "FIRST", 0));
    }
    if (!strcmp(c, "guest-setup")) {
        ARGS(6, 7);
        return do_guest_setup(dom, number(argv[3], "WINDOW"), number(argv[4], "FLAGS"),
                              number(argv[5], "VALUE"), OPT(6, "PERIOD_MS", 0));
    }
    if (!strcmp(c, "guest-report")) {
        ARGS(3, 3);
        return do_guest_report(dom);
    }
    if (!strcmp(c, "pages")) {
        ARGS(3, 3);
        return do_pages(dom);
    }
    usage();
}
