/**
 * What a hypervisor does with the calls static shared memory makes, observed by one piece of code
 * on a real Xen (in the emulated hosts' dom0) and on the simulated hypervisor, so that the two can
 * be compared fact by fact and cannot drift apart.
 */
package org.xensshm.e2e.facts;
