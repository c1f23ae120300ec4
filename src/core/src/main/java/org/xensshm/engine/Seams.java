package org.xensshm.engine;

import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

import org.xensshm.engine.RegionRefusedException.Reason;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XenCallException;

/**
 * What every engine operation works through: the hypervisor and the store, the records in the
 * store, and the settings; with the calls whose failures every operation reports alike, and what
 * the engine learnt about the hypervisor (whether it takes batched removals).
 */
final class Seams {

    /** Value of a domid argument when a step concerns no particular domain. */
    static final int NO_DOMAIN = SshmException.NO_DOMAIN;

    private final Hypervisor hypervisor;
    private final Store store;
    private final Records records;
    private final EngineSettings settings;
    /** Cleared once the hypervisor refuses a batched removal: it is not asked again. */
    private volatile boolean batchedRemovals = true;

    Seams(Hypervisor hypervisor, Store store, EngineSettings settings) {
        this.hypervisor = hypervisor;
        this.store = store;
        this.records = new Records(store, settings.layout());
        this.settings = settings;
    }

    Hypervisor hypervisor() {
        return hypervisor;
    }

    Store store() {
        return store;
    }

    Records records() {
        return records;
    }

    EngineSettings settings() {
        return settings;
    }

    boolean batchedRemovals() {
        return batchedRemovals;
    }

    void refuseBatchedRemovals() {
        batchedRemovals = false;
    }

    /**
     * Runs {@code work} in a transaction and commits it, starting over on a conflict as the
     * settings allow. {@code work} only touches the store (and asks whether domains exist), so
     * repeating it is harmless.
     *
     * @param domid the domain the step is for, or {@link #NO_DOMAIN}, for messages
     * @param id    the region the step is about, or null, for messages
     * @param step  what the step does, for messages
     */
    <T> T transact(int domid, String id, String step, Function<StoreTransaction, T> work) {
        try {
            return store.inTransaction(settings.transactionAttempts(), settings.retryBackoff(), work);
        } catch (XenCallException e) {
            throw new BackendFailureException(domid, id, step, e);
        } catch (RecordFormatException e) {
            throw new RegionRefusedException(domid, id, Reason.CORRUPT_RECORD, e.getMessage());
        }
    }

    /**
     * What the hypervisor reports about {@code domid}, if anything; {@code actingDomid} and
     * {@code id} are for messages.
     */
    Optional<DomainInfo> domain(int actingDomid, String id, int domid) {
        try {
            return hypervisor.domainInfo(domid);
        } catch (XenCallException e) {
            throw new BackendFailureException(actingDomid, id, "looking up domain " + domid, e);
        }
    }

    /**
     * Whether {@code domid} is still the domain a record names and still has its physmap: it
     * exists, is not dying (Xen tears a dying domain's physmap down itself, so there is nothing
     * left to unmap or record for it), and has the recorded domain handle, when one was recorded
     * (a different handle is a later domain that got the same domid: its pages are not ours).
     */
    boolean stillThere(int actingDomid, String id, int domid, Optional<UUID> recorded) {
        return domain(actingDomid, id, domid).filter(info -> !info.dying() && sameDomain(info, recorded)).isPresent();
    }

    /** Whether {@code info} is the domain a record with this handle was written for. */
    static boolean sameDomain(DomainInfo info, Optional<UUID> recorded) {
        return recorded.isEmpty() || recorded.get().equals(info.handle());
    }

    /**
     * What the hypervisor does with shared pages: the self-test's answer kept for this boot, or a
     * fresh run.
     */
    SelfTestReport selfTest(int actingDomid) {
        try {
            return new HypervisorSelfTest(hypervisor, store).cachedOrRun();
        } catch (XenCallException e) {
            throw new BackendFailureException(actingDomid, null, "testing what the hypervisor does with shared pages", e);
        }
    }

    /**
     * Whether {@code domid} can take part in new sharing as the domain a record names: it exists,
     * neither dying nor shut down, with the recorded handle when one was recorded.
     */
    boolean alive(int actingDomid, String id, int domid, Optional<UUID> recorded) {
        return domain(actingDomid, id, domid).filter(info -> info.alive() && sameDomain(info, recorded)).isPresent();
    }
}
