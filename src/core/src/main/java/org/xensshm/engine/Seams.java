package org.xensshm.engine;

import java.util.function.Function;

import org.xensshm.engine.RegionRefusedException.Reason;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XenCallException;

/**
 * What every engine operation works through: the hypervisor and the store, the records in the
 * store, and the settings; with the two calls whose failures every operation reports alike.
 */
record Seams(Hypervisor hypervisor, Store store, Records records, EngineSettings settings) {

    /** Value of a domid argument when a step concerns no particular domain. */
    static final int NO_DOMAIN = SshmException.NO_DOMAIN;

    Seams(Hypervisor hypervisor, Store store, EngineSettings settings) {
        this(hypervisor, store, new Records(store), settings);
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

    /** Whether {@code domid} exists; {@code actingDomid} and {@code id} are for messages. */
    boolean exists(int actingDomid, String id, int domid) {
        try {
            return hypervisor.domainExists(domid);
        } catch (XenCallException e) {
            throw new BackendFailureException(actingDomid, id, "looking up domain " + domid, e);
        }
    }
}
