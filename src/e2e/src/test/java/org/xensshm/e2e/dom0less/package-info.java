/**
 * The dom0less tier: upstream Xen booted under qemu-system-aarch64 with no dom0 and tiny
 * bare-metal guests, whose host tree gets its static shared memory nodes from
 * {@code xen-sshm dom0less --host-dts}; each borrower proves it sees the owner's bytes.
 */
package org.xensshm.e2e.dom0less;
