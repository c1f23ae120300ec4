/**
 * How regions reach device trees: {@link org.xensshm.devicetree.GuestDeviceTree} writes a guest's
 * {@code /reserved-memory} nodes (Linux's xen,shared-memory-v1 binding), and
 * {@link org.xensshm.devicetree.Dom0lessDeviceTree} writes upstream Xen's boot-time
 * {@code xen,domain-shared-memory-v1} nodes for dom0less hosts, both as device-tree source.
 */
package org.xensshm.devicetree;
