/*
 * The one header jextract reads: the Debian libxen-dev headers the project binds (libxenctrl,
 * libxenstore, and libxencall for multicalls), plus stdlib.h for free(), which releases the
 * strings and arrays libxenstore hands back, sys/socket.h for shutdown(), which ends a
 * xenstored connection whose request has passed its deadline, and poll.h for poll(), which waits
 * a bounded time for a xenstore watch to fire. What gets generated from it is selected by
 * headers/xen.jextract.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xencall.h>
