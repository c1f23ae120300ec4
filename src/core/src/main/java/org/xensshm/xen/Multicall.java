package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReference;

import org.xensshm.ffi.multicall_entry;
import org.xensshm.ffi.xen_h;
import org.xensshm.ffi.xen_remove_from_physmap;
import org.xensshm.host.PageBatch;
import org.xensshm.host.XenCallException;

/**
 * Removals from a physmap batched into {@code __HYPERVISOR_multicall}s through libxencall, which
 * libxenctrl offers no call for. One multicall costs one crossing into the kernel and Xen instead
 * of one per page; Xen runs each entry on its own (a failed one does not stop the rest) and
 * continues long lists itself. A debug Xen overwrites every entry but its result after the call,
 * so the entries are written anew for each call.
 *
 * <p>The hypercall-safe buffer is kept between calls (one spare per handle; a thread finding it
 * taken by another allocates its own), and errno goes to the thread's slot, so a removal batch
 * allocates nothing on the Java heap.
 */
final class Multicall extends NativeHandle {

    /** Entries per multicall: one hypercall-safe buffer of 4096 x (entry + argument), 320 KiB. */
    static final int MAX_ENTRIES = 4096;

    private static final long ENTRY_BYTES = multicall_entry.sizeof();
    private static final long ARGUMENT_BYTES = xen_remove_from_physmap.sizeof();
    private static final long BUFFER_BYTES = MAX_ENTRIES * (ENTRY_BYTES + ARGUMENT_BYTES);
    private static final long ARGUMENTS_OFFSET = MAX_ENTRIES * ENTRY_BYTES;

    private static final ValueLayout.OfLong OP = multicall_entry.op$layout();
    private static final long OP_OFFSET = multicall_entry.op$offset();
    private static final ValueLayout.OfLong RESULT = multicall_entry.result$layout();
    private static final long RESULT_OFFSET = multicall_entry.result$offset();
    private static final ValueLayout.OfLong ARGUMENT = xen_h.C_LONG;
    private static final long ARGS_OFFSET = multicall_entry.args$offset();
    private static final ValueLayout.OfShort DOMID = xen_remove_from_physmap.domid$layout();
    private static final long DOMID_OFFSET = xen_remove_from_physmap.domid$offset();
    private static final ValueLayout.OfLong GPFN = xen_remove_from_physmap.gpfn$layout();
    private static final long GPFN_OFFSET = xen_remove_from_physmap.gpfn$offset();

    private final AtomicReference<MemorySegment> spare = new AtomicReference<>();

    private Multicall(MemorySegment xcall) {
        super(xcall, "xencall handle");
    }

    static Multicall open() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment handle = (MemorySegment) Native.Hypercalls.OPEN.invokeExact(slot, MemorySegment.NULL, 0);
            if (handle.equals(MemorySegment.NULL)) {
                throw new XenCallException("xencall_open", "", Native.errno(slot),
                        "is this dom0 with /dev/xen/privcmd available?");
            }
            return new Multicall(handle);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Removes {@code batch.targetPage(i)} from {@code domid}'s physmap for every entry, each
     * entry's result (0 or a negative errno) in {@code batch.error(i)}.
     *
     * @throws XenCallException when a multicall fails as a whole; the entries it carried and
     *                          those after it are {@link PageBatch#NOT_ATTEMPTED}
     */
    void removeFromPhysmap(int domid, PageBatch batch) {
        int count = batch.count();
        if (count == 0) {
            return;
        }
        batch.resetErrors();
        MemorySegment xcall = enter();
        MemorySegment buffer = null;
        try {
            buffer = take(xcall);
            for (int done = 0; done < count; done += MAX_ENTRIES) {
                int n = Math.min(MAX_ENTRIES, count - done);
                for (int i = 0; i < n; i++) {
                    writeEntry(buffer, i, domid, batch.targetPage(done + i));
                }
                MemorySegment slot = Native.threadErrnoSlot();
                int rc = call(slot, xcall, buffer, n);
                if (rc < 0) {
                    throw new XenCallException("xencall2", "__HYPERVISOR_multicall of " + n
                            + " XENMEM_remove_from_physmap, domid=" + domid + ", entries " + done + ".."
                            + (done + n) + " of " + count, Native.errno(slot));
                }
                for (int i = 0; i < n; i++) {
                    batch.error(done + i, (int) buffer.get(RESULT, i * ENTRY_BYTES + RESULT_OFFSET));
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            if (buffer != null) {
                giveBack(xcall, buffer);
            }
            exit();
        }
    }

    /** Entry {@code i}: memory_op(XENMEM_remove_from_physmap, &argument i), argument i: (domid, gfn). */
    private static void writeEntry(MemorySegment buffer, int i, int domid, long gfn) {
        long argument = ARGUMENTS_OFFSET + i * ARGUMENT_BYTES;
        buffer.set(DOMID, argument + DOMID_OFFSET, (short) domid);
        buffer.set(GPFN, argument + GPFN_OFFSET, gfn);
        long entry = i * ENTRY_BYTES;
        buffer.set(OP, entry + OP_OFFSET, xen_h.__HYPERVISOR_memory_op());
        buffer.set(RESULT, entry + RESULT_OFFSET, 0L);
        buffer.set(ARGUMENT, entry + ARGS_OFFSET, xen_h.XENMEM_remove_from_physmap());
        buffer.set(ARGUMENT, entry + ARGS_OFFSET + Long.BYTES, buffer.address() + argument);
        for (int arg = 2; arg < 6; arg++) {
            buffer.set(ARGUMENT, entry + ARGS_OFFSET + arg * Long.BYTES, 0L);
        }
    }

    /**
     * The multicall of the buffer's first {@code n} entries. A method of its own, small enough for
     * the JIT to inline the downcall whole and see that its check of the errno slot allocates
     * nothing that escapes.
     */
    private static int call(MemorySegment slot, MemorySegment xcall, MemorySegment buffer, int n) throws Throwable {
        return (int) Native.Hypercalls.CALL2.invokeExact(slot, xcall, xen_h.__HYPERVISOR_multicall(),
                buffer.address(), (long) n);
    }

    /** The spare buffer, or a new one when another thread holds it. */
    private MemorySegment take(MemorySegment xcall) throws Throwable {
        MemorySegment buffer = spare.getAndSet(null);
        if (buffer != null) {
            return buffer;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment allocated = (MemorySegment) Native.Hypercalls.ALLOC_BUFFER.invokeExact(slot, xcall, BUFFER_BYTES);
            if (allocated.equals(MemorySegment.NULL)) {
                throw new XenCallException("xencall_alloc_buffer", BUFFER_BYTES + " bytes", Native.errno(slot));
            }
            return allocated.reinterpret(BUFFER_BYTES);
        }
    }

    /** Keeps the buffer as the spare, or frees it when there is one already. */
    private void giveBack(MemorySegment xcall, MemorySegment buffer) {
        if (!spare.compareAndSet(null, buffer)) {
            xen_h.xencall_free_buffer(xcall, buffer);
        }
    }

    @Override
    void release(MemorySegment xcall) throws Throwable {
        MemorySegment buffer = spare.getAndSet(null);
        if (buffer != null) {
            xen_h.xencall_free_buffer(xcall, buffer);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            int rc = (int) Native.Hypercalls.CLOSE.invokeExact(slot, xcall);
            if (rc < 0) {
                throw new XenCallException("xencall_close", "", Native.errno(slot));
            }
        }
    }
}
