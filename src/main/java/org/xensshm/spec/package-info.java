/**
 * Static shared memory specs: the immutable region record, its builder, the xl config reader, the
 * per-domain validation and the offline plan check for a set of domains. Pure Java, no Xen needed.
 */
package org.xensshm.spec;
