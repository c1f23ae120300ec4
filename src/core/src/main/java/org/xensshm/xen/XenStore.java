package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

import org.xensshm.ffi.xen_h;
import org.xensshm.ffi.xs_permissions;
import org.xensshm.host.Errno;
import org.xensshm.host.Store;
import org.xensshm.host.WatchEvent;
import org.xensshm.host.XenCallException;
import org.xensshm.host.XsPermission;

/**
 * A libxenstore connection (the xenstored unix socket first, as xs_open does), as the engine's
 * {@link Store}. Every request takes a transaction id, {@link #NO_TRANSACTION} for none;
 * {@link #begin()} gives a transaction value bound to this connection. Strings and arrays
 * libxenstore returns are copied and freed at once. Thread-safe.
 */
public final class XenStore extends NativeHandle implements Store {

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
     * @return the connection; close it when done
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

    /**
     * Creates the node, empty, and missing parents.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     */
    public void mkdir(int txn, String path) {
        pathRequest("xs_mkdir", txn, path, Native.XS_MKDIR);
    }

    /**
     * Removes the node and its subtree; a missing node is not an error.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     */
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

    /**
     * The names of the node's children; empty when the node does not exist.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     * @return the names
     */
    public List<String> list(int txn, String path) {
        return fetch("xs_directory", Native.XS_DIRECTORY, txn, path, List.of(), XenStore::stringArray);
    }

    /**
     * The node's permissions.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     * @return the owner's entry first
     */
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

    /**
     * Registers a watch; xenstored fires it once at once, then on every change at or under path.
     *
     * @param path the node to watch
     * @param token given back with each event
     */
    public void watch(String path, String token) {
        watchRequest("xs_watch", path, token, Native.XS_WATCH);
    }

    /**
     * Removes a watch.
     *
     * @param path the watched node
     * @param token the token it was set with
     */
    public void unwatch(String path, String token) {
        watchRequest("xs_unwatch", path, token, Native.XS_UNWATCH);
    }

    /**
     * Blocks until a watch fires.
     *
     * @return the event
     */
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
