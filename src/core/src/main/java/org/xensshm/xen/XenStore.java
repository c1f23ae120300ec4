package org.xensshm.xen;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.ffi.pollfd;
import org.xensshm.ffi.xen_h;
import org.xensshm.ffi.xs_permissions;
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

    /** Where libxenstore 4.17 looks for the daemon's socket when the environment does not say. */
    private static final String DEFAULT_RUN_DIR = "/var/run/xenstored";

    /** errnos that mean the connection to xenstored is gone rather than the request was refused. */
    private static final Set<Integer> CONNECTION_LOST =
            Set.of(Errno.ECONNRESET, Errno.EPIPE, Errno.EIO, Errno.ENOTCONN, Errno.EBADF);

    private static final Logger log = LoggerFactory.getLogger(XenStore.class);

    /** One thread for the deadlines of every connection: it only shuts sockets down. */
    private static final class Alarms {
        static final ScheduledThreadPoolExecutor EXECUTOR = create();

        private static ScheduledThreadPoolExecutor create() {
            ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
                Thread thread = new Thread(task, "xenstore-deadline");
                thread.setDaemon(true);
                return thread;
            });
            executor.setRemoveOnCancelPolicy(true);
            return executor;
        }
    }

    private final Duration deadline;
    private final String socket;
    /** Guards {@link #cutoff} against being shut down while it is closed, or after. */
    private final Object cutLock = new Object();
    /** A descriptor of our own of the connection's socket (libxenstore may close its own), or -1. */
    private int cutoff;
    /** Set once the connection has been shut down for a passed deadline. */
    private volatile boolean cut;

    private XenStore(MemorySegment handle, Duration deadline, String socket) {
        super(handle, "xenstore connection");
        this.deadline = deadline;
        this.socket = socket;
        this.cutoff = ownDescriptor(handle, socket);
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
        String socket = daemonSocket();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment handle = (MemorySegment) Native.XS_OPEN.invokeExact(slot, 0L);
            if (handle.equals(MemorySegment.NULL)) {
                throw notOpened(Native.errno(slot), socket);
            }
            return new XenStore(handle, requestDeadline, socket);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * How long a request waits for xenstored before the connection is shut down.
     *
     * @return the deadline
     */
    public Duration deadline() {
        return deadline;
    }

    /**
     * The daemon's socket this connection was opened to, as libxenstore chose it.
     *
     * @return its path
     */
    public String socket() {
        return socket;
    }

    /**
     * The socket xs_open tries first: XENSTORED_PATH, else XENSTORED_RUNDIR's socket, read from
     * the C environment libxenstore reads.
     */
    private static String daemonSocket() {
        return cEnvironment("XENSTORED_PATH").orElseGet(() ->
                cEnvironment("XENSTORED_RUNDIR").orElse(DEFAULT_RUN_DIR) + "/socket");
    }

    private static Optional<String> cEnvironment(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = xen_h.getenv(arena.allocateFrom(name));
            return value.equals(MemorySegment.NULL) ? Optional.empty()
                    : Optional.of(value.reinterpret(Long.MAX_VALUE).getString(0)).filter(v -> !v.isEmpty());
        }
    }

    private static XenCallException notOpened(int errno, String socket) {
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

    /**
     * A descriptor of our own of the connection's socket, for cutting it: libxenstore keeps its
     * descriptor private and closes it after a failed request, when its number may be reused.
     * The handle's first field is that descriptor (struct xs_handle in libxenstore, the same
     * since 2005); it is checked to be a socket before it is used. -1 when the connection is not
     * a socket or the descriptor cannot be had: then requests have no deadline.
     */
    private static int ownDescriptor(MemorySegment handle, String socket) {
        int fd = handle.reinterpret(Integer.BYTES).get(ValueLayout.JAVA_INT, 0);
        try {
            String target = fd < 0 ? "" : Files.readSymbolicLink(Path.of("/proc/self/fd", Integer.toString(fd)))
                    .toString();
            if (!target.startsWith("socket:")) {
                log.warn("xenstored is reached through {} rather than the socket {}: requests have no deadline",
                        target.isEmpty() ? "a device" : target, socket);
                return -1;
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("cannot tell what the xenstore connection is ({}): requests have no deadline", e.toString());
            return -1;
        }
        int own = xen_h.dup(fd);
        if (own < 0) {
            log.warn("cannot duplicate the xenstored socket's descriptor: requests have no deadline");
        }
        return own;
    }

    /**
     * Runs one request under the deadline. A request that meets a connection shut down for a
     * passed deadline, in flight or before it started, fails as {@link #timedOut}.
     *
     * @param name      the libxenstore call, for messages
     * @param arguments its arguments, for messages
     */
    private <T> T request(String name, String arguments, HandleCall<T> call) {
        if (cut) {
            throw timedOut(name, arguments);
        }
        AtomicBoolean inFlight = new AtomicBoolean(true);
        ScheduledFuture<?> alarm = cutoff < 0 ? null : Alarms.EXECUTOR.schedule(() -> {
            if (inFlight.compareAndSet(true, false)) {
                cut();
            }
        }, deadline.toNanos(), TimeUnit.NANOSECONDS);
        try {
            return withHandle(call);
        } catch (XenCallException e) {
            if (cut) {
                throw timedOut(e.call(), e.arguments());
            }
            throw e;
        } finally {
            inFlight.set(false);
            if (alarm != null) {
                alarm.cancel(false);
            }
        }
    }

    /** Shuts the socket down: libxenstore's waiting read returns, and it closes the connection. */
    private void cut() {
        synchronized (cutLock) {
            if (cut || cutoff < 0) {
                return;
            }
            cut = true;
            int rc = xen_h.shutdown(cutoff, xen_h.SHUT_RDWR());
            log.warn("xenstored at {} did not answer within {}: connection shut down{}", socket, describe(deadline),
                    rc == 0 ? "" : " (shutdown failed)");
        }
    }

    private StoreUnreachableException timedOut(String call, String arguments) {
        return new StoreUnreachableException(call, arguments, Errno.ETIMEDOUT, StoreUnreachableException.Reason.TIMED_OUT,
                "xenstored at " + socket + " did not answer within " + describe(deadline) + ", so the connection was"
                        + " shut down (is the daemon stopped or hung?)");
    }

    /** {@code 10 s} or {@code 1500 ms}. */
    static String describe(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
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
        request("xs_write", arguments(txn, path), h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
                MemorySegment data = arena.allocate(Math.max(1, bytes.length));
                MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
                boolean ok = (boolean) Native.StoreWrites.WRITE.invokeExact(slot, h, txn, arena.allocateFrom(path), data,
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
        pathRequest("xs_mkdir", txn, path, Native.StoreWrites.MKDIR);
    }

    /**
     * Removes the node and its subtree; a missing node is not an error.
     *
     * @param txn the transaction, or 0 for none
     * @param path the node
     */
    public void remove(int txn, String path) {
        request("xs_rm", arguments(txn, path), h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                boolean ok = (boolean) Native.StoreWrites.RM.invokeExact(slot, h, txn, arena.allocateFrom(path));
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
        return request(call, arguments(txn, path), h -> {
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
        request("xs_set_permissions", arguments(txn, path), h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment array = xs_permissions.allocateArray(permissions.size(), arena);
                for (int i = 0; i < permissions.size(); i++) {
                    MemorySegment entry = xs_permissions.asSlice(array, i);
                    xs_permissions.id(entry, permissions.get(i).domid());
                    xs_permissions.perms(entry, bits(permissions.get(i).access()));
                }
                boolean ok = (boolean) Native.StoreWrites.SET_PERMISSIONS.invokeExact(slot, h, txn, arena.allocateFrom(path),
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
        return request("xs_get_domain_path", "domid=" + domid, h -> {
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
        if (cut) {
            throw timedOut("xs_read_watch", "");
        }
        return withHandle(h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
                MemorySegment event = (MemorySegment) Native.StoreWatching.READ_WATCH.invokeExact(slot, h, count);
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
     * daemon is noticed within one {@code timeout}. Waiting for events has no deadline.
     *
     * @param timeout how long to wait for an event
     * @return the event, or empty when none came in time
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
                int rc = (int) Native.StoreWatching.POLL.invokeExact(slot, fds, 1L, millis);
                if (rc < 0 && Native.errno(slot) != Errno.EINTR) {
                    throw failure("poll", NO_TRANSACTION, "xenstore watch descriptor", Native.errno(slot));
                }
            }
            return checkWatch(h);
        });
    }

    /** An event libxenstore has queued, without waiting; fails when the connection is gone. */
    private Optional<WatchEvent> checkWatch(MemorySegment h) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment event = (MemorySegment) Native.StoreWatching.CHECK_WATCH.invokeExact(slot, h);
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
     * @param domid   the domain
     * @param ringGfn the guest frame of the domain's xenstore ring (xenstored 4.17 maps the
     *                reserved grant instead and ignores it)
     * @param port    the event channel the guest listens on
     */
    public void introduceDomain(int domid, long ringGfn, int port) {
        request("xs_introduce_domain", "domid=" + domid, h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                boolean ok = (boolean) Native.StoreDomains.INTRODUCE_DOMAIN.invokeExact(slot, h, domid, ringGfn, port);
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
     * @param domid the domain
     * @return false when xenstored had no such domain introduced (ENOENT)
     */
    public boolean releaseDomain(int domid) {
        return request("xs_release_domain", "domid=" + domid, h -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                boolean ok = (boolean) Native.StoreDomains.RELEASE_DOMAIN.invokeExact(slot, h, domid);
                if (!ok && Native.errno(slot) != Errno.ENOENT) {
                    throw failure("xs_release_domain", NO_TRANSACTION, "domid=" + domid, Native.errno(slot));
                }
                return ok;
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
        return request("xs_transaction_start", "", h -> {
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
        return request("xs_transaction_end", arguments(txn, abort ? "abort" : "commit"), h -> {
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
        synchronized (cutLock) {
            if (cutoff >= 0) {
                xen_h.close(cutoff);
                cutoff = -1;
            }
        }
        xen_h.xs_close(handle);
    }

    private void pathRequest(String call, int txn, String path, MethodHandle request) {
        request(call, arguments(txn, path), h -> {
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
        request(call, path + ", token=" + token, h -> {
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

    private static String arguments(int txn, String what) {
        return (txn == NO_TRANSACTION ? "" : "txn=" + txn + ", ") + what;
    }

    private XenCallException failure(String call, int txn, String what, int errno) {
        String arguments = arguments(txn, what);
        if (CONNECTION_LOST.contains(errno) || errno == 0) {
            return new StoreUnreachableException(call, arguments, errno == 0 ? Errno.EIO : errno,
                    StoreUnreachableException.Reason.CONNECTION_LOST, "the connection to xenstored was lost (did the"
                    + " daemon at " + socket + " stop?)");
        }
        return new XenCallException(call, arguments, errno, null);
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
