/* SPDX-License-Identifier: Apache-2.0 (xen-sshm test bed; see ../README.md) */
/*
 * xsdshim.c - LD_PRELOAD shim that lets Debian's C xenstored (Xen 4.17) run
 * on a machine without a hypervisor, as a per-test-run daemon that serves
 * clients over its unix socket only.
 *
 * See ../XENSTORED.md for what xenstored needs at start, what is faked here
 * and how to start/stop the daemon.
 *
 * What is interposed (all other calls go to the real libraries/libc):
 *
 *  - libxenevtchn: the handle owns one eventfd that nobody ever signals, so
 *    the daemon's poll() never sees it readable (no busy loop, no spurious
 *    VIRQ_DOM_EXC -> no domain checks).  bind_* hand out increasing local port
 *    numbers; notify/unmask/unbind succeed without doing anything.
 *  - libxengnttab: open/set_max_grants/close succeed; mapping a domain's
 *    xenstore ring (GNTTAB_RESERVED_XENSTORE) gives a fresh zeroed page, so
 *    that a toolstack can introduce a domain (XS_INTRODUCE, which fires
 *    @introduceDomain) and release it (XS_RELEASE, @releaseDomain).  Nobody
 *    writes requests into that page, so the daemon never reads from it.
 *  - libxenctrl: xc_interface_open returns a dummy handle; xc_domain_getinfo
 *    reports a configurable set of domids as existing, running domains.
 *  - open()/open64()/openat() of /proc/xen/xsd_kva and /proc/xen/xsd_port:
 *    served from memfds (a zeroed page for dom0's ring, and the text of a
 *    port number).
 *  - syslog family: messages go to stderr instead of /dev/log, so the daemon
 *    touches nothing outside its run directory.
 *
 * Environment:
 *  XSDSHIM_DOMIDS     domids reported as existing, e.g. "0-31" or "0,1,5-7",
 *                     or "all" (default: all of 0..32751).  Domid 0 always
 *                     exists.  xenstored refuses (ENOENT) to set a node owner
 *                     that is not an existing domain.
 *  XSDSHIM_DOM0_PORT  event channel port written to the fake xsd_port
 *                     (default 1).
 *  XSDSHIM_DEBUG      if set to a non-empty value other than "0", log each
 *                     faked call to stderr.
 */
#undef _FORTIFY_SOURCE
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xen/grant_table.h>

#define SHIM_NAME "xsdshim"
#define KVA_PATH "/proc/xen/xsd_kva"
#define PORT_PATH "/proc/xen/xsd_port"
#define MAX_DOMID 0x7FF0u /* DOMID_FIRST_RESERVED: first non-guest domid */
#define RING_PAGE_SIZE 4096u /* XC_PAGE_SIZE: a grant maps one such page */

/* ------------------------------------------------------------------------ */
/* configuration                                                            */

static int shim_debug;
static unsigned int shim_dom0_port = 1;
static uint8_t domid_bits[MAX_DOMID / 8];

static void shim_log(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void shim_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, m;

	if (!shim_debug)
		return;
	n = snprintf(buf, sizeof(buf), SHIM_NAME "[%ld]: ", (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nothing sensible to do */
	}
}

static void shim_die(const char *what)
{
	fprintf(stderr, SHIM_NAME ": %s\n", what);
	abort();
}

static void domid_set(unsigned long d)
{
	if (d < MAX_DOMID)
		domid_bits[d / 8] |= (uint8_t)(1u << (d % 8));
}

static int domid_exists(uint32_t d)
{
	return d < MAX_DOMID && (domid_bits[d / 8] & (1u << (d % 8)));
}

/* Parses "all" or a comma separated list of N and N-M items. */
static void parse_domids(const char *spec)
{
	const char *p = spec;

	if (!spec || !*spec || !strcmp(spec, "all")) {
		memset(domid_bits, 0xff, sizeof(domid_bits));
		return;
	}
	memset(domid_bits, 0, sizeof(domid_bits));
	while (*p) {
		char *end;
		unsigned long lo, hi;

		errno = 0;
		lo = strtoul(p, &end, 10);
		if (end == p || errno)
			shim_die("bad XSDSHIM_DOMIDS");
		hi = lo;
		p = end;
		if (*p == '-') {
			p++;
			hi = strtoul(p, &end, 10);
			if (end == p || errno || hi < lo)
				shim_die("bad XSDSHIM_DOMIDS");
			p = end;
		}
		if (hi >= MAX_DOMID)
			shim_die("XSDSHIM_DOMIDS: domid out of range");
		for (; lo <= hi; lo++)
			domid_set(lo);
		if (*p == ',')
			p++;
		else if (*p)
			shim_die("bad XSDSHIM_DOMIDS");
	}
}

__attribute__((constructor))
static void shim_init(void)
{
	const char *s;

	s = getenv("XSDSHIM_DEBUG");
	shim_debug = s && *s && strcmp(s, "0") != 0;

	s = getenv("XSDSHIM_DOM0_PORT");
	if (s && *s) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (*end || v == 0 || v > 0xffffffu)
			shim_die("bad XSDSHIM_DOM0_PORT");
		shim_dom0_port = (unsigned int)v;
	}

	parse_domids(getenv("XSDSHIM_DOMIDS"));
	domid_set(0);
	shim_log("loaded (dom0 port %u)", shim_dom0_port);
}

/* ------------------------------------------------------------------------ */
/* /proc/xen/xsd_kva and /proc/xen/xsd_port                                 */

/*
 * Returns a fresh fd for one of the two xenbus files, -2 if the path is not
 * one of them, or -1 with errno set on failure.
 */
static int fake_proc_file(const char *path)
{
	int fd;

	if (!strcmp(path, KVA_PATH)) {
		long pg = sysconf(_SC_PAGESIZE);

		fd = memfd_create("xsdshim-xsd_kva", MFD_CLOEXEC);
		if (fd < 0)
			return -1;
		if (ftruncate(fd, pg > 0 ? pg : 4096) < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		shim_log("open(%s) -> memfd %d (zeroed ring page)", path, fd);
		return fd;
	}

	if (!strcmp(path, PORT_PATH)) {
		char txt[16];
		int n = snprintf(txt, sizeof(txt), "%u\n", shim_dom0_port);

		fd = memfd_create("xsdshim-xsd_port", MFD_CLOEXEC);
		if (fd < 0)
			return -1;
		if (write(fd, txt, n) != n || lseek(fd, 0, SEEK_SET) != 0) {
			int e = errno ? errno : EIO;

			close(fd);
			errno = e;
			return -1;
		}
		shim_log("open(%s) -> memfd %d (port %u)", path, fd,
			 shim_dom0_port);
		return fd;
	}

	return -2;
}

static int needs_mode(int flags)
{
	return (flags & O_CREAT) || ((flags & O_TMPFILE) == O_TMPFILE);
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

static void *next_sym(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f)
		shim_die("dlsym(RTLD_NEXT) failed");
	return f;
}

int open(const char *path, int flags, ...)
{
	static open_fn real;
	mode_t mode = 0;
	int fd = fake_proc_file(path);

	if (fd != -2)
		return fd;
	if (needs_mode(flags)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!real)
		real = (open_fn)next_sym("open");
	return real(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	static open_fn real;
	mode_t mode = 0;
	int fd = fake_proc_file(path);

	if (fd != -2)
		return fd;
	if (needs_mode(flags)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!real)
		real = (open_fn)next_sym("open64");
	return real(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	static openat_fn real;
	mode_t mode = 0;
	int fd = path[0] == '/' ? fake_proc_file(path) : -2;

	if (fd != -2)
		return fd;
	if (needs_mode(flags)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!real)
		real = (openat_fn)next_sym("openat");
	return real(dirfd, path, flags, mode);
}

/* ------------------------------------------------------------------------ */
/* libxenevtchn                                                             */

struct xenevtchn_handle {
	int fd;                 /* eventfd, never signalled */
};

static evtchn_port_t next_local_port = 1;

static xenevtchn_handle *evtchn_new(int fd)
{
	xenevtchn_handle *h = calloc(1, sizeof(*h));

	if (!h) {
		if (fd >= 0)
			close(fd);
		errno = ENOMEM;
		return NULL;
	}
	h->fd = fd;
	return h;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
				 unsigned int flags)
{
	int efd;

	(void)logger;
	efd = eventfd(0, EFD_NONBLOCK |
		      ((flags & XENEVTCHN_NO_CLOEXEC) ? 0 : EFD_CLOEXEC));
	if (efd < 0)
		return NULL;
	shim_log("xenevtchn_open -> eventfd %d", efd);
	return evtchn_new(efd);
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger,
				   int fd, unsigned open_flags)
{
	(void)logger;
	(void)open_flags;
	shim_log("xenevtchn_fdopen(%d)", fd);
	return evtchn_new(fd);
}

int xenevtchn_close(xenevtchn_handle *xce)
{
	if (!xce)
		return 0;
	if (xce->fd >= 0)
		close(xce->fd);
	free(xce);
	return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
	return xce ? xce->fd : -1;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	(void)xce;
	(void)port;
	return 0;
}

xenevtchn_port_or_error_t
xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
	(void)xce;
	shim_log("xenevtchn_bind_unbound_port(dom %u) -> %u", domid,
		 next_local_port);
	return next_local_port++;
}

xenevtchn_port_or_error_t
xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
			   evtchn_port_t remote_port)
{
	(void)xce;
	if (!domid_exists(domid)) {
		errno = ESRCH;
		return -1;
	}
	shim_log("xenevtchn_bind_interdomain(dom %u, port %u) -> %u", domid,
		 remote_port, next_local_port);
	return next_local_port++;
}

xenevtchn_port_or_error_t
xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
	(void)xce;
	shim_log("xenevtchn_bind_virq(%u) -> %u", virq, next_local_port);
	return next_local_port++;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	(void)xce;
	shim_log("xenevtchn_unbind(%u)", port);
	return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	/*
	 * Only reached if the fd polled readable, which the shim never causes.
	 * Drain it anyway and report "nothing pending".
	 */
	uint64_t v;

	if (xce && xce->fd >= 0 && read(xce->fd, &v, sizeof(v)) < 0) {
		/* already empty */
	}
	shim_log("xenevtchn_pending called unexpectedly");
	errno = EAGAIN;
	return -1;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	(void)xce;
	(void)port;
	return 0;
}

int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
	(void)xce;
	(void)domid;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* libxengnttab                                                             */

struct xengntdev_handle {
	int unused;
};

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger,
				 unsigned open_flags)
{
	xengnttab_handle *h = calloc(1, sizeof(*h));

	(void)logger;
	(void)open_flags;
	if (!h)
		errno = ENOMEM;
	shim_log("xengnttab_open");
	return h;
}

int xengnttab_close(xengnttab_handle *xgt)
{
	free(xgt);
	return 0;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
	(void)xgt;
	(void)nr_grants;
	return 0;
}

/*
 * xenstored maps one grant of a domain it is told about: the domain's
 * xenstore ring.  The shim hands out a private zeroed page in its place; the
 * daemon resets the ring indexes in it and then finds no request to read.
 */
void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
			      uint32_t ref, int prot)
{
	void *page;

	(void)xgt;
	if (ref != GNTTAB_RESERVED_XENSTORE || !domid_exists(domid)) {
		shim_log("xengnttab_map_grant_ref(dom %u, ref %u) refused",
			 domid, ref);
		/* errnos xenstored can name in its reply (xsd_errors) */
		errno = ref != GNTTAB_RESERVED_XENSTORE ? ENOSYS : ENOENT;
		return NULL;
	}
	page = mmap(NULL, RING_PAGE_SIZE, prot, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (page == MAP_FAILED)
		return NULL;
	shim_log("xengnttab_map_grant_ref(dom %u, ref %u) -> ring page %p",
		 domid, ref, page);
	return page;
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address,
		    uint32_t count)
{
	(void)xgt;
	shim_log("xengnttab_unmap(%p, %u)", start_address, count);
	return munmap(start_address, (size_t)count * RING_PAGE_SIZE);
}

/* ------------------------------------------------------------------------ */
/* libxenctrl                                                               */

struct xc_interface_core {
	int unused;
};

xc_interface *xc_interface_open(xentoollog_logger *logger,
				xentoollog_logger *dombuild_logger,
				unsigned open_flags)
{
	xc_interface *h = calloc(1, sizeof(*h));

	(void)logger;
	(void)dombuild_logger;
	(void)open_flags;
	if (!h)
		errno = ENOMEM;
	shim_log("xc_interface_open");
	return h;
}

int xc_interface_close(xc_interface *xch)
{
	free(xch);
	return 0;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
		      unsigned int max_doms, xc_dominfo_t *info)
{
	unsigned int n = 0;
	uint32_t d;

	(void)xch;
	for (d = first_domid; d < MAX_DOMID && n < max_doms; d++) {
		if (!domid_exists(d))
			continue;
		memset(&info[n], 0, sizeof(info[n]));
		info[n].domid = d;
		info[n].running = 1;
		info[n].nr_online_vcpus = 1;
		info[n].max_memkb = 1024 * 1024;
		info[n].nr_pages = 256;
		info[n].cpupool = 0;
		n++;
	}
	return (int)n;
}

/* ------------------------------------------------------------------------ */
/* syslog -> stderr                                                         */

static void log_to_stderr(int pri, const char *fmt, va_list ap)
{
	char buf[1024];
	int n, m;

	n = snprintf(buf, sizeof(buf), "xenstored[%ld] syslog<%d>: ",
		     (long)getpid(), pri);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	if (n > 0 && buf[n - 1] != '\n')
		buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* stderr gone; drop the message */
	}
}

void openlog(const char *ident, int option, int facility)
{
	(void)ident;
	(void)option;
	(void)facility;
}

void closelog(void)
{
}

void vsyslog(int pri, const char *fmt, va_list ap)
{
	log_to_stderr(pri, fmt, ap);
}

void syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_to_stderr(pri, fmt, ap);
	va_end(ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...);
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap);

void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	log_to_stderr(pri, fmt, ap);
	va_end(ap);
}

void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	log_to_stderr(pri, fmt, ap);
}
