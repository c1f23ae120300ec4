package org.xensshm.host;

/**
 * A call into Xen (a hypercall through libxenctrl, or a xenstore request) failed. Carries the
 * call's name, its arguments as text and the errno, so that a log line alone tells what happened.
 */
public class XenCallException extends RuntimeException {
    private final String call;
    private final String arguments;
    private final int errno;

    public XenCallException(String call, String arguments, int errno, String detail) {
        super(call + "(" + arguments + ") failed: " + Errno.name(errno)
                + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.call = call;
        this.arguments = arguments;
        this.errno = Math.abs(errno);
    }

    public XenCallException(String call, String arguments, int errno) {
        this(call, arguments, errno, null);
    }

    public String call() {
        return call;
    }

    public String arguments() {
        return arguments;
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }
}
