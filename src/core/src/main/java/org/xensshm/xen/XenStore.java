package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;

import org.xensshm.ffi.xen_h;
import org.xensshm.host.Errno;
import org.xensshm.host.Store;
import org.xensshm.host.StoreUnreachableException;
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
 *
 * <p><b>Deadline.</b> libxenstore waits for xenstored's answer without a timeout, so a daemon that
 * is stopped or hung would hang the toolstack. Each request therefore has a deadline: when it
 * passes, the connection's socket is shut down, which makes the waiting call fail, and every
 * later request on this connection fails at once, with a {@link StoreUnreachableException} of
 * reason {@link StoreUnreachableException.Reason#TIMED_OUT TIMED_OUT}. Whether the request that
 * timed out took effect is unknown (xenstored may still apply it once it runs again). Only a
 * socket connection can be cut so; through the {@code /dev/xen/xenbus} device (xenstored in
 * another domain) there is no deadline.
 */
public final class XenStore extends NativeHandle implements Store, StoreWatches {

    /** XBT_NULL: a request outside any transaction. */
    public static final int NO_TRANSACTION = 0;

    /** How long a request waits for xenstored unless {@link #open(Duration)} says otherwise. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

    private final RequestDeadline deadline;
    private final Xenstored daemon;

    private XenStore(MemorySegment handle, Duration deadline, Xenstored daemon) {
        super(handle, "xenstore connection");
        this.deadline = new RequestDeadline(handle, deadline, daemon.socket());
        this.daemon = daemon;
    }

    /**
     * Connects to xenstored, with requests that wait at most {@link #DEFAULT_DEADLINE}.
     *
     * @return the connection; close it when done
     * @throws NativeAccessUnavailableException when the JVM or the host lacks what this needs
     * @throws StoreUnreachableException        when no xenstored runs where libxenstore looks
     * @throws XenCallException                 when the connection is refused otherwise
     */
    public static XenStore open() {
        return open(DEFAULT_DEADLINE);
    }

    /**
     * Connects to xenstored.
     *
     * @param requestDeadline how long one request may wait for xenstored's answer before the
     *                        connection is shut down (see the class comment)
     * @return the connection; close it when done
     * @throws NativeAccessUnavailableException when the JVM or the host lacks what this needs
     * @throws StoreUnreachableException        when no xenstored runs where libxenstore looks
     * @throws XenCallException                 when the connection is refused otherwise
     * @throws IllegalArgumentException         for a deadline that is not positive
     */
    public static XenStore open(Duration requestDeadline) {
        Objects.requireNonNull(requestDeadline, "requestDeadline");
        if (requestDeadline.isNegative() || requestDeadline.isZero()) {
            throw new IllegalArgumentException("the request deadline must be positive: " + requestDeadline);
        }
        NativeLibraries.require();
        Xenstored daemon = Xenstored.find();
        return new XenStore(daemon.connect(), requestDeadline, daemon);
    }

    /**
     * How long a request waits for xenstored before the connection is shut down.
     *
     * @return the deadline
     */
    public Duration deadline() {
        return deadline.duration();
    }

    /**
     * The daemon's socket this connection was opened to, as libxenstore chose it.
     *
     * @return its path
     */
    public String socket() {
        return daemon.socket();
    }

    /** One libxenstore call: the handle, a confined arena for its arguments, the slot errno lands in. */
    private interface StoreCall<T> {
        T call(MemorySegment handle, Arena arena, MemorySegment errno) throws Throwable;
    }

    /** Runs one call under the deadline, holding the handle against close. */
    private <T> T request(String name, String arguments, StoreCall<T> call) {
        return deadline.run(name, arguments, () -> withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                return call.call(h, arena, Native.errnoSlot(arena));
            }
        }));
    }

    /**
     * The node's value, or empty when it does not exist.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     * @return its value
     */
    public Optional<String> read(int txn, String path) {
        return fetch("xs_read", Native.XS_READ, txn, path, Optional.empty(), (value, length) -> Optional.of(
                new String(value.reinterpret(length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)));
    }

    /**
     * Writes the node's value, creating it and missing parents.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     * @param value its value
     */
    public void write(int txn, String path, String value) {
        request("xs_write", arguments(txn, path), (h, arena, slot) -> {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            MemorySegment data = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
            boolean ok = (boolean) Native.StoreWrites.WRITE.invokeExact(slot, h, txn, arena.allocateFrom(path), data,
                    bytes.length);
            if (!ok) {
                throw daemon.failure("xs_write", txn, path, Native.errno(slot));
            }
            return null;
        });
    }

    /**
     * Creates the node, empty, and missing parents.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     */
    public void mkdir(int txn, String path) {
        request("xs_mkdir", arguments(txn, path), (h, arena, slot) -> {
            boolean ok = (boolean) Native.StoreWrites.MKDIR.invokeExact(slot, h, txn, arena.allocateFrom(path));
            if (!ok) {
                throw daemon.failure("xs_mkdir", txn, path, Native.errno(slot));
            }
            return null;
        });
    }

    /**
     * Removes the node and its subtree; a missing node is not an error.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     */
    public void remove(int txn, String path) {
        request("xs_rm", arguments(txn, path), (h, arena, slot) -> {
            boolean ok = (boolean) Native.StoreWrites.RM.invokeExact(slot, h, txn, arena.allocateFrom(path));
            if (!ok && Native.errno(slot) != Errno.ENOENT) {
                throw daemon.failure("xs_rm", txn, path, Native.errno(slot));
            }
            return null;
        });
    }

    /**
     * The names of the node's children; empty when the node does not exist.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     * @return the names
     */
    public List<String> list(int txn, String path) {
        return fetch("xs_directory", Native.XS_DIRECTORY, txn, path, List.of(), XsArrays::strings);
    }

    /**
     * The node's permissions.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     * @return the owner's entry first
     */
    public List<XsPermission> permissions(int txn, String path) {
        return fetch("xs_get_permissions", Native.XS_GET_PERMISSIONS, txn, path, null, XsArrays::permissions);
    }

    /**
     * A request that returns memory libxenstore allocated plus a count (the value's length, the
     * number of entries): converts it, then frees it. A missing node gives {@code absent}, or
     * fails like any other error when {@code absent} is null.
     */
    private <T> T fetch(String call, MethodHandle request, int txn, String path, T absent,
                        BiFunction<MemorySegment, Integer, T> convert) {
        return request(call, arguments(txn, path), (h, arena, slot) -> {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment result = (MemorySegment) request.invokeExact(slot, h, txn, arena.allocateFrom(path), count);
            if (result.equals(MemorySegment.NULL)) {
                int errno = Native.errno(slot);
                if (errno == Errno.ENOENT && absent != null) {
                    return absent;
                }
                throw daemon.failure(call, txn, path, errno);
            }
            try {
                return convert.apply(result, count.get(ValueLayout.JAVA_INT, 0));
            } finally {
                Native.free(result);
            }
        });
    }

    /**
     * Sets the node's permissions.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     * @param permissions the owner's entry, then one per other domain
     */
    public void setPermissions(int txn, String path, List<XsPermission> permissions) {
        if (permissions.isEmpty()) {
            throw new IllegalArgumentException("a node needs at least its owner's permission entry: " + path);
        }
        request("xs_set_permissions", arguments(txn, path), (h, arena, slot) -> {
            MemorySegment array = XsArrays.permissionArray(permissions, arena);
            boolean ok = (boolean) Native.StoreWrites.SET_PERMISSIONS.invokeExact(slot, h, txn, arena.allocateFrom(path),
                    array, permissions.size());
            if (!ok) {
                throw daemon.failure("xs_set_permissions", txn, path + " " + permissions, Native.errno(slot));
            }
            return null;
        });
    }

    /** {@code /local/domain/<domid>}, as xenstored computes it. */
    @Override
    public String domainPath(int domid) {
        return request("xs_get_domain_path", "domid=" + domid, (h, arena, slot) -> {
            MemorySegment path = (MemorySegment) Native.XS_GET_DOMAIN_PATH.invokeExact(slot, h, domid);
            if (path.equals(MemorySegment.NULL)) {
                throw daemon.failure("xs_get_domain_path", NO_TRANSACTION, "domid=" + domid, Native.errno(slot));
            }
            try {
                return path.reinterpret(Long.MAX_VALUE).getString(0);
            } finally {
                Native.free(path);
            }
        });
    }

    /**
     * Registers a watch; xenstored fires it once at once, then on every change at or under path.
     *
     * @param path the node to watch
     * @param token given back with each event
     */
    @Override
    public void watch(String path, String token) {
        watchRequest("xs_watch", path, token, Native.StoreWatching.WATCH);
    }

    @Override
    public void unwatch(String path, String token) {
        watchRequest("xs_unwatch", path, token, Native.StoreWatching.UNWATCH);
    }

    /**
     * Blocks until a watch fires: waiting for events has no deadline.
     *
     * @return the event
     */
    public WatchEvent readWatch() {
        deadline.refuseIfCut("xs_read_watch", "");
        return withHandle(h -> WatchQueue.take(h, daemon));
    }

    /**
     * The next fired watch, waiting at most {@code timeout}. With a watch registered, libxenstore's
     * reader thread queues events and makes {@link #fileDescriptor()} readable; this polls that
     * descriptor, then takes an event without blocking (xs_check_watch). The descriptor does not
     * wake when xenstored dies, but xs_check_watch then reports the connection gone, so a lost
     * daemon is noticed within one {@code timeout}. Waiting for events has no deadline.
     *
     * @param timeout how long to wait for an event
     * @return the event, or empty when none came in time
     * @throws XenCallException when the connection to xenstored is lost
     */
    @Override
    public Optional<WatchEvent> awaitEvent(Duration timeout) {
        int millis = (int) Math.clamp(timeout.toMillis(), 0, Integer.MAX_VALUE);
        return withHandle(h -> WatchQueue.poll(h, millis, daemon));
    }

    /**
     * Tells xenstored about a domain a toolstack has built (XS_INTRODUCE), which fires
     * {@link StoreWatches#INTRODUCE_DOMAIN}: xenstored maps the domain's ring page and binds the
     * event channel {@code port} the guest listens on. A second introduce of the same domain only
     * rebinds the event channel. Privileged: dom0's toolstack does it.
     *
     * @param domid   the domain
     * @param ringGfn the guest frame of the domain's xenstore ring (xenstored 4.17 maps the
     *                reserved grant instead and ignores it)
     * @param port    the event channel the guest listens on
     */
    public void introduceDomain(int domid, long ringGfn, int port) {
        request("xs_introduce_domain", "domid=" + domid, (h, arena, slot) -> {
            boolean ok = (boolean) Native.StoreDomains.INTRODUCE_DOMAIN.invokeExact(slot, h, domid, ringGfn, port);
            if (!ok) {
                throw daemon.failure("xs_introduce_domain", NO_TRANSACTION, "domid=" + domid + ", gfn=0x"
                        + Long.toHexString(ringGfn) + ", port=" + port, Native.errno(slot));
            }
            return null;
        });
    }

    /**
     * Tells xenstored a domain is gone (XS_RELEASE), which fires {@link StoreWatches#RELEASE_DOMAIN}.
     * A toolstack does it after destroying a domain (xenstored also does it by itself for a dying
     * domain, on Xen's VIRQ_DOM_EXC).
     *
     * @param domid the domain
     * @return false when xenstored had no such domain introduced (ENOENT)
     */
    public boolean releaseDomain(int domid) {
        return request("xs_release_domain", "domid=" + domid, (h, arena, slot) -> {
            boolean ok = (boolean) Native.StoreDomains.RELEASE_DOMAIN.invokeExact(slot, h, domid);
            if (!ok && Native.errno(slot) != Errno.ENOENT) {
                throw daemon.failure("xs_release_domain", NO_TRANSACTION, "domid=" + domid, Native.errno(slot));
            }
            return ok;
        });
    }

    /**
     * The connection's file descriptor, readable when a watch event is waiting.
     *
     * @return the descriptor
     */
    public int fileDescriptor() {
        return withHandle(xen_h::xs_fileno);
    }

    /** Starts a transaction; close the returned value to abort it unless it was committed. */
    @Override
    public XsTransaction begin() {
        return request("xs_transaction_start", "", (h, arena, slot) -> {
            int id = (int) Native.XS_TRANSACTION_START.invokeExact(slot, h);
            if (id == NO_TRANSACTION) {
                throw daemon.failure("xs_transaction_start", NO_TRANSACTION, "", Native.errno(slot));
            }
            return new XsTransaction(this, id);
        });
    }

    /** Ends a transaction; false when a commit lost to another writer (EAGAIN). */
    boolean endTransaction(int txn, boolean abort) {
        return request("xs_transaction_end", arguments(txn, abort ? "abort" : "commit"), (h, arena, slot) -> {
            boolean ok = (boolean) Native.XS_TRANSACTION_END.invokeExact(slot, h, txn, abort);
            if (ok) {
                return true;
            }
            int errno = Native.errno(slot);
            if (errno == Errno.EAGAIN && !abort) {
                return false;
            }
            throw daemon.failure("xs_transaction_end", txn, abort ? "abort" : "commit", errno);
        });
    }

    @Override
    void release(MemorySegment handle) {
        deadline.close();
        xen_h.xs_close(handle);
    }

    private void watchRequest(String call, String path, String token, MethodHandle request) {
        request(call, path + ", token=" + token, (h, arena, slot) -> {
            boolean ok = (boolean) request.invokeExact(slot, h, arena.allocateFrom(path), arena.allocateFrom(token));
            if (!ok) {
                throw daemon.failure(call, NO_TRANSACTION, path + ", token=" + token, Native.errno(slot));
            }
            return null;
        });
    }

    /** The arguments messages name: the transaction, if any, then {@code what}. */
    static String arguments(int txn, String what) {
        return (txn == NO_TRANSACTION ? "" : "txn=" + txn + ", ") + what;
    }
}
