package org.xensshm.engine;

import java.util.List;

import org.xensshm.spec.Role;

/**
 * What {@link StaticShmEngine#reconcile()} found and did; empty when everything was consistent.
 *
 * @param actions what was done or left, region by region
 */
public record ReconcileReport(List<Action> actions) {

    /** Copies the list. */
    public ReconcileReport {
        actions = List.copyOf(actions);
    }

    /**
     * Whether everything was consistent already.
     *
     * @return true when there was nothing to do
     */
    public boolean isEmpty() {
        return actions.isEmpty();
    }

    /**
     * Whether some pending work could not be finished (see the {@link Failed} actions).
     *
     * @return true when an action failed
     */
    public boolean hasFailures() {
        return actions.stream().anyMatch(Failed.class::isInstance);
    }

    /** One thing reconcile did or left alone. */
    public sealed interface Action {
        /**
         * The region the action concerns.
         *
         * @return its id
         */
        String regionId();
    }

    /**
     * An interrupted attach was undone: a borrower's pages unmapped, or an owner's record dropped.
     *
     * @param regionId the region
     * @param domid the domain whose attach was undone
     * @param role its role in the region
     */
    public record AttachUndone(String regionId, int domid, Role role) implements Action {
    }

    /**
     * An interrupted detach of a borrower was finished.
     *
     * @param regionId the region
     * @param domid the borrower whose detach was finished
     */
    public record DetachFinished(String regionId, int domid) implements Action {
    }

    /**
     * The domain no longer exists: its borrower entry was dropped, or its region released.
     *
     * @param regionId the region
     * @param domid the domain that is gone
     * @param role its role in the region
     */
    public record DomainGone(String regionId, int domid, Role role) implements Action {
    }

    /**
     * The domid now belongs to another domain (its handle differs from the recorded one): the old
     * domain's entry was dropped, or its region released, and nothing of the new domain unmapped.
     *
     * @param regionId the region
     * @param domid    the domid, now another domain's
     * @param role     what the earlier domain was to the region
     */
    public record DomainReplaced(String regionId, int domid, Role role) implements Action {
    }

    /**
     * The region's usercnt did not match its users and was rewritten.
     *
     * @param regionId the region
     * @param was the count as it was recorded, possibly unreadable
     * @param now the count written: the region's users
     */
    public record CountRepaired(String regionId, String was, int now) implements Action {
    }

    /**
     * Left alone: a live toolstack process is working on it, or its record cannot be read.
     *
     * @param regionId the region
     * @param domid the domain concerned, or -1 for the region's record as a whole
     * @param reason why it was left alone
     */
    public record Skipped(String regionId, int domid, String reason) implements Action {
    }

    /**
     * Pending work that could not be finished now; the next reconcile tries again.
     *
     * @param regionId the region
     * @param error why the work could not be finished
     */
    public record Failed(String regionId, SshmException error) implements Action {
    }
}
