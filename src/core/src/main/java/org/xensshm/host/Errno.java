package org.xensshm.host;

import java.util.Map;

/** Linux errno values the Xen libraries report, with their symbolic names for messages. */
public final class Errno {
    /** Operation not permitted. */
    public static final int EPERM = 1;
    /** No such file or directory (a missing xenstore node). */
    public static final int ENOENT = 2;
    /** No such process (a missing domain). */
    public static final int ESRCH = 3;
    /** Interrupted system call. */
    public static final int EINTR = 4;
    /** Input/output error. */
    public static final int EIO = 5;
    /** Argument list too long. */
    public static final int E2BIG = 7;
    /** Bad file descriptor. */
    public static final int EBADF = 9;
    /** Try again (a conflicting xenstore transaction). */
    public static final int EAGAIN = 11;
    /** Out of memory. */
    public static final int ENOMEM = 12;
    /** Permission denied. */
    public static final int EACCES = 13;
    /** Bad address. */
    public static final int EFAULT = 14;
    /** Device or resource busy. */
    public static final int EBUSY = 16;
    /** File exists. */
    public static final int EEXIST = 17;
    /** Invalid argument. */
    public static final int EINVAL = 22;
    /** No space left on device. */
    public static final int ENOSPC = 28;
    /** Broken pipe. */
    public static final int EPIPE = 32;
    /** Result out of range. */
    public static final int ERANGE = 34;
    /** Function not implemented (a hypercall or map space Xen lacks). */
    public static final int ENOSYS = 38;
    /** Directory not empty. */
    public static final int ENOTEMPTY = 39;
    /** Operation not supported. */
    public static final int EOPNOTSUPP = 95;
    /** Connection reset (a lost xenstored connection). */
    public static final int ECONNRESET = 104;
    /** Not connected. */
    public static final int ENOTCONN = 107;
    /** Timed out (a xenstored request past its deadline). */
    public static final int ETIMEDOUT = 110;
    /** Connection refused (nothing answers at xenstored's socket). */
    public static final int ECONNREFUSED = 111;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"), Map.entry(ENOENT, "ENOENT"), Map.entry(ESRCH, "ESRCH"),
            Map.entry(EINTR, "EINTR"), Map.entry(EIO, "EIO"), Map.entry(E2BIG, "E2BIG"), Map.entry(EBADF, "EBADF"),
            Map.entry(EAGAIN, "EAGAIN"), Map.entry(ENOMEM, "ENOMEM"), Map.entry(EACCES, "EACCES"),
            Map.entry(EFAULT, "EFAULT"), Map.entry(EBUSY, "EBUSY"), Map.entry(EEXIST, "EEXIST"),
            Map.entry(EINVAL, "EINVAL"), Map.entry(ENOSPC, "ENOSPC"), Map.entry(EPIPE, "EPIPE"),
            Map.entry(ERANGE, "ERANGE"), Map.entry(ENOSYS, "ENOSYS"),
            Map.entry(ENOTEMPTY, "ENOTEMPTY"), Map.entry(EOPNOTSUPP, "EOPNOTSUPP"),
            Map.entry(ECONNRESET, "ECONNRESET"), Map.entry(ENOTCONN, "ENOTCONN"),
            Map.entry(ETIMEDOUT, "ETIMEDOUT"), Map.entry(ECONNREFUSED, "ECONNREFUSED"));

    private Errno() {
    }

    /**
     * "EPERM", or "errno 123" for values without a name here.
     *
     * @param errno a positive errno
     * @return its symbolic name, or the number when it has none here
     */
    public static String name(int errno) {
        return NAMES.getOrDefault(Math.abs(errno), "errno " + Math.abs(errno));
    }
}
