package org.xensshm.xen;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.ffi.xen_h;
import org.xensshm.host.Errno;
import org.xensshm.host.StoreUnreachableException;
import org.xensshm.host.XenCallException;

/**
 * The deadline of a {@link XenStore} connection's requests. libxenstore waits for xenstored's
 * answer without a timeout, so an alarm shuts the connection's socket down when a request outlives
 * its deadline: the waiting call fails, and so does every later request, as timed out. Only a
 * socket can be cut so; through the xenbus device requests have no deadline.
 */
final class RequestDeadline {

    /** Its lines are the connection's, and logged as such. */
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

    /**
     * @param handle   the connection's libxenstore handle
     * @param deadline how long one request may wait
     * @param socket   the daemon's socket, for messages
     */
    RequestDeadline(MemorySegment handle, Duration deadline, String socket) {
        this.deadline = deadline;
        this.socket = socket;
        this.cutoff = ownDescriptor(handle, socket);
    }

    Duration duration() {
        return deadline;
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
    <T> T run(String name, String arguments, Supplier<T> request) {
        refuseIfCut(name, arguments);
        AtomicBoolean inFlight = new AtomicBoolean(true);
        ScheduledFuture<?> alarm = cutoff < 0 ? null : Alarms.EXECUTOR.schedule(() -> {
            if (inFlight.compareAndSet(true, false)) {
                cut();
            }
        }, deadline.toNanos(), TimeUnit.NANOSECONDS);
        try {
            return request.get();
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

    /** Fails a call that has no deadline of its own once the connection has been shut down. */
    void refuseIfCut(String call, String arguments) {
        if (cut) {
            throw timedOut(call, arguments);
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

    /** Closes our descriptor of the socket, with the connection. */
    void close() {
        synchronized (cutLock) {
            if (cutoff >= 0) {
                xen_h.close(cutoff);
                cutoff = -1;
            }
        }
    }

    /** {@code 10 s} or {@code 1500 ms}. */
    private static String describe(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }
}
