package org.xensshm.testkit.fault;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import org.xensshm.host.ForwardingHypervisor;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XenCallException;
import org.xensshm.host.XsPermission;

/**
 * Counts the operations that go through the seams it wraps and makes a chosen one misbehave. One
 * injector wraps a hypervisor and a store together, so "the nth operation" counts hypercalls and
 * store operations in the order the engine issued them. Works over any backend: the in-memory
 * ones and the native ones.
 *
 * <p>Counted: {@link Hypervisor#addToPhysmapBatch} and {@link Hypervisor#removeFromPhysmapBatch}
 * (one per call the engine makes, however many entries), {@link Hypervisor#removeFromPhysmap},
 * {@link Hypervisor#setTarget}, and every {@link Store#begin} and {@link StoreTransaction}
 * operation except {@code close}. Queries ({@code platform}, {@code identity},
 * {@code domainInfo}) and the scratch domains of a self-test are not counted.
 *
 * <p>Typical use: run an operation once to learn how many operations it makes
 * ({@link #count()}), then for each n arm a fault at n and run it again. Thread-safe.
 */
public final class FaultInjector {

    /** An injector with nothing armed and nothing counted yet. */
    public FaultInjector() {
    }

    /** What is armed: at absolute count {@code at} (overall, or of {@code kind} when not null). */
    private record Armed(Operation kind, long at, Fault fault, boolean sticky) {
    }

    private final Object lock = new Object();
    private long count;
    private final Map<Operation, Long> counts = new EnumMap<>(Operation.class);
    private Armed armed;
    private List<String> trace;
    private String lastInjected;

    /**
     * The {@code nth} operation from now (1-based, any kind) gets {@code fault}; only that one.
     *
     * @param nth 1 for the next operation
     * @param fault what happens to it
     */
    public void arm(long nth, Fault fault) {
        arm(null, nth, fault, false);
    }

    /**
     * The {@code nth} operation of {@code kind} from now gets {@code fault}; only that one.
     *
     * @param kind the kind of operation counted
     * @param nth 1 for the next operation of that kind
     * @param fault what happens to it
     */
    public void arm(Operation kind, long nth, Fault fault) {
        arm(Objects.requireNonNull(kind, "kind"), nth, fault, false);
    }

    /**
     * The {@code nth} operation from now and every later one fail with {@code errno}, as when
     * the connection to the hypervisor and the store is lost; until {@link #disarm()}.
     *
     * @param nth 1 for the next operation
     * @param errno the positive errno they fail with
     */
    public void failFrom(long nth, int errno) {
        arm(null, nth, Fault.fail(errno), true);
    }

    private void arm(Operation kind, long nth, Fault fault, boolean sticky) {
        Objects.requireNonNull(fault, "fault");
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be at least 1: " + nth);
        }
        synchronized (lock) {
            long base = kind == null ? count : counts.getOrDefault(kind, 0L);
            armed = new Armed(kind, base + nth, fault, sticky);
        }
    }

    /** Drops every armed fault; counting goes on. */
    public void disarm() {
        synchronized (lock) {
            armed = null;
        }
    }

    /**
     * Operations counted so far.
     *
     * @return the number of operations
     */
    public long count() {
        synchronized (lock) {
            return count;
        }
    }

    /**
     * Operations of one kind counted so far.
     *
     * @param kind the kind
     * @return their number
     */
    public long count(Operation kind) {
        synchronized (lock) {
            return counts.getOrDefault(kind, 0L);
        }
    }

    /** From now on, records each operation ("17 STORE_WRITE /libxl/static_shm/ID1/master"). */
    public void startTrace() {
        synchronized (lock) {
            trace = new ArrayList<>();
        }
    }

    /**
     * The operations recorded since {@link #startTrace()}.
     *
     * @return one line per operation, in order
     */
    public List<String> trace() {
        synchronized (lock) {
            return trace == null ? List.of() : List.copyOf(trace);
        }
    }

    /**
     * The operation that got the most recent fault, as in {@link #trace()}.
     *
     * @return the operation, or empty when no fault was injected yet
     */
    public Optional<String> lastInjected() {
        synchronized (lock) {
            return Optional.ofNullable(lastInjected);
        }
    }

    /**
     * A hypervisor whose calls this injector counts and fails.
     *
     * @param hypervisor the hypervisor that does the work
     * @return the wrapped hypervisor
     */
    public Hypervisor wrap(Hypervisor hypervisor) {
        Objects.requireNonNull(hypervisor, "hypervisor");
        return new ForwardingHypervisor(hypervisor) {
            @Override
            public void addToPhysmapBatch(int domid, int sourceDomid, MapSpace space, PageBatch batch) {
                run(Operation.ADD_TO_PHYSMAP_BATCH, "xc_domain_add_to_physmap_batch",
                        "domid=" + domid + ", foreign=" + sourceDomid + ", size=" + batch.count(), () -> {
                            super.addToPhysmapBatch(domid, sourceDomid, space, batch);
                            return null;
                        });
            }

            @Override
            public void removeFromPhysmap(int domid, long gfn) {
                run(Operation.REMOVE_FROM_PHYSMAP, "xc_domain_remove_from_physmap",
                        "domid=" + domid + ", gfn=0x" + Long.toHexString(gfn), () -> {
                            super.removeFromPhysmap(domid, gfn);
                            return null;
                        });
            }

            @Override
            public void removeFromPhysmapBatch(int domid, PageBatch batch) {
                run(Operation.REMOVE_FROM_PHYSMAP_BATCH, "__HYPERVISOR_multicall",
                        "domid=" + domid + ", entries=" + batch.count(), () -> {
                            super.removeFromPhysmapBatch(domid, batch);
                            return null;
                        });
            }

            @Override
            public void setTarget(int domid, int target) {
                run(Operation.SET_TARGET, "xc_domain_set_target", "domid=" + domid + ", target=" + target, () -> {
                    super.setTarget(domid, target);
                    return null;
                });
            }
        };
    }

    /**
     * A store whose operations this injector counts and fails.
     *
     * @param store the store that does the work
     * @return the wrapped store
     */
    public Store wrap(Store store) {
        Objects.requireNonNull(store, "store");
        return new Store() {
            @Override
            public StoreTransaction begin() {
                return new Transaction(run(Operation.STORE_BEGIN, "xs_transaction_start", "", store::begin));
            }

            @Override
            public String domainPath(int domid) {
                return store.domainPath(domid);
            }
        };
    }

    private final class Transaction implements StoreTransaction {
        private final StoreTransaction inner;

        Transaction(StoreTransaction inner) {
            this.inner = inner;
        }

        @Override
        public Optional<String> read(String path) {
            return run(Operation.STORE_READ, "xs_read", path, () -> inner.read(path));
        }

        @Override
        public void write(String path, String value) {
            run(Operation.STORE_WRITE, "xs_write", path, () -> {
                inner.write(path, value);
                return null;
            });
        }

        @Override
        public void mkdir(String path) {
            run(Operation.STORE_MKDIR, "xs_mkdir", path, () -> {
                inner.mkdir(path);
                return null;
            });
        }

        @Override
        public void remove(String path) {
            run(Operation.STORE_REMOVE, "xs_rm", path, () -> {
                inner.remove(path);
                return null;
            });
        }

        @Override
        public List<String> list(String path) {
            return run(Operation.STORE_LIST, "xs_directory", path, () -> inner.list(path));
        }

        @Override
        public void setPermissions(String path, List<XsPermission> permissions) {
            run(Operation.STORE_SET_PERMISSIONS, "xs_set_permissions", path, () -> {
                inner.setPermissions(path, permissions);
                return null;
            });
        }

        @Override
        public List<XsPermission> permissions(String path) {
            return run(Operation.STORE_PERMISSIONS, "xs_get_permissions", path, () -> inner.permissions(path));
        }

        @Override
        public boolean commit() {
            return run(Operation.STORE_COMMIT, "xs_transaction_end", "commit", inner::commit);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private <T> T run(Operation kind, String call, String arguments, Supplier<T> action) {
        Fault fault;
        String description;
        synchronized (lock) {
            count++;
            long ofKind = counts.merge(kind, 1L, Long::sum);
            description = count + " " + kind + " " + arguments;
            if (trace != null) {
                trace.add(description);
            }
            fault = null;
            if (armed != null) {
                long position = armed.kind() == null ? count : armed.kind() == kind ? ofKind : -1;
                if (position == armed.at() || (armed.sticky() && position > armed.at())) {
                    fault = armed.fault();
                    lastInjected = description;
                    if (!armed.sticky()) {
                        armed = null;
                    }
                }
            }
        }
        switch (fault) {
            case null -> {
                return action.get();
            }
            case Fault.Fail(int errno) -> throw new XenCallException(call, arguments, errno, "injected fault");
            case Fault.CrashBefore() -> throw new SimulatedCrash("toolstack died before " + description);
            case Fault.Before(Runnable happening) -> {
                happening.run();
                return action.get();
            }
            case Fault.CrashAfter() -> {
                try {
                    // A transaction of a dead process dies with its connection.
                    if (action.get() instanceof StoreTransaction begun) {
                        begun.close();
                    }
                } catch (RuntimeException lost) {
                    // The process is gone either way: what the operation returned or threw never arrives.
                }
                throw new SimulatedCrash("toolstack died after " + description);
            }
        }
    }
}
