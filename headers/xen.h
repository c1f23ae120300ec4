/*
 * The one header jextract reads: the Debian libxen-dev headers the project binds (libxenctrl,
 * libxenstore, and libxencall for multicalls), plus stdlib.h for free(), which releases the
 * strings and arrays libxenstore hands back, and getenv(), which tells where libxenstore
 * connects (the C environment, which Java's copy of it does not follow); sys/socket.h for
 * shutdown(), which ends a xenstored connection whose request has passed its deadline;
 * unistd.h for dup() and close(), which give that deadline a descriptor of the connection of its
 * own; and poll.h for poll(), which waits a bounded time for a xenstore watch to fire. What gets
 * generated from it is selected by headers/xen.jextract.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xencall.h>
