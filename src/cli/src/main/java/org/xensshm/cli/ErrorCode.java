package org.xensshm.cli;

import java.util.List;

import org.xensshm.cli.command.HostUnreachableException;
import org.xensshm.cli.command.InputException;
import org.xensshm.devicetree.HostTreeException;
import org.xensshm.engine.BackendFailureException;
import org.xensshm.engine.CleanupIncompleteException;
import org.xensshm.engine.HypervisorDefectException;
import org.xensshm.engine.MapSpaceRefusedException;
import org.xensshm.engine.PageMappingException;
import org.xensshm.engine.PageRun;
import org.xensshm.engine.RegionRefusedException;
import org.xensshm.host.Errno;
import org.xensshm.host.StoreUnreachableException;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.SpecProblem;
import org.xensshm.testkit.testbed.TestBedUnavailableException;
import org.xensshm.xen.HypervisorUnreachableException;
import org.xensshm.xen.NativeAccessUnavailableException;

/**
 * What kind of failure ended a command, for programs reading {@code --json}: a type and, where
 * the type has several causes, a reason. Both are stable; the README lists them.
 *
 * @param type   e.g. {@code REGION_REFUSED}
 * @param reason e.g. {@code NO_OWNER}, or an errno name such as {@code ENOSYS}; empty when the
 *               type says it all
 */
record ErrorCode(String type, String reason) {

    static ErrorCode of(Exception e) {
        return switch (e) {
            case InvalidSpecException invalid -> new ErrorCode("INVALID_SPEC", invalid.problems().stream()
                    .anyMatch(problem -> problem.field().equals(SpecProblem.LIMIT)) ? "LIMIT" : "");
            case InputException _ -> new ErrorCode("BAD_INPUT", "");
            case HostTreeException refused -> new ErrorCode("HOST_TREE", refused.reason().name());
            case RegionRefusedException refused -> new ErrorCode("REGION_REFUSED", refused.reason().name());
            case MapSpaceRefusedException refused -> new ErrorCode("MAP_SPACE_REFUSED", Errno.name(refused.errno()));
            case PageMappingException failed -> new ErrorCode("PAGE_MAPPING_FAILED", errnoOf(failed.failures()));
            case BackendFailureException failed when failed.call() instanceof StoreUnreachableException unreachable ->
                    new ErrorCode("XENSTORED_UNREACHABLE", unreachable.reason().name());
            case BackendFailureException failed -> new ErrorCode("BACKEND_FAILURE", Errno.name(failed.call().errno()));
            case CleanupIncompleteException _ -> new ErrorCode("CLEANUP_INCOMPLETE", "");
            case HypervisorDefectException _ -> new ErrorCode("HYPERVISOR_DEFECT", "SHARE_WITHOUT_REFERENCE");
            case NativeAccessUnavailableException _ -> new ErrorCode("NATIVE_UNAVAILABLE", "");
            case TestBedUnavailableException _ -> new ErrorCode("TESTBED_UNAVAILABLE", "");
            case HostUnreachableException unreachable -> new ErrorCode(unreachable.type(), unreachable.reason());
            case StoreUnreachableException unreachable -> new ErrorCode("XENSTORED_UNREACHABLE", unreachable.reason().name());
            case HypervisorUnreachableException unreachable ->
                    new ErrorCode("HYPERVISOR_UNREACHABLE", Errno.name(unreachable.errno()));
            case XenCallException failed -> new ErrorCode("XEN_CALL_FAILED", Errno.name(failed.errno()));
            default -> new ErrorCode("FAILED", "");
        };
    }

    /** The errno of the first failed pages; "NOT_ATTEMPTED" for pages Xen never reached. */
    private static String errnoOf(List<PageRun> failures) {
        int errno = failures.isEmpty() ? 0 : failures.getFirst().errno();
        return errno == 0 ? "NOT_ATTEMPTED" : Errno.name(errno);
    }

    /** {@code TYPE/REASON}, or {@code TYPE} alone. */
    @Override
    public String toString() {
        return reason.isEmpty() ? type : type + "/" + reason;
    }
}
