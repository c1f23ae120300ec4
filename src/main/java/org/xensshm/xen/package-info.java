/**
 * The thin native layer: idiomatic handles over the generated libxenctrl and libxenstore
 * bindings, off-heap page batches for zero-copy mapping, typed errors carrying the errno.
 */
package org.xensshm.xen;
