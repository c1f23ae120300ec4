/**
 * The end-to-end driver that runs in the dom0 of an emulated Xen host: scenarios over the real
 * hypervisor, xenstored, {@code xl} and the test guests, reported line by line on the console.
 */
package org.xensshm.e2e.dom0;
