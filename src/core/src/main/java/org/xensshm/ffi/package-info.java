/**
 * Generated FFM bindings for libxenctrl 4.17, libxenstore 4 and libxencall 1, written by jextract
 * for arm64 (see jextract.sh and headers/); internal, not exported. Only {@code org.xensshm.xen}
 * calls into this package.
 *
 * <p>Their input is Debian 12's libxen-dev 4.17 headers (xenctrl.h, xenstore.h, xencall.h: GNU
 * LGPL 2.1; the Xen public headers: MIT) and two C library headers, whose names, constants and
 * structure layouts they reproduce; headers/README.md and NOTICE say which gives what. This file
 * is the package's only hand-written one.
 */
package org.xensshm.ffi;
