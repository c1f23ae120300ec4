package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.Set;

import org.xensshm.ffi.xen_h;
import org.xensshm.host.Errno;
import org.xensshm.host.StoreUnreachableException;
import org.xensshm.host.XenCallException;

/**
 * The xenstored a {@link XenStore} connection talks to: its socket, found where libxenstore looks
 * for it, connecting to it, and what a failed call means about it: nothing listening there, a lost
 * connection, or a request refused (its errno as such). Messages name the socket and say what to
 * do.
 *
 * @param socket the daemon's socket, as libxenstore chose it
 */
record Xenstored(String socket) {

    /** Where libxenstore 4.17 looks for the daemon's socket when the environment does not say. */
    private static final String DEFAULT_RUN_DIR = "/var/run/xenstored";

    /** errnos that mean the connection to xenstored is gone rather than the request was refused. */
    private static final Set<Integer> CONNECTION_LOST =
            Set.of(Errno.ECONNRESET, Errno.EPIPE, Errno.EIO, Errno.ENOTCONN, Errno.EBADF);

    /**
     * The socket xs_open tries first: XENSTORED_PATH, else XENSTORED_RUNDIR's socket, read from
     * the C environment libxenstore reads.
     */
    static Xenstored find() {
        return new Xenstored(cEnvironment("XENSTORED_PATH").orElseGet(() ->
                cEnvironment("XENSTORED_RUNDIR").orElse(DEFAULT_RUN_DIR) + "/socket"));
    }

    private static Optional<String> cEnvironment(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = xen_h.getenv(arena.allocateFrom(name));
            return value.equals(MemorySegment.NULL) ? Optional.empty()
                    : Optional.of(value.reinterpret(Long.MAX_VALUE).getString(0)).filter(v -> !v.isEmpty());
        }
    }

    /**
     * A new connection's libxenstore handle.
     *
     * @throws StoreUnreachableException when nothing answers at the socket
     * @throws XenCallException          when the connection is refused otherwise
     */
    MemorySegment connect() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment handle = (MemorySegment) Native.XS_OPEN.invokeExact(slot, 0L);
            if (handle.equals(MemorySegment.NULL)) {
                throw notOpened(Native.errno(slot));
            }
            return handle;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Why xs_open failed, and what to do about it. */
    private XenCallException notOpened(int errno) {
        String call = "xs_open";
        String arguments = socket;
        return switch (errno) {
            case Errno.ECONNREFUSED -> new StoreUnreachableException(call, arguments, errno,
                    StoreUnreachableException.Reason.NOT_RUNNING, "nothing answers at " + socket
                    + ": xenstored is not running (start it: systemctl start xenstored; XENSTORED_PATH names"
                    + " another socket)");
            case Errno.ENOENT -> new StoreUnreachableException(call, arguments, errno,
                    StoreUnreachableException.Reason.NOT_RUNNING, "there is no " + socket + " nor"
                    + " /dev/xen/xenbus: xenstored is not running here, or this is not a Xen host (start it:"
                    + " systemctl start xenstored; XENSTORED_PATH names another socket)");
            case Errno.EACCES, Errno.EPERM -> new XenCallException(call, arguments, errno,
                    "no permission to talk to xenstored at " + socket + ": run as root in dom0");
            default -> new XenCallException(call, arguments, errno,
                    "cannot connect to xenstored at " + socket + " (is it running?)");
        };
    }

    /** A failed request: the connection lost, or the request refused with {@code errno}. */
    XenCallException failure(String call, int txn, String what, int errno) {
        String arguments = XenStore.arguments(txn, what);
        if (CONNECTION_LOST.contains(errno) || errno == 0) {
            return new StoreUnreachableException(call, arguments, errno == 0 ? Errno.EIO : errno,
                    StoreUnreachableException.Reason.CONNECTION_LOST, "the connection to xenstored was lost (did the"
                    + " daemon at " + socket + " stop?)");
        }
        return new XenCallException(call, arguments, errno, null);
    }
}
