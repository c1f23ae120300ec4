package org.xensshm.xen;

import java.io.Serial;

import org.xensshm.host.Errno;
import org.xensshm.host.XenCallException;

/**
 * The hypervisor's interface cannot be opened: this is not a Xen dom0, its privcmd driver is
 * missing, or the process lacks the right to use it. The message says which, and what to do.
 */
public final class HypervisorUnreachableException extends XenCallException {

    @Serial
    private static final long serialVersionUID = 1L;

    /** The device libxencall opens; its absence means there is no Xen to talk to. */
    static final String PRIVCMD = "/dev/xen/privcmd";

    HypervisorUnreachableException(XenCallException opening) {
        super(opening.call(), opening.arguments(), opening.errno(), diagnosis(opening.errno()));
        initCause(opening);
    }

    private static String diagnosis(int errno) {
        return switch (errno) {
            case Errno.ENOENT -> "there is no " + PRIVCMD + ": this is not a Xen dom0, or its privcmd driver is not"
                    + " loaded (modprobe xen-privcmd)";
            case Errno.EACCES, Errno.EPERM -> "no permission to open " + PRIVCMD + ": run as root in dom0";
            default -> "cannot open " + PRIVCMD + " (is this a Xen dom0?)";
        };
    }
}
