package org.xensshm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

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
 */
final class Multicall extends NativeHandle {

    /** Entries per multicall: one hypercall-safe buffer of 4096 x (entry + argument), 320 KiB. */
    static final int MAX_ENTRIES = 4096;

    private static final long ENTRY_BYTES = multicall_entry.sizeof();
    private static final long ARGUMENT_BYTES = xen_remove_from_physmap.sizeof();

    private Multicall(MemorySegment xcall) {
        super(xcall, "xencall handle");
    }

    static Multicall open() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment handle = (MemorySegment) Native.XENCALL_OPEN.invokeExact(slot, MemorySegment.NULL, 0);
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
        withHandle(xcall -> {
            int chunk = Math.min(count, MAX_ENTRIES);
            MemorySegment buffer = allocate(xcall, chunk * (ENTRY_BYTES + ARGUMENT_BYTES));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = Native.errnoSlot(arena);
                MemorySegment entries = buffer.reinterpret(chunk * (ENTRY_BYTES + ARGUMENT_BYTES));
                MemorySegment arguments = entries.asSlice(chunk * ENTRY_BYTES);
                for (int done = 0; done < count; done += chunk) {
                    int n = Math.min(chunk, count - done);
                    for (int i = 0; i < n; i++) {
                        MemorySegment argument = xen_remove_from_physmap.asSlice(arguments, i);
                        xen_remove_from_physmap.domid(argument, (short) domid);
                        xen_remove_from_physmap.gpfn(argument, batch.targetPage(done + i));
                        // jextract's asSlice runs to the end of the array: fill this entry only.
                        MemorySegment entry = multicall_entry.asSlice(entries, i).asSlice(0, ENTRY_BYTES);
                        entry.fill((byte) 0);
                        multicall_entry.op(entry, xen_h.__HYPERVISOR_memory_op());
                        multicall_entry.args(entry, 0, xen_h.XENMEM_remove_from_physmap());
                        multicall_entry.args(entry, 1, argument.address());
                    }
                    int rc = (int) Native.XENCALL2.invokeExact(slot, xcall, xen_h.__HYPERVISOR_multicall(),
                            entries.address(), (long) n);
                    if (rc < 0) {
                        throw new XenCallException("xencall2", "__HYPERVISOR_multicall of " + n
                                + " XENMEM_remove_from_physmap, domid=" + domid + ", entries " + done + ".."
                                + (done + n) + " of " + count, Native.errno(slot));
                    }
                    for (int i = 0; i < n; i++) {
                        batch.error(done + i, (int) multicall_entry.result(multicall_entry.asSlice(entries, i)));
                    }
                }
                return null;
            } finally {
                xen_h.xencall_free_buffer(xcall, buffer);
            }
        });
    }

    private static MemorySegment allocate(MemorySegment xcall, long bytes) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            MemorySegment buffer = (MemorySegment) Native.XENCALL_ALLOC_BUFFER.invokeExact(slot, xcall, bytes);
            if (buffer.equals(MemorySegment.NULL)) {
                throw new XenCallException("xencall_alloc_buffer", bytes + " bytes", Native.errno(slot));
            }
            return buffer;
        }
    }

    @Override
    void release(MemorySegment xcall) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = Native.errnoSlot(arena);
            int rc = (int) Native.XENCALL_CLOSE.invokeExact(slot, xcall);
            if (rc < 0) {
                throw new XenCallException("xencall_close", "", Native.errno(slot));
            }
        }
    }
}
