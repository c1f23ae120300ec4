package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

import org.xensshm.ffi.pollfd;
import org.xensshm.ffi.xen_h;
import org.xensshm.ffi.xs_permissions;
import org.xensshm.host.Errno;
import org.xensshm.host.Store;
import org.xensshm.host.StoreWatches;
import org.xensshm.host.WatchEvent;
import org.xensshm.host.XenCallException;
import org.xensshm.host.XsPermission;

/**
 * A libxenstore connection (the xenstored unix socket first, as xs_open does), as the engine's
 * {@link Store}, and as the {@link StoreWatches} a watching service waits on (give that a
 * connection of its own). Every request takes a transaction id, {@link #NO_TRANSACTION} for none;
 * {@link #begin()} gives a transaction value bound to this connection. Strings and arrays
 * libxenstore returns are copied and freed at once. Thread-safe.
 */
public final class XenStore extends NativeHandle implements Store, StoreWatches {

    /** XBT_NULL: a request outside any transaction. */
    public static final int NO_TRANSACTION = 0;

    /** errnos that mean the connection to xenstored is gone rather than the request was refused. */
    private static final Set<Integer> CONNECTION_LOST =
            Set.of(Errno.ECONNRESET, Errno.EPIPE, Errno.EIO, Errno.ENOTCONN, Errno.EBADF);

    private XenStore(MemorySegment handle) {
        super(handle, "xenstore connection");
    }

    /**
     * Connects to xenstored.
     *
     * @throws NativeAccessUnavailableException when the JVM or the host lacks what this needs
     * @throws XenCallException when no xenstored answers
     */
    public static XenStore open() {
        NativeLibraries.require();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment handle = (MemorySegment) Native.XS_OPEN.invokeExact(slot, 0L);
            if (handle.equals(MemorySegment.NULL)) {
                throw new XenCallException("xs_open", "flags=0", Native.errno(slot),
                        "is xenstored running (XENSTORED_PATH / XENSTORED_RUNDIR for a socket elsewhere)?");
            }
            return new XenStore(handle);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The node's value, or empty when it does not exist. */
    public Optional<String> read(int txn, String path) {
        return fetch("xs_read", Native.XS_READ, txn, path, Optional.empty(), (value, length) -> Optional.of(
                new String(value.reinterpret(length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)));
    }

    public void write(int txn, String path, String value) {
        withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
                MemorySegment data = arena.allocate(Math.max(1, bytes.length));
                MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
                boolean ok = (boolean) Native.XS_WRITE.invokeExact(slot, h, txn, arena.allocateFrom(path), data,
                        bytes.length);
                if (!ok) {
                    throw failure("xs_write", txn, path, Native.errno(slot));
                }
                return null;
            }
        });
    }

    public void mkdir(int txn, String path) {
        pathRequest("xs_mkdir", txn, path, Native.XS_MKDIR);
    }

    /** Removes the node and its subtree; a missing node is not an error. */
    public void remove(int txn, String path) {
        withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                boolean ok = (boolean) Native.XS_RM.invokeExact(slot, h, txn, arena.allocateFrom(path));
                if (!ok && Native.errno(slot) != Errno.ENOENT) {
                    throw failure("xs_rm", txn, path, Native.errno(slot));
                }
                return null;
            }
        });
    }

    /** The names of the node's children; empty when the node does not exist. */
    public List<String> list(int txn, String path) {
        return fetch("xs_directory", Native.XS_DIRECTORY, txn, path, List.of(), XenStore::stringArray);
    }

    public List<XsPermission> permissions(int txn, String path) {
        return fetch("xs_get_permissions", Native.XS_GET_PERMISSIONS, txn, path, null, (perms, n) -> {
            MemorySegment array = perms.reinterpret(xs_permissions.layout().byteSize() * n);
            List<XsPermission> result = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                MemorySegment entry = xs_permissions.asSlice(array, i);
                result.add(new XsPermission(xs_permissions.id(entry), access(xs_permissions.perms(entry))));
            }
            return List.copyOf(result);
        });
    }

    /**
     * A request that returns memory libxenstore allocated plus a count (the value's length, the
     * number of entries): converts it, then frees it. A missing node gives {@code absent}, or
     * fails like any other error when {@code absent} is null.
     */
    private <T> T fetch(String call, MethodHandle request, int txn, String path, T absent,
                        BiFunction<MemorySegment, Integer, T> convert) {
        return withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
                MemorySegment result = (MemorySegment) request.invokeExact(slot, h, txn, arena.allocateFrom(path), count);
                if (result.equals(MemorySegment.NULL)) {
                    int errno = Native.errno(slot);
                    if (errno == Errno.ENOENT && absent != null) {
                        return absent;
                    }
                    throw failure(call, txn, path, errno);
                }
                try {
                    return convert.apply(result, count.get(ValueLayout.JAVA_INT, 0));
                } finally {
                    Native.free(result);
                }
            }
        });
    }

    public void setPermissions(int txn, String path, List<XsPermission> permissions) {
        if (permissions.isEmpty()) {
            throw new IllegalArgumentException("a node needs at least its owner's permission entry: " + path);
        }
        withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment array = xs_permissions.allocateArray(permissions.size(), arena);
                for (int i = 0; i < permissions.size(); i++) {
                    MemorySegment entry = xs_permissions.asSlice(array, i);
                    xs_permissions.id(entry, permissions.get(i).domid());
                    xs_permissions.perms(entry, bits(permissions.get(i).access()));
                }
                boolean ok = (boolean) Native.XS_SET_PERMISSIONS.invokeExact(slot, h, txn, arena.allocateFrom(path),
                        array, permissions.size());
                if (!ok) {
                    throw failure("xs_set_permissions", txn, path + " " + permissions, Native.errno(slot));
                }
                return null;
            }
        });
    }

    /** {@code /local/domain/<domid>}, as xenstored computes it. */
    @Override
    public String domainPath(int domid) {
        return withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment path = (MemorySegment) Native.XS_GET_DOMAIN_PATH.invokeExact(slot, h, domid);
                if (path.equals(MemorySegment.NULL)) {
                    throw failure("xs_get_domain_path", NO_TRANSACTION, "domid=" + domid, Native.errno(slot));
                }
                try {
                    return path.reinterpret(Long.MAX_VALUE).getString(0);
                } finally {
                    Native.free(path);
                }
            }
        });
    }

    /** Registers a watch; xenstored fires it once at once, then on every change at or under path. */
    @Override
    public void watch(String path, String token) {
        watchRequest("xs_watch", path, token, Native.XS_WATCH);
    }

    public void unwatch(String path, String token) {
        watchRequest("xs_unwatch", path, token, Native.XS_UNWATCH);
    }

    /** Blocks until a watch fires. */
    public WatchEvent readWatch() {
        return withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
                MemorySegment event = (MemorySegment) Native.XS_READ_WATCH.invokeExact(slot, h, count);
                if (event.equals(MemorySegment.NULL)) {
                    // With a watch registered, libxenstore's reader thread owns the socket and
                    // reports a lost connection as EINVAL.
                    int errno = Native.errno(slot);
                    throw failure("xs_read_watch", NO_TRANSACTION, "", errno == Errno.EINVAL ? Errno.ECONNRESET : errno);
                }
                try {
                    List<String> fields = stringArray(event, count.get(ValueLayout.JAVA_INT, 0));
                    return new WatchEvent(fields.get(xen_h.XS_WATCH_PATH()), fields.get(xen_h.XS_WATCH_TOKEN()));
                } finally {
                    Native.free(event);
                }
            }
        });
    }

    /**
     * The next fired watch, waiting at most {@code timeout}. With a watch registered, libxenstore's
     * reader thread queues events and makes {@link #fileDescriptor()} readable; this polls that
     * descriptor, then takes an event without blocking (xs_check_watch). The descriptor does not
     * wake when xenstored dies, but xs_check_watch then reports the connection gone, so a lost
     * daemon is noticed within one {@code timeout}.
     *
     * @throws XenCallException when the connection to xenstored is lost
     */
    @Override
    public Optional<WatchEvent> awaitEvent(Duration timeout) {
        int millis = (int) Math.clamp(timeout.toMillis(), 0, Integer.MAX_VALUE);
        return withHandle(h -> {
            Optional<WatchEvent> queued = checkWatch(h);
            if (queued.isPresent() || millis == 0) {
                return queued;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment fds = pollfd.allocate(arena);
                pollfd.fd(fds, xen_h.xs_fileno(h));
                pollfd.events(fds, (short) xen_h.POLLIN());
                int rc = (int) Native.POLL.invokeExact(slot, fds, 1L, millis);
                if (rc < 0 && Native.errno(slot) != Errno.EINTR) {
                    throw failure("poll", NO_TRANSACTION, "xenstore watch descriptor", Native.errno(slot));
                }
            }
            return checkWatch(h);
        });
    }

    /** An event libxenstore has queued, without waiting; fails when the connection is gone. */
    private static Optional<WatchEvent> checkWatch(MemorySegment h) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment event = (MemorySegment) Native.XS_CHECK_WATCH.invokeExact(slot, h);
            if (event.equals(MemorySegment.NULL)) {
                int errno = Native.errno(slot);
                if (errno == Errno.EAGAIN) {
                    return Optional.empty();
                }
                // As for xs_read_watch: EINVAL once the reader thread has lost the connection.
                throw failure("xs_check_watch", NO_TRANSACTION, "", errno == Errno.EINVAL ? Errno.ECONNRESET : errno);
            }
            try {
                // xs_check_watch does not say how many strings it returns: path and token at least.
                List<String> fields = stringArray(event, Math.max(xen_h.XS_WATCH_PATH(), xen_h.XS_WATCH_TOKEN()) + 1);
                return Optional.of(new WatchEvent(fields.get(xen_h.XS_WATCH_PATH()), fields.get(xen_h.XS_WATCH_TOKEN())));
            } finally {
                Native.free(event);
            }
        }
    }

    /**
     * Tells xenstored about a domain a toolstack has built (XS_INTRODUCE), which fires
     * {@link StoreWatches#INTRODUCE_DOMAIN}: xenstored maps the domain's ring page and binds the
     * event channel {@code port} the guest listens on. A second introduce of the same domain only
     * rebinds the event channel. Privileged: dom0's toolstack does it.
     *
     * @param ringGfn the guest frame of the domain's xenstore ring (xenstored 4.17 maps the
     *                reserved grant instead and ignores it)
     */
    public void introduceDomain(int domid, long ringGfn, int port) {
        withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                boolean ok = (boolean) Native.XS_INTRODUCE_DOMAIN.invokeExact(slot, h, domid, ringGfn, port);
                if (!ok) {
                    throw failure("xs_introduce_domain", NO_TRANSACTION, "domid=" + domid + ", gfn=0x"
                            + Long.toHexString(ringGfn) + ", port=" + port, Native.errno(slot));
                }
                return null;
            }
        });
    }

    /**
     * Tells xenstored a domain is gone (XS_RELEASE), which fires {@link StoreWatches#RELEASE_DOMAIN}.
     * A toolstack does it after destroying a domain (xenstored also does it by itself for a dying
     * domain, on Xen's VIRQ_DOM_EXC).
     *
     * @return false when xenstored had no such domain introduced (ENOENT)
     */
    public boolean releaseDomain(int domid) {
        return withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                boolean ok = (boolean) Native.XS_RELEASE_DOMAIN.invokeExact(slot, h, domid);
                if (!ok && Native.errno(slot) != Errno.ENOENT) {
                    throw failure("xs_release_domain", NO_TRANSACTION, "domid=" + domid, Native.errno(slot));
                }
                return ok;
            }
        });
    }

    /** The connection's file descriptor, readable when a watch event is waiting. */
    public int fileDescriptor() {
        return withHandle(xen_h::xs_fileno);
    }

    /** Starts a transaction; close the returned value to abort it unless it was committed. */
    @Override
    public XsTransaction begin() {
        return withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                int id = (int) Native.XS_TRANSACTION_START.invokeExact(slot, h);
                if (id == NO_TRANSACTION) {
                    throw failure("xs_transaction_start", NO_TRANSACTION, "", Native.errno(slot));
                }
                return new XsTransaction(this, id);
            }
        });
    }

    /** Ends a transaction; false when a commit lost to another writer (EAGAIN). */
    boolean endTransaction(int txn, boolean abort) {
        return withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                boolean ok = (boolean) Native.XS_TRANSACTION_END.invokeExact(slot, h, txn, abort);
                if (ok) {
                    return true;
                }
                int errno = Native.errno(slot);
                if (errno == Errno.EAGAIN && !abort) {
                    return false;
                }
                throw failure("xs_transaction_end", txn, abort ? "abort" : "commit", errno);
            }
        });
    }

    @Override
    void release(MemorySegment handle) {
        xen_h.xs_close(handle);
    }

    private void pathRequest(String call, int txn, String path, MethodHandle request) {
        withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                boolean ok = (boolean) request.invokeExact(slot, h, txn, arena.allocateFrom(path));
                if (!ok) {
                    throw failure(call, txn, path, Native.errno(slot));
                }
                return null;
            }
        });
    }

    private void watchRequest(String call, String path, String token, MethodHandle request) {
        withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                boolean ok = (boolean) request.invokeExact(slot, h, arena.allocateFrom(path), arena.allocateFrom(token));
                if (!ok) {
                    throw failure(call, NO_TRANSACTION, path + ", token=" + token, Native.errno(slot));
                }
                return null;
            }
        });
    }

    private static List<String> stringArray(MemorySegment array, int count) {
        MemorySegment pointers = array.reinterpret((long) count * ValueLayout.ADDRESS.byteSize());
        List<String> result = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            result.add(pointers.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(Long.MAX_VALUE).getString(0));
        }
        return List.copyOf(result);
    }

    private static XenCallException failure(String call, int txn, String what, int errno) {
        String arguments = (txn == NO_TRANSACTION ? "" : "txn=" + txn + ", ") + what;
        String detail = CONNECTION_LOST.contains(errno) || errno == 0
                ? "the connection to xenstored was lost (did the daemon stop?)" : null;
        return new XenCallException(call, arguments, errno == 0 ? Errno.EIO : errno, detail);
    }

    private static XsPermission.Access access(int bits) {
        return switch (bits & (xen_h.XS_PERM_READ() | xen_h.XS_PERM_WRITE())) {
            case 0 -> XsPermission.Access.NONE;
            case 1 -> XsPermission.Access.READ;
            case 2 -> XsPermission.Access.WRITE;
            default -> XsPermission.Access.BOTH;
        };
    }

    private static int bits(XsPermission.Access access) {
        return switch (access) {
            case NONE -> xen_h.XS_PERM_NONE();
            case READ -> xen_h.XS_PERM_READ();
            case WRITE -> xen_h.XS_PERM_WRITE();
            case BOTH -> xen_h.XS_PERM_READ() | xen_h.XS_PERM_WRITE();
        };
    }
}
