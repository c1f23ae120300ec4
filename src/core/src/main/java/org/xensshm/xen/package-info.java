/**
 * The thin native layer: {@link org.xensshm.xen.XenControl} and {@link org.xensshm.xen.XenStore}
 * implement the host seams over the generated libxenctrl and libxenstore bindings, passing
 * off-heap page batches to C as they are and capturing errno for every call;
 * {@link org.xensshm.xen.XenHost} opens both, or says without throwing why it cannot.
 */
package org.xensshm.xen;
