package org.xensshm.engine;

import java.io.Serial;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A static shared memory operation failed. Names the domain and region it was about (when it was
 * about one) and says what the engine was doing. Unless {@link #needsReconcile()}, the failed
 * operation left the host as it found it (a detach may instead have completed part of its work,
 * see {@link StaticShmEngine#detach}).
 */
public abstract sealed class SshmException extends RuntimeException
        permits RegionRefusedException, MapSpaceRefusedException, PageMappingException,
        BackendFailureException, CleanupIncompleteException, HypervisorDefectException {

    /** Value of the domid field when the failure concerns no particular domain. */
    static final int NO_DOMAIN = -1;

    @Serial
    private static final long serialVersionUID = 1L;

    private final int domid;
    private final String regionId;

    SshmException(int domid, String regionId, String detail, Throwable cause) {
        super(subject(domid, regionId) + detail, cause);
        this.domid = domid;
        this.regionId = regionId;
    }

    private static String subject(int domid, String regionId) {
        String domain = domid == NO_DOMAIN ? "" : "domain " + domid;
        String region = regionId == null ? "" : "static_shm id " + regionId;
        String both = domain.isEmpty() || region.isEmpty() ? domain + region : domain + ", " + region;
        return both.isEmpty() ? "" : both + ": ";
    }

    /**
     * The domain the operation was for, if it was for one.
     *
     * @return the domid, or empty
     */
    public OptionalInt domid() {
        return domid == NO_DOMAIN ? OptionalInt.empty() : OptionalInt.of(domid);
    }

    /**
     * The region (static_shm id) concerned, if one was.
     *
     * @return the id, or empty
     */
    public Optional<String> regionId() {
        return Optional.ofNullable(regionId);
    }

    /**
     * Whether the failure left work pending (pages still mapped or records still marked as in
     * progress) that {@link StaticShmEngine#reconcile()} finishes: true for a
     * {@link CleanupIncompleteException}, or when one is attached as suppressed because undoing a
     * failed attach did not complete.
     *
     * @return true when {@link StaticShmEngine#reconcile()} has work left by this failure
     */
    public boolean needsReconcile() {
        return Arrays.stream(getSuppressed()).anyMatch(CleanupIncompleteException.class::isInstance);
    }
}
