/**
 * The seams between the engine and a host: {@link org.xensshm.host.Hypervisor} (the hypercalls
 * static shared memory needs) and {@link org.xensshm.host.Store} (xenstore transactions), the
 * off-heap {@link org.xensshm.host.PageBatch} they exchange, and the typed failure of a call,
 * {@link org.xensshm.host.XenCallException}. The native layer and the test kit's in-memory host
 * implement them.
 *
 * <p>Its exceptions are not meant to be serialized, so they have no serialized form.
 *
 * @serial exclude
 */
package org.xensshm.host;
