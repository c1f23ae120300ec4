package org.xensshm.engine;

import static org.xensshm.engine.RecordValues.domidText;
import static org.xensshm.engine.RecordValues.hex;
import static org.xensshm.engine.RecordValues.parseDomid;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XsPermission;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;

/**
 * The region records in xenstore, read and written in transactions: the writes, on top of the
 * reads of {@link RecordReader}. A new region is written in the layout the settings choose, a
 * borrower's entry in its region's. The last record to go takes {@code /libxl/static_shm} with
 * it, and {@code /libxl} if nothing else is in it; likewise a domain's {@code static_shm}
 * directory goes with its last role entry.
 */
final class Records extends RecordReader {

    private final Optional<RecordLayout> newRegions;

    /** @param newRegions the layout new regions are written in; empty: follow the host's records */
    Records(Store store, Optional<RecordLayout> newRegions) {
        super(store);
        this.newRegions = newRegions;
    }

    /**
     * Records a new region, owned by {@code domid} (whose domain handle is {@code handle}),
     * marked attaching by {@code worker}, in the layout chosen for new regions.
     */
    void createRegion(StoreTransaction tx, int domid, UUID handle, SshmSpec spec, Worker worker) {
        String id = spec.id();
        RecordLayout layout = newRegions.orElseGet(() -> hostLayout(tx));
        tx.mkdir(region(id));
        tx.setPermissions(region(id), RecordPermissions.DOM0_ONLY);
        tx.write(field(id, layout.ownerNode()), domidText(domid));
        tx.write(field(id, BEGIN), hex(spec.begin()));
        tx.write(field(id, layout.extentNode()), hex(layout.bySize() ? spec.size() : spec.end()));
        tx.write(field(id, PROT), spec.prot().toString());
        tx.write(field(id, CACHE_POLICY), spec.cachePolicy().configName());
        tx.write(field(id, USERCNT), "1");
        tx.write(field(id, OWNER_HANDLE), handle.toString());
        tx.write(field(id, STATE), ATTACHING);
        tx.write(field(id, WORKER), worker.token());
        writeRole(tx, domid, id, layout.ownerRole());
    }

    /**
     * Adds {@code domid} (whose domain handle is {@code handle}) as a borrower of the region, in
     * the region's layout, marked mapping by {@code worker}.
     */
    void addBorrower(StoreTransaction tx, Region region, int domid, UUID handle, SshmSpec spec, MappingKind mapping,
                     Worker worker) {
        String id = spec.id();
        RecordLayout layout = region.layout();
        String path = entry(layout, id, domid);
        tx.write(path + "/" + BEGIN, hex(spec.begin()));
        tx.write(path + "/" + layout.extentNode(), hex(layout.bySize() ? spec.size() : spec.end()));
        tx.write(path + "/" + OFFSET, hex(spec.offset()));
        tx.write(path + "/" + PROT, spec.prot().toString());
        tx.write(path + "/" + HANDLE, handle.toString());
        tx.write(path + "/" + MAPPING_KIND, mapping.recorded());
        tx.write(path + "/" + STATE, MAPPING);
        tx.write(path + "/" + WORKER, worker.token());
        writeRole(tx, domid, id, layout.borrowerRole());
        tx.write(field(id, USERCNT), Integer.toString(users(tx, id)));
    }

    /** Clears the in-progress mark of an owner's record or a borrower's entry. */
    void clearMark(StoreTransaction tx, String id, int domid, Role role) {
        Optional<String> base = role == Role.OWNER ? Optional.of(region(id))
                : entryLayout(tx, id, domid).map(layout -> entry(layout, id, domid));
        base.ifPresent(path -> {
            tx.remove(path + "/" + STATE);
            tx.remove(path + "/" + WORKER);
        });
    }

    /** Marks a borrower's entry as being unmapped by {@code worker}. */
    void markUnmapping(StoreTransaction tx, String id, int domid, Worker worker) {
        entryLayout(tx, id, domid).map(layout -> entry(layout, id, domid)).ifPresent(path -> {
            tx.write(path + "/" + STATE, UNMAPPING);
            tx.write(path + "/" + WORKER, worker.token());
        });
    }

    /** Marks a borrower's entry as being unmapped, keeping whoever holds it. */
    void markUnmapping(StoreTransaction tx, String id, int domid) {
        entryLayout(tx, id, domid).map(layout -> entry(layout, id, domid))
                .ifPresent(path -> tx.write(path + "/" + STATE, UNMAPPING));
    }

    /** The owner leaves: its record goes if nobody borrows, else stays orphaned. */
    DetachReport.Outcome releaseOwner(StoreTransaction tx, String id, int owner) {
        removeRole(tx, id, owner);
        if (entryNames(tx, id).isEmpty()) {
            removeRegion(tx, id);
            return DetachReport.Outcome.REMOVED;
        }
        tx.write(field(id, STATE), ORPHANED);
        tx.remove(field(id, WORKER));
        settle(tx, id);
        return DetachReport.Outcome.ORPHANED;
    }

    /** Removes a borrower's entry and role, counting it out of the region. */
    void removeBorrower(StoreTransaction tx, String id, int domid) {
        for (RecordLayout layout : RecordLayout.values()) {
            if (tx.read(entry(layout, id, domid)).isPresent()) {
                tx.remove(entry(layout, id, domid));
            }
        }
        removeRole(tx, id, domid);
        settle(tx, id);
    }

    /**
     * Rewrites the region's {@code usercnt} from who is left when it is wrong; empty when it was
     * right (or the record is gone).
     */
    Optional<ReconcileReport.CountRepaired> repairCount(StoreTransaction tx, String id) {
        if (tx.read(region(id)).isEmpty()) {
            return Optional.empty();
        }
        String recorded = tx.read(field(id, USERCNT)).orElse("");
        int users = users(tx, id);
        if (recorded.equals(Integer.toString(users))) {
            return Optional.empty();
        }
        settle(tx, id);
        return Optional.of(new ReconcileReport.CountRepaired(id, recorded, users));
    }

    /**
     * The region's users as its record stands: the owner, unless it is orphaned or its role entry
     * is gone (a C toolstack counts an owner out at domain destroy without marking the region), and
     * the borrowers.
     */
    private int users(StoreTransaction tx, String id) {
        return (ownerPresent(tx, id) ? 1 : 0) + entryNames(tx, id).size();
    }

    private boolean ownerPresent(StoreTransaction tx, String id) {
        if (tx.read(field(id, STATE)).filter(ORPHANED::equals).isPresent()) {
            return false;
        }
        Optional<RecordLayout> layout = layoutOf(tx, id);
        if (layout.isEmpty()) {
            return false;
        }
        try {
            int owner = parseDomid(id, tx.read(field(id, layout.get().ownerNode())).orElseThrow());
            return tx.read(roleDirectory(owner, id)).isPresent();
        } catch (RecordFormatException e) {
            return true;
        }
    }

    /** Rewrites usercnt from who is left, and removes the record when nobody is. */
    private void settle(StoreTransaction tx, String id) {
        int users = users(tx, id);
        if (users == 0) {
            removeRegion(tx, id);
            return;
        }
        for (RecordLayout layout : RecordLayout.values()) {
            String dir = region(id) + "/" + layout.borrowersNode();
            if (tx.read(dir).isPresent() && tx.list(dir).isEmpty()) {
                tx.remove(dir);
            }
        }
        tx.write(field(id, USERCNT), Integer.toString(users));
    }

    /** Removes the record, and the directories above it that only existed for records. */
    private void removeRegion(StoreTransaction tx, String id) {
        tx.remove(region(id));
        if (tx.list(REGIONS).isEmpty()) {
            tx.remove(REGIONS);
            if (tx.list(LIBXL).isEmpty()) {
                tx.remove(LIBXL);
            }
        }
    }

    /**
     * Writes a role entry readable by its domain and writable by dom0 alone, whatever the
     * domain's directory lets it do.
     */
    private void writeRole(StoreTransaction tx, int domid, String id, String role) {
        String dir = roleDirectory(domid, id);
        tx.write(dir + "/" + ROLE, role);
        List<XsPermission> readOnly = RecordPermissions.readOnlyFor(domid);
        tx.setPermissions(domainRegions(domid), readOnly);
        tx.setPermissions(dir, readOnly);
        tx.setPermissions(dir + "/" + ROLE, readOnly);
    }

    private void removeRole(StoreTransaction tx, String id, int domid) {
        String dir = domainRegions(domid);
        tx.remove(dir + "/" + id);
        if (tx.list(dir).isEmpty()) {
            tx.remove(dir);
        }
    }

    /**
     * The layout the host's regions are in when they agree on one; the seed's for a host with no
     * regions, or with regions in both.
     */
    private RecordLayout hostLayout(StoreTransaction tx) {
        List<RecordLayout> used = ids(tx).stream().map(id -> layoutOf(tx, id)).flatMap(Optional::stream).distinct().toList();
        return used.size() == 1 ? used.getFirst() : RecordLayout.SEED;
    }
}
