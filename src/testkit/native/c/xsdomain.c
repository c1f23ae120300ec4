/*
 * xsdomain - tells the test bed's xenstored about a domain, as a toolstack
 * does once it has built one (XS_INTRODUCE) or destroyed one (XS_RELEASE).
 * Used by run-xenstored-smoke.sh; talks to the daemon named by
 * XENSTORED_PATH through Debian's libxenstore.
 *
 *   xsdomain introduce DOMID    XS_INTRODUCE: fires @introduceDomain
 *   xsdomain release DOMID      XS_RELEASE: fires @releaseDomain
 *
 * Exit status 0 on success, 1 when the daemon refuses (errno printed), 2 for
 * bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

/*
 * What a toolstack passes along with the domid: the guest frame of the
 * domain's xenstore ring (xenstored 4.17 ignores it and maps the reserved
 * grant instead) and the event channel port the guest listens on (any port
 * above 0; the daemon binds its own end through the shim).
 */
#define RING_GFN 0x39001UL  /* GUEST_MAGIC_BASE on Arm + XENSTORE_PFN_OFFSET */
#define RING_PORT 1U

static int usage(void)
{
	fprintf(stderr, "usage: xsdomain introduce|release DOMID\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct xs_handle *xs;
	unsigned long domid;
	char *end;
	int ok;

	if (argc != 3)
		return usage();
	errno = 0;
	domid = strtoul(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end || errno || domid == 0 || domid >= 0x7FF0)
		return usage();

	xs = xs_open(0);
	if (!xs) {
		perror("xsdomain: xs_open");
		return 1;
	}
	if (!strcmp(argv[1], "introduce")) {
		ok = xs_introduce_domain(xs, domid, RING_GFN, RING_PORT);
	} else if (!strcmp(argv[1], "release")) {
		ok = xs_release_domain(xs, domid);
	} else {
		xs_close(xs);
		return usage();
	}
	if (!ok)
		fprintf(stderr, "xsdomain: %s %lu: %s\n", argv[1], domid,
			strerror(errno));
	xs_close(xs);
	return ok ? 0 : 1;
}
