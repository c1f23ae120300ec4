/**
 * The engine's seams over the real Xen stack: {@link org.xensshm.engine.Hypervisor} over
 * libxenctrl and {@link org.xensshm.engine.Store} over libxenstore, both through
 * {@code org.xensshm.xen}.
 */
package org.xensshm.backend.xen;
