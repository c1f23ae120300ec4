package org.xensshm.engine;

import java.io.Serial;
import java.util.List;

/**
 * Undoing a failed attach, or finishing a detach, stopped short: some pages are still mapped or
 * some records could not be updated. Whatever is left is recorded in xenstore as in progress, so
 * {@link StaticShmEngine#reconcile()} (or detaching again) finishes it.
 */
public final class CleanupIncompleteException extends SshmException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final List<PageRun> stillMapped;

    CleanupIncompleteException(int domid, String regionId, String detail, List<PageRun> stillMapped,
                               Throwable cause) {
        super(domid, regionId, detail + (stillMapped.isEmpty() ? ""
                : "; still mapped: " + PageRuns.describe(stillMapped)) + "; reconcile() finishes it", cause);
        this.stillMapped = List.copyOf(stillMapped);
    }

    /**
     * Borrower gfns that could not be unmapped (so may still be mapped), with the errno of each run.
     *
     * @return the pages still mapped, by run; empty when only records were left
     */
    public List<PageRun> stillMapped() {
        return stillMapped;
    }

    @Override
    public boolean needsReconcile() {
        return true;
    }
}
