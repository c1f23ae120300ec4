package org.xensshm.engine;

import java.util.List;

import org.xensshm.spec.Role;

/** What {@link StaticShmEngine#reconcile()} found and did; empty when everything was consistent. */
public record ReconcileReport(List<Action> actions) {

    public ReconcileReport {
        actions = List.copyOf(actions);
    }

    public boolean isEmpty() {
        return actions.isEmpty();
    }

    /** Whether some pending work could not be finished (see the {@link Failed} actions). */
    public boolean hasFailures() {
        return actions.stream().anyMatch(Failed.class::isInstance);
    }

    /** One thing reconcile did or left alone. */
    public sealed interface Action {
        String regionId();
    }

    /** An interrupted attach was undone: a borrower's pages unmapped, or an owner's record dropped. */
    public record AttachUndone(String regionId, int domid, Role role) implements Action {
    }

    /** An interrupted detach of a borrower was finished. */
    public record DetachFinished(String regionId, int domid) implements Action {
    }

    /** The domain no longer exists: its borrower entry was dropped, or its region released. */
    public record DomainGone(String regionId, int domid, Role role) implements Action {
    }

    /**
     * The domid now belongs to another domain (its handle differs from the recorded one): the old
     * domain's entry was dropped, or its region released, and nothing of the new domain unmapped.
     */
    public record DomainReplaced(String regionId, int domid, Role role) implements Action {
    }

    /** The region's usercnt did not match its users and was rewritten. */
    public record CountRepaired(String regionId, String was, int now) implements Action {
    }

    /**
     * Left alone: a live toolstack process is working on it, or its record cannot be read.
     *
     * @param domid the domain concerned, or -1 for the region's record as a whole
     */
    public record Skipped(String regionId, int domid, String reason) implements Action {
    }

    /** Pending work that could not be finished now; the next reconcile tries again. */
    public record Failed(String regionId, SshmException error) implements Action {
    }
}
