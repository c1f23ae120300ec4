/*
 * The C baseline: a borrower's pages mapped and unmapped the way libxl's
 * static shm patch does it (libxl__sshm_do_map and its rollback), over the
 * real libxenctrl 4.17 and the test bed's simulated hypervisor, timed like
 * the JMH benchmarks next to it so that the two can be compared in one run.
 *
 *   LD_PRELOAD=.../libxensim.so XENSIM_STATE=... libxl-way [options]
 *     --sizes N,N,...     region sizes in pages (default 1,512,65536,262144,1048576,4194304)
 *     --paths P,P,...     map, map-unmap, map-multicall (default: all)
 *     --warmup N          warm-up iterations (default 3; none once an operation
 *                         took over a second at a smaller size)
 *     --iterations N      measured iterations (default 5)
 *     --time MS           least duration of one iteration (default 1000)
 *
 * Paths, one operation each:
 *   map            calloc idxs, gpfns and errs for the whole region, fill them
 *                  in a loop, map in XENMEM_add_to_physmap_batch calls of at
 *                  most 65535 entries (the uint16 size), check every entry and
 *                  keep the mapped gfns in a calloc'd array, as libxl does; free
 *   map-unmap      map, then xc_domain_remove_from_physmap page by page over
 *                  the mapped gfns: libxl's only way to take pages out
 *   map-multicall  map, then the removals in __HYPERVISOR_multicalls of 4096
 *                  entries through one libxencall buffer kept for the run: what
 *                  xen-sshm does, written in C, for reference
 *
 * Prints one line per path and size, tab-separated:
 *   c <path> <pages> <mean ns per op> <stddev ns per op> <iterations>
 * The same target range is mapped again by every operation: Xen on Arm
 * replaces a mapping, so each operation does the full work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xencall.h>
#include <xenctrl.h>

#define XENSIM_WEAK
#include "xensim.h"

#define OWNER 1
#define BORROWER 2
#define OWNER_GFN 0x100ULL
#define BORROWER_GFN 0x1000000ULL
#define MAX_BATCH 0xFFFF
#define MULTICALL_ENTRIES 4096

static xc_interface *xch;
static xencall_handle *xcall;

static void die(const char *what, int err)
{
    fprintf(stderr, "libxl-way: %s: %s\n", what, strerror(err));
    exit(1);
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

/* libxl__sshm_do_map, with the batch split at the ABI's 65535 entries.
 * Returns the calloc'd array of mapped gfns; *nmapped is its length. */
static xen_pfn_t *map_region(unsigned int pages, unsigned int *nmapped)
{
    int *errs = calloc(pages, sizeof(int));
    xen_ulong_t *idxs = calloc(pages, sizeof(xen_ulong_t));
    xen_pfn_t *gpfns = calloc(pages, sizeof(xen_pfn_t));
    xen_pfn_t *mapped = calloc(pages, sizeof(xen_pfn_t));
    if (!errs || !idxs || !gpfns || !mapped)
        die("calloc", ENOMEM);
    for (unsigned int i = 0; i < pages; i++) {
        idxs[i] = OWNER_GFN + i;
        gpfns[i] = BORROWER_GFN + i;
    }
    for (unsigned int done = 0; done < pages; done += MAX_BATCH) {
        unsigned int n = pages - done < MAX_BATCH ? pages - done : MAX_BATCH;
        if (xc_domain_add_to_physmap_batch(xch, BORROWER, OWNER, XENSIM_MAPSPACE_GMFN_SHARE, n,
                                           idxs + done, gpfns + done, errs + done) < 0)
            die("xc_domain_add_to_physmap_batch", errno);
    }
    unsigned int ok = 0;
    for (unsigned int i = 0; i < pages; i++) {
        if (errs[i])
            die("mapping a page", -errs[i]);
        mapped[ok++] = gpfns[i];
    }
    free(errs);
    free(idxs);
    free(gpfns);
    *nmapped = ok;
    return mapped;
}

static void unmap_page_by_page(const xen_pfn_t *mapped, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        if (xc_domain_remove_from_physmap(xch, BORROWER, mapped[i]) < 0)
            die("xc_domain_remove_from_physmap", errno);
}

/* The multicall's hypercall buffer, allocated once as xen-sshm keeps its own. */
static multicall_entry_t *entries;

static void unmap_multicall(const xen_pfn_t *mapped, unsigned int n)
{
    if (!entries) {
        entries = xencall_alloc_buffer(xcall, MULTICALL_ENTRIES * (sizeof(multicall_entry_t)
                                                                   + sizeof(struct xen_remove_from_physmap)));
        if (!entries)
            die("xencall_alloc_buffer", errno);
    }
    struct xen_remove_from_physmap *args = (void *)(entries + MULTICALL_ENTRIES);
    for (unsigned int done = 0; done < n; done += MULTICALL_ENTRIES) {
        unsigned int count = n - done < MULTICALL_ENTRIES ? n - done : MULTICALL_ENTRIES;
        for (unsigned int i = 0; i < count; i++) {
            args[i].domid = BORROWER;
            args[i].gpfn = mapped[done + i];
            memset(&entries[i], 0, sizeof(entries[i]));
            entries[i].op = __HYPERVISOR_memory_op;
            entries[i].args[0] = XENMEM_remove_from_physmap;
            entries[i].args[1] = (uintptr_t)&args[i];
        }
        if (xencall2(xcall, __HYPERVISOR_multicall, (uintptr_t)entries, count) < 0)
            die("__HYPERVISOR_multicall", errno);
        for (unsigned int i = 0; i < count; i++)
            if (entries[i].result)
                die("removing a page", (int)-entries[i].result);
    }
}

enum path { MAP, MAP_UNMAP, MAP_MULTICALL };
static const char *const path_names[] = { "map", "map-unmap", "map-multicall" };

static void operation(enum path path, unsigned int pages)
{
    unsigned int n;
    xen_pfn_t *mapped = map_region(pages, &n);
    if (path == MAP_UNMAP)
        unmap_page_by_page(mapped, n);
    else if (path == MAP_MULTICALL)
        unmap_multicall(mapped, n);
    free(mapped);
}

/* One iteration: operations until at least min_ns have passed; ns per op. */
static double iteration(enum path path, unsigned int pages, double min_ns)
{
    double start = now_ns(), elapsed;
    long ops = 0;
    do {
        operation(path, pages);
        ops++;
        elapsed = now_ns() - start;
    } while (elapsed < min_ns);
    return elapsed / ops;
}

static int parse_list(char *text, unsigned long *out, int max)
{
    int n = 0;
    for (char *item = strtok(text, ","); item && n < max; item = strtok(NULL, ","))
        out[n++] = strtoul(item, NULL, 0);
    return n;
}

int main(int argc, char **argv)
{
    unsigned long sizes[16] = { 1, 512, 65536, 262144, 1048576, 4194304 };
    int nsizes = 6, warmup = 3, iterations = 5;
    int use[3] = { 1, 1, 1 };
    double min_ns = 1e9;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--sizes") == 0) {
            nsizes = parse_list(argv[++i], sizes, 16);
        } else if (i + 1 < argc && strcmp(argv[i], "--paths") == 0) {
            use[0] = use[1] = use[2] = 0;
            for (char *p = strtok(argv[++i], ","); p; p = strtok(NULL, ","))
                for (int k = 0; k < 3; k++)
                    if (strcmp(p, path_names[k]) == 0)
                        use[k] = 1;
        } else if (i + 1 < argc && strcmp(argv[i], "--warmup") == 0) {
            warmup = atoi(argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--iterations") == 0) {
            iterations = atoi(argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--time") == 0) {
            min_ns = atof(argv[++i]) * 1e6;
        } else {
            fprintf(stderr, "usage: %s [--sizes N,..] [--paths map,map-unmap,map-multicall] "
                    "[--warmup N] [--iterations N] [--time MS]\n", argv[0]);
            return 2;
        }
    }
    if (!xensim_reset) {
        fprintf(stderr, "libxl-way: the simulated hypervisor is not preloaded (LD_PRELOAD=libxensim.so)\n");
        return 2;
    }
    unsigned long largest = 0;
    for (int i = 0; i < nsizes; i++)
        largest = sizes[i] > largest ? sizes[i] : largest;
    int rc;
    if ((rc = xensim_reset()) || (rc = xensim_set_personality(XENSIM_SERIES_FIXED)) ||
        (rc = xensim_create_domain(OWNER)) || (rc = xensim_create_domain(BORROWER)) ||
        (rc = xensim_populate(OWNER, OWNER_GFN, largest)))
        die("setting up the test bed", -rc);
    xch = xc_interface_open(NULL, NULL, 0);
    xcall = xencall_open(NULL, 0);
    if (!xch || !xcall)
        die("opening libxenctrl and libxencall", errno);

    for (int k = 0; k < 3; k++) {
        if (!use[k])
            continue;
        double previous = 0;    /* ns per op at the previous size */
        for (int s = 0; s < nsizes; s++) {
            unsigned int pages = (unsigned int)sizes[s];
            /* Operations of over a second at a smaller size have warmed everything up. */
            for (int i = 0; i < warmup && previous < 1e9; i++)
                iteration(k, pages, min_ns);
            double sum = 0, squares = 0;
            for (int i = 0; i < iterations; i++) {
                double ns = iteration(k, pages, min_ns);
                sum += ns;
                squares += ns * ns;
            }
            double mean = sum / iterations;
            previous = mean;
            double variance = iterations > 1 ? (squares - iterations * mean * mean) / (iterations - 1) : 0;
            printf("c\t%s\t%u\t%.1f\t%.1f\t%d\n", path_names[k], pages, mean, variance > 0 ? sqrt(variance) : 0,
                   iterations);
            fflush(stdout);
        }
    }
    if (entries)
        xencall_free_buffer(xcall, entries);
    xencall_close(xcall);
    xc_interface_close(xch);
    return 0;
}
