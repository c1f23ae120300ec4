/**
 * The end-to-end tier's host side: boots real Xen hypervisors under qemu-system-aarch64 and turns
 * what the dom0 driver reports into tests.
 */
package org.xensshm.e2e;
