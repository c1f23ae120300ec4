/**
 * Generated FFM bindings for libxenctrl 4.17 and libxenstore 4, written by jextract (see
 * jextract.sh); internal, not exported. Only {@code org.xensshm.xen} calls into this package.
 */
package org.xensshm.ffi;
