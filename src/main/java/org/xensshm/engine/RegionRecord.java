package org.xensshm.engine;

import static org.xensshm.engine.StoreLayout.ATTACHING;
import static org.xensshm.engine.StoreLayout.BEGIN;
import static org.xensshm.engine.StoreLayout.CACHE_POLICY;
import static org.xensshm.engine.StoreLayout.END;
import static org.xensshm.engine.StoreLayout.MAPPING;
import static org.xensshm.engine.StoreLayout.MASTER;
import static org.xensshm.engine.StoreLayout.OFFSET;
import static org.xensshm.engine.StoreLayout.ORPHANED;
import static org.xensshm.engine.StoreLayout.PROT;
import static org.xensshm.engine.StoreLayout.STATE;
import static org.xensshm.engine.StoreLayout.UNMAPPING;
import static org.xensshm.engine.StoreLayout.USERCNT;
import static org.xensshm.engine.StoreLayout.WORKER;

import java.util.List;
import java.util.Optional;

import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.Prot;
import org.xensshm.spec.SshmSpec;

/** A region's record as read in a transaction; the borrowers are listed by domid only. */
record RegionRecord(String id, int master, long begin, long end, Prot prot, CachePolicy cachePolicy,
                    String userCount, RegionStatus.State state, String worker, List<Integer> slaves) {

    /** The record of {@code id}, or empty when there is none. */
    static Optional<RegionRecord> read(StoreTransaction tx, String id) {
        if (tx.read(StoreLayout.region(id)).isEmpty()) {
            return Optional.empty();
        }
        int master = StoreLayout.parseDomid(id + "/master", required(tx, id, MASTER));
        long begin = StoreLayout.parseHex(id + "/begin", required(tx, id, BEGIN));
        long end = StoreLayout.parseHex(id + "/end", required(tx, id, END));
        StoreLayout.checkRange("region " + id, begin, end);
        String protText = required(tx, id, PROT);
        Prot prot = Prot.parse(protText)
                .orElseThrow(() -> new RecordFormatException(id + "/prot is unknown: '" + protText + "'"));
        String policyText = required(tx, id, CACHE_POLICY);
        CachePolicy policy = CachePolicy.parse(policyText)
                .orElseThrow(() -> new RecordFormatException(id + "/cache_policy is unknown: '" + policyText + "'"));
        String users = tx.read(StoreLayout.regionField(id, USERCNT)).orElse("");
        RegionStatus.State state = switch (tx.read(StoreLayout.regionField(id, STATE)).orElse("")) {
            case "" -> RegionStatus.State.ACTIVE;
            case ATTACHING -> RegionStatus.State.ATTACHING;
            case ORPHANED -> RegionStatus.State.ORPHANED;
            default -> throw new RecordFormatException(id + "/state is unknown");
        };
        String worker = tx.read(StoreLayout.regionField(id, WORKER)).orElse(null);
        List<Integer> slaves = tx.list(StoreLayout.slaves(id)).stream()
                .map(name -> StoreLayout.parseDomid(id + "/slaves/" + name, name))
                .sorted()
                .toList();
        return Optional.of(new RegionRecord(id, master, begin, end, prot, policy, users, state, worker, slaves));
    }

    long firstPage() {
        return begin >>> SshmSpec.PAGE_SHIFT;
    }

    long pages() {
        return (end - begin) >>> SshmSpec.PAGE_SHIFT;
    }

    RegionStatus toStatus(List<RegionStatus.BorrowerStatus> borrowers) {
        int count = userCount.isEmpty() ? -1 : StoreLayout.parseDecimal(id + "/usercnt", userCount);
        return new RegionStatus(id, master, begin, end, prot, cachePolicy, count, state, borrowers);
    }

    private static String required(StoreTransaction tx, String id, String field) {
        return tx.read(StoreLayout.regionField(id, field))
                .orElseThrow(() -> new RecordFormatException("region " + id + " has no " + field));
    }

    /** A borrower's entry under {@code slaves/<domid>}. */
    record Slave(String id, int domid, long begin, long end, long offset, Prot prot,
                 RegionStatus.BorrowerStatus.State state, String worker) {

        static Optional<Slave> read(StoreTransaction tx, String id, int domid) {
            if (tx.read(StoreLayout.slave(id, domid)).isEmpty()) {
                return Optional.empty();
            }
            String where = id + "/slaves/" + domid;
            long begin = StoreLayout.parseHex(where + "/begin", required(tx, id, domid, BEGIN));
            long end = StoreLayout.parseHex(where + "/end", required(tx, id, domid, END));
            StoreLayout.checkRange("borrower " + where, begin, end);
            long offset = StoreLayout.parseHex(where + "/offset", required(tx, id, domid, OFFSET));
            String protText = required(tx, id, domid, PROT);
            Prot prot = Prot.parse(protText)
                    .orElseThrow(() -> new RecordFormatException(where + "/prot is unknown: '" + protText + "'"));
            RegionStatus.BorrowerStatus.State state =
                    switch (tx.read(StoreLayout.slaveField(id, domid, STATE)).orElse("")) {
                        case "" -> RegionStatus.BorrowerStatus.State.MAPPED;
                        case MAPPING -> RegionStatus.BorrowerStatus.State.MAPPING;
                        case UNMAPPING -> RegionStatus.BorrowerStatus.State.UNMAPPING;
                        default -> throw new RecordFormatException(where + "/state is unknown");
                    };
            String worker = tx.read(StoreLayout.slaveField(id, domid, WORKER)).orElse(null);
            return Optional.of(new Slave(id, domid, begin, end, offset, prot, state, worker));
        }

        long firstGfn() {
            return begin >>> SshmSpec.PAGE_SHIFT;
        }

        long pages() {
            return (end - begin) >>> SshmSpec.PAGE_SHIFT;
        }

        RegionStatus.BorrowerStatus toStatus() {
            return new RegionStatus.BorrowerStatus(domid, begin, end, offset, prot, state);
        }

        private static String required(StoreTransaction tx, String id, int domid, String field) {
            return tx.read(StoreLayout.slaveField(id, domid, field))
                    .orElseThrow(() -> new RecordFormatException("borrower " + domid + " of " + id + " has no " + field));
        }
    }
}
