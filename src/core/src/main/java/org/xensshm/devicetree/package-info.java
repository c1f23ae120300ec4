/**
 * How regions reach device trees: {@link org.xensshm.devicetree.GuestDeviceTree} writes a guest's
 * {@code /reserved-memory} nodes (Linux's xen,shared-memory-v1 binding);
 * {@link org.xensshm.devicetree.Dom0lessExport} checks a plan against upstream Xen's boot-time
 * rules and writes its {@code xen,domain-shared-memory-v1} nodes for dom0less hosts (alone, as a
 * fragment, merged into a {@link org.xensshm.devicetree.HostTree}) or ImageBuilder's lines.
 *
 * <p>Its exceptions are not meant to be serialized, so they have no serialized form.
 *
 * @serial exclude
 */
package org.xensshm.devicetree;
