/**
 * Generated FFM bindings for libxenctrl 4.17, libxenstore 4 and libxencall 1, written by jextract
 * for arm64 (see jextract.sh and headers/); internal, not exported. Only {@code org.xensshm.xen}
 * calls into this package.
 */
package org.xensshm.ffi;
