package org.xensshm.engine;

import java.io.Serial;
import java.util.List;

import org.xensshm.host.Errno;

/** Some pages of a borrower's region could not be mapped; the attach was undone. */
public final class PageMappingException extends SshmException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final int ownerDomid;
    private final List<PageRun> failures;

    PageMappingException(int domid, String regionId, int ownerDomid, List<PageRun> failures) {
        super(domid, regionId, "could not map " + failures.stream().mapToLong(PageRun::count).sum()
                + " page(s) of domain " + ownerDomid + " (borrower gfns): " + PageRuns.describe(failures)
                + hint(failures), null);
        this.ownerDomid = ownerDomid;
        this.failures = List.copyOf(failures);
    }

    /**
     * The domain whose pages were to be mapped.
     *
     * @return its domid
     */
    public int ownerDomid() {
        return ownerDomid;
    }

    /**
     * The failed gfns of the borrower, in order, with the errno of each run.
     *
     * @return the pages that failed, by run of equal errno
     */
    public List<PageRun> failures() {
        return failures;
    }

    private static String hint(List<PageRun> failures) {
        boolean invalid = failures.stream().anyMatch(run -> run.errno() == Errno.EINVAL);
        return invalid ? " (EINVAL: the owner's page is not RAM it populated, or the borrower address is "
                + "beyond its guest physical address space)" : "";
    }
}
