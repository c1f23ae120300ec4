/**
 * Static shared memory specs, pure Java: no Xen needed. A domain's {@code static_shm} entries
 * come from an xl config ({@link org.xensshm.spec.XlConfigParser}) or from code
 * ({@link org.xensshm.spec.SshmSpec#builder(String)}) as {@link org.xensshm.spec.SpecDraft}s;
 * {@link org.xensshm.spec.SpecValidator} checks one domain and resolves its drafts into
 * {@link org.xensshm.spec.SshmSpec}s; {@link org.xensshm.spec.PlanChecker} checks several domains
 * together into a {@link org.xensshm.spec.Plan} with their creation order. Every refusal is an
 * {@link org.xensshm.spec.InvalidSpecException} listing all problems found.
 */
package org.xensshm.spec;
