package org.xensshm.xen;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A C library handle shared by threads: calls hold the read lock, closing takes the write lock,
 * so a handle is never freed under a call in flight and never reaches C as NULL once closed.
 */
abstract class NativeHandle implements AutoCloseable {

    interface HandleCall<T> {
        T call(MemorySegment handle) throws Throwable;
    }

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final String description;
    private MemorySegment handle;

    NativeHandle(MemorySegment handle, String description) {
        this.handle = handle;
        this.description = description;
    }

    final <T> T withHandle(HandleCall<T> call) {
        MemorySegment open = enter();
        try {
            return call.call(open);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            exit();
        }
    }

    /**
     * The open handle, held against {@link #close()} until {@link #exit()}: for per-page calls,
     * where {@link #withHandle}'s capturing lambda would allocate on every call.
     */
    final MemorySegment enter() {
        lock.readLock().lock();
        if (handle == null) {
            lock.readLock().unlock();
            throw new IllegalStateException(description + " is closed");
        }
        return handle;
    }

    final void exit() {
        lock.readLock().unlock();
    }

    /** Releases the C handle; called at most once, under the write lock. */
    abstract void release(MemorySegment handle) throws Throwable;

    @Override
    public final void close() {
        lock.writeLock().lock();
        try {
            if (handle != null) {
                MemorySegment released = handle;
                handle = null;
                release(released);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            lock.writeLock().unlock();
        }
    }
}
