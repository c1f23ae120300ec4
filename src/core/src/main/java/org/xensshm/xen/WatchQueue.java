package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;

import org.xensshm.ffi.pollfd;
import org.xensshm.ffi.xen_h;
import org.xensshm.host.Errno;
import org.xensshm.host.WatchEvent;

/**
 * The fired watches libxenstore queues for a connection. With a watch registered, its reader
 * thread owns the socket and queues the events, and makes the connection's descriptor readable;
 * an event is taken waiting (xs_read_watch), or without waiting (xs_check_watch) after a poll of
 * that descriptor. The reader thread reports a lost connection as EINVAL: it is reported as the
 * loss it is. The caller holds the handle.
 */
final class WatchQueue {

    private WatchQueue() {
    }

    /** The next event, however long it takes to come. */
    static WatchEvent take(MemorySegment h, Xenstored daemon) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment event = (MemorySegment) Native.StoreWatching.READ_WATCH.invokeExact(slot, h, count);
            if (event.equals(MemorySegment.NULL)) {
                // With a watch registered, libxenstore's reader thread owns the socket and
                // reports a lost connection as EINVAL.
                int errno = Native.errno(slot);
                throw daemon.failure("xs_read_watch", XenStore.NO_TRANSACTION, "",
                        errno == Errno.EINVAL ? Errno.ECONNRESET : errno);
            }
            try {
                List<String> fields = XsArrays.strings(event, count.get(ValueLayout.JAVA_INT, 0));
                return new WatchEvent(fields.get(xen_h.XS_WATCH_PATH()), fields.get(xen_h.XS_WATCH_TOKEN()));
            } finally {
                Native.free(event);
            }
        }
    }

    /**
     * The next event, waiting at most {@code millis} for one: the descriptor does not wake when
     * xenstored dies, but xs_check_watch then reports the connection gone.
     */
    static Optional<WatchEvent> poll(MemorySegment h, int millis, Xenstored daemon) throws Throwable {
        Optional<WatchEvent> queued = check(h, daemon);
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
                throw daemon.failure("poll", XenStore.NO_TRANSACTION, "xenstore watch descriptor", Native.errno(slot));
            }
        }
        return check(h, daemon);
    }

    /** An event libxenstore has queued, without waiting; fails when the connection is gone. */
    private static Optional<WatchEvent> check(MemorySegment h, Xenstored daemon) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment event = (MemorySegment) Native.StoreWatching.CHECK_WATCH.invokeExact(slot, h);
            if (event.equals(MemorySegment.NULL)) {
                int errno = Native.errno(slot);
                if (errno == Errno.EAGAIN) {
                    return Optional.empty();
                }
                // As for xs_read_watch: EINVAL once the reader thread has lost the connection.
                throw daemon.failure("xs_check_watch", XenStore.NO_TRANSACTION, "",
                        errno == Errno.EINVAL ? Errno.ECONNRESET : errno);
            }
            try {
                // xs_check_watch does not say how many strings it returns: path and token at least.
                List<String> fields = XsArrays.strings(event, Math.max(xen_h.XS_WATCH_PATH(), xen_h.XS_WATCH_TOKEN()) + 1);
                return Optional.of(new WatchEvent(fields.get(xen_h.XS_WATCH_PATH()), fields.get(xen_h.XS_WATCH_TOKEN())));
            } finally {
                Native.free(event);
            }
        }
    }
}
