package org.xensshm.host;

/**
 * A call into Xen (a hypercall through libxenctrl, or a xenstore request) failed. Carries the
 * call's name, its arguments as text and the errno, so that a log line alone tells what happened.
 */
public class XenCallException extends RuntimeException {
    private final String call;
    private final String arguments;
    private final int errno;

    /**
     * A failed call, with a hint for the message.
     *
     * @param call the C function
     * @param arguments its arguments, for the message
     * @param errno the positive errno
     * @param detail what may be the cause, or empty
     */
    public XenCallException(String call, String arguments, int errno, String detail) {
        super(call + "(" + arguments + ") failed: " + Errno.name(errno)
                + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.call = call;
        this.arguments = arguments;
        this.errno = Math.abs(errno);
    }

    /**
     * A failed call.
     *
     * @param call the C function
     * @param arguments its arguments, for the message
     * @param errno the positive errno
     */
    public XenCallException(String call, String arguments, int errno) {
        this(call, arguments, errno, null);
    }

    /**
     * The C function that failed.
     *
     * @return its name
     */
    public String call() {
        return call;
    }

    /**
     * The call's arguments, as the message gives them.
     *
     * @return the arguments
     */
    public String arguments() {
        return arguments;
    }

    /**
     * The positive errno value.
     *
     * @return the positive errno
     */
    public int errno() {
        return errno;
    }
}
