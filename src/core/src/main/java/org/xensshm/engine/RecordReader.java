package org.xensshm.engine;

import static org.xensshm.engine.RecordPermissions.guestWritable;
import static org.xensshm.engine.RecordPermissions.refuseGuestWritable;
import static org.xensshm.engine.RecordValues.checkRange;
import static org.xensshm.engine.RecordValues.extentEnd;
import static org.xensshm.engine.RecordValues.handle;
import static org.xensshm.engine.RecordValues.parseDecimal;
import static org.xensshm.engine.RecordValues.parseDecimalDomid;
import static org.xensshm.engine.RecordValues.parseDomid;
import static org.xensshm.engine.RecordValues.parseHex;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.engine.RegionStatus.BorrowerStatus;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.Prot;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;

/**
 * The region records in xenstore as read in transactions, and where their nodes are: the one
 * place that knows their layout. Regions are read in either of the C toolstacks' layouts
 * ({@link RecordLayout}). In the seed's words:
 *
 * <pre>
 * /libxl/static_shm/&lt;id&gt;/master        owner domid                   (perms n0: dom0 only)
 *                        /begin /end    owner's range, 0x-hex bytes
 *                        /prot          rw
 *                        /cache_policy  ARM_normal | x86_normal
 *                        /usercnt       owner (unless orphaned) + borrowers, decimal
 *                        /owner_uuid    the owner's domain handle
 *                        /state         absent | attaching | orphaned
 *                        /worker        token of the operation with work in progress
 *                        /slaves/&lt;domid&gt;/begin /end /offset   0x-hex bytes
 *                                       /prot
 *                                       /uuid     the borrower's domain handle
 *                                       /mapping  gmfn_share | gmfn_foreign | gmfn_foreign+target | ...
 *                                       /state    absent (mapped) | mapping | unmapping
 *                                       /worker
 * /local/domain/&lt;domid&gt;/static_shm/&lt;id&gt;/role   master | slave   (perms n0 r&lt;domid&gt;)
 * </pre>
 *
 * The C code ignores the nodes it does not know ({@code owner_uuid}, {@code uuid},
 * {@code mapping}, {@code state}, {@code worker}). How values are written is
 * {@link RecordValues}'s, who may write the nodes {@link RecordPermissions}'s. {@link Records}
 * adds the writes to the reads, which each write starts from.
 */
abstract sealed class RecordReader permits Records {

    /** The reads are part of {@link Records}, and logged as such. */
    private static final Logger log = LoggerFactory.getLogger(Records.class);

    static final String LIBXL = "/libxl";
    static final String REGIONS = LIBXL + "/static_shm";
    static final String BEGIN = "begin";
    static final String OFFSET = "offset";
    static final String PROT = "prot";
    static final String CACHE_POLICY = "cache_policy";
    static final String USERCNT = "usercnt";
    static final String OWNER_HANDLE = "owner_uuid";
    static final String HANDLE = "uuid";
    static final String STATE = "state";
    static final String WORKER = "worker";
    static final String MAPPING_KIND = "mapping";
    static final String ROLE = "role";
    static final String ATTACHING = "attaching";
    static final String ORPHANED = "orphaned";
    static final String MAPPING = "mapping";
    static final String UNMAPPING = "unmapping";

    private final Store store;

    RecordReader(Store store) {
        this.store = store;
    }

    /** A region's record; its borrowers by domid only. */
    record Region(String id, RecordLayout layout, int owner, Optional<UUID> ownerHandle, long begin, long end,
                  Prot prot, CachePolicy cachePolicy, String userCount, RegionStatus.State state, String worker,
                  List<Integer> borrowers) {

        long firstPage() {
            return begin >>> SshmSpec.PAGE_SHIFT;
        }

        long pages() {
            return (end - begin) >>> SshmSpec.PAGE_SHIFT;
        }

        RegionStatus toStatus(List<BorrowerStatus> entries) {
            int count = userCount.isEmpty() ? -1 : parseDecimal(id + "/usercnt", userCount);
            return new RegionStatus(id, layout, owner, ownerHandle, begin, end, prot, cachePolicy, count, state,
                    entries);
        }
    }

    /** A borrower's entry in a region's record. */
    record Borrower(String id, int domid, Optional<UUID> handle, long begin, long end, long offset, Prot prot,
                    MappingKind mapping, BorrowerStatus.State state, String worker) {

        long firstGfn() {
            return begin >>> SshmSpec.PAGE_SHIFT;
        }

        long pages() {
            return (end - begin) >>> SshmSpec.PAGE_SHIFT;
        }

        BorrowerStatus toStatus() {
            return new BorrowerStatus(domid, handle, begin, end, offset, prot, mapping, state);
        }
    }

    // ---- reading --------------------------------------------------------------------------------

    /** The ids of every recorded region. */
    List<String> ids(StoreTransaction tx) {
        return tx.list(REGIONS);
    }

    /** The record of {@code id}, or empty when there is none. */
    Optional<Region> region(StoreTransaction tx, String id) {
        if (tx.read(region(id)).isEmpty()) {
            return Optional.empty();
        }
        refuseGuestWritable(tx, region(id), "region " + id);
        RecordLayout layout = layoutOf(tx, id)
                .orElseThrow(() -> new RecordFormatException("region " + id + " names no owner (no master, no owner node)"));
        int owner = parseDomid(id + "/" + layout.ownerNode(), required(tx, id, layout.ownerNode()));
        long begin = parseHex(id + "/" + BEGIN, required(tx, id, BEGIN));
        long end = extentEnd(id + "/" + layout.extentNode(), begin, required(tx, id, layout.extentNode()), layout);
        checkRange("region " + id, begin, end);
        String protText = required(tx, id, PROT);
        Prot prot = Prot.parse(protText)
                .orElseThrow(() -> new RecordFormatException(id + "/prot is unknown: '" + protText + "'"));
        String policyText = required(tx, id, CACHE_POLICY);
        CachePolicy policy = CachePolicy.parse(policyText)
                .orElseThrow(() -> new RecordFormatException(id + "/cache_policy is unknown: '" + policyText + "'"));
        RegionStatus.State state = switch (tx.read(field(id, STATE)).orElse("")) {
            case "" -> RegionStatus.State.ACTIVE;
            case ATTACHING -> RegionStatus.State.ATTACHING;
            case ORPHANED -> RegionStatus.State.ORPHANED;
            default -> throw new RecordFormatException(id + "/state is unknown");
        };
        List<Integer> borrowers = entryNames(tx, id).stream()
                .map(name -> parseDecimalDomid(id + "/" + layout.borrowersNode() + "/" + name, name))
                .sorted()
                .toList();
        return Optional.of(new Region(id, layout, owner, handle(tx, field(id, OWNER_HANDLE)), begin, end, prot, policy,
                tx.read(field(id, USERCNT)).orElse(""), state, tx.read(field(id, WORKER)).orElse(null), borrowers));
    }

    /** A borrower's entry, or empty when the region does not list the domain. */
    Optional<Borrower> borrower(StoreTransaction tx, String id, int domid) {
        Optional<RecordLayout> found = entryLayout(tx, id, domid);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        RecordLayout layout = found.get();
        String path = entry(layout, id, domid);
        String where = id + "/" + layout.borrowersNode() + "/" + domid;
        long begin = parseHex(where + "/" + BEGIN, required(tx, path, where, BEGIN));
        long end = extentEnd(where + "/" + layout.extentNode(), begin,
                required(tx, path, where, layout.extentNode()), layout);
        checkRange("borrower " + where, begin, end);
        long offset = parseHex(where + "/" + OFFSET, required(tx, path, where, OFFSET));
        String protText = required(tx, path, where, PROT);
        Prot prot = Prot.parse(protText)
                .orElseThrow(() -> new RecordFormatException(where + "/prot is unknown: '" + protText + "'"));
        BorrowerStatus.State state = switch (tx.read(path + "/" + STATE).orElse("")) {
            case "" -> BorrowerStatus.State.MAPPED;
            case MAPPING -> BorrowerStatus.State.MAPPING;
            case UNMAPPING -> BorrowerStatus.State.UNMAPPING;
            default -> throw new RecordFormatException(where + "/state is unknown");
        };
        String kindText = tx.read(path + "/" + MAPPING_KIND).orElse("");
        MappingKind mapping = MappingKind.parse(kindText)
                .orElseThrow(() -> new RecordFormatException(where + "/mapping is unknown: '" + kindText + "'"));
        return Optional.of(new Borrower(id, domid, handle(tx, path + "/" + HANDLE), begin, end, offset, prot, mapping,
                state, tx.read(path + "/" + WORKER).orElse(null)));
    }

    /** Every readable record with its borrowers, and why the others cannot be read. */
    HostStatus status(StoreTransaction tx) {
        Map<String, RegionStatus> regions = new TreeMap<>();
        Map<String, String> unreadable = new TreeMap<>();
        for (String id : ids(tx)) {
            try {
                Optional<Region> record = region(tx, id);
                if (record.isPresent()) {
                    List<BorrowerStatus> entries = new ArrayList<>();
                    for (int domid : record.get().borrowers()) {
                        borrower(tx, id, domid).ifPresent(entry -> entries.add(entry.toStatus()));
                    }
                    regions.put(id, record.get().toStatus(entries));
                }
            } catch (RecordFormatException e) {
                unreadable.put(id, e.getMessage());
            }
        }
        return new HostStatus(List.copyOf(regions.values()), unreadable);
    }

    /**
     * Whether the region concerns the domain, reading only the few nodes that tell, so that a
     * transaction scanning every region does not conflict with changes to unrelated ones.
     */
    boolean owns(StoreTransaction tx, String id, int domid) {
        Optional<String> owner = tx.read(field(id, RecordLayout.SEED.ownerNode()))
                .or(() -> tx.read(field(id, RecordLayout.OWNER_BORROWER.ownerNode())));
        try {
            return owner.isPresent() && parseDomid(id, owner.get()) == domid;
        } catch (RecordFormatException e) {
            return false;
        }
    }

    boolean lends(StoreTransaction tx, String id, int domid) {
        return entryLayout(tx, id, domid).isPresent();
    }

    /** The owners whose pages {@code domid} maps as their trusted device model, by region. */
    Map<String, Integer> trustedOwners(StoreTransaction tx, int domid) {
        Map<String, Integer> owners = new TreeMap<>();
        for (String id : ids(tx)) {
            Optional<RecordLayout> layout = entryLayout(tx, id, domid);
            if (layout.isPresent() && tx.read(entry(layout.get(), id, domid) + "/" + MAPPING_KIND)
                    .filter(MappingKind.FOREIGN_TRUSTED.recorded()::equals).isPresent()) {
                RecordLayout regionLayout = layoutOf(tx, id).orElse(layout.get());
                owners.put(id, parseDomid(id + "/" + regionLayout.ownerNode(), required(tx, id, regionLayout.ownerNode())));
            }
        }
        return owners;
    }

    /** Whether the domain has a xenstore directory, as a toolstack makes when it creates one. */
    boolean domainRecorded(StoreTransaction tx, int domid) {
        return tx.read(store.domainPath(domid)).isPresent();
    }

    /** The domain's directory, for messages. */
    String domainDirectory(int domid) {
        return store.domainPath(domid);
    }

    /**
     * The role the domain has recorded for the id (in the record's words), or empty if it has
     * none. An entry the domain itself could have written is ignored, and replaced by the next write.
     */
    Optional<String> roleEntry(StoreTransaction tx, int domid, String id) {
        String dir = roleDirectory(domid, id);
        if (tx.read(dir).isEmpty()) {
            return Optional.empty();
        }
        if (guestWritable(tx.permissions(dir)).isPresent()) {
            log.warn("domain {}: ignoring its role entry for static_shm {}: the domain could have written it ({})",
                    domid, id, tx.permissions(dir));
            return Optional.empty();
        }
        return Optional.of(tx.read(dir + "/" + ROLE).orElse(""));
    }

    /** Whether {@code worker} still holds the owner's record, or a borrower's entry when given. */
    boolean heldBy(StoreTransaction tx, String id, int borrowerOrOwner, Role role, Worker worker) {
        Optional<String> base = role == Role.OWNER ? Optional.of(region(id))
                : entryLayout(tx, id, borrowerOrOwner).map(layout -> entry(layout, id, borrowerOrOwner));
        return base.isPresent() && worker.wrote(tx.read(base.get() + "/" + WORKER));
    }

    // ---- layouts --------------------------------------------------------------------------------

    /** The region's layout, by the node that names its owner; empty when it names none. */
    static Optional<RecordLayout> layoutOf(StoreTransaction tx, String id) {
        for (RecordLayout layout : RecordLayout.values()) {
            if (tx.read(field(id, layout.ownerNode())).isPresent()) {
                return Optional.of(layout);
            }
        }
        return Optional.empty();
    }

    /** The layout the domain's entry in the region is written in, if the region lists it. */
    static Optional<RecordLayout> entryLayout(StoreTransaction tx, String id, int domid) {
        for (RecordLayout layout : RecordLayout.values()) {
            if (tx.read(entry(layout, id, domid)).isPresent()) {
                return Optional.of(layout);
            }
        }
        return Optional.empty();
    }

    /** The names of the region's borrower entries, in whichever layout. */
    static List<String> entryNames(StoreTransaction tx, String id) {
        List<String> names = new ArrayList<>();
        for (RecordLayout layout : RecordLayout.values()) {
            names.addAll(tx.list(region(id) + "/" + layout.borrowersNode()));
        }
        return names;
    }

    // ---- paths ----------------------------------------------------------------------------------

    static String region(String id) {
        return REGIONS + "/" + id;
    }

    static String field(String id, String field) {
        return region(id) + "/" + field;
    }

    static String entry(RecordLayout layout, String id, int domid) {
        return region(id) + "/" + layout.borrowersNode() + "/" + domid;
    }

    String domainRegions(int domid) {
        return store.domainPath(domid) + "/static_shm";
    }

    String roleDirectory(int domid, String id) {
        return domainRegions(domid) + "/" + id;
    }

    private static String required(StoreTransaction tx, String id, String field) {
        return tx.read(field(id, field))
                .orElseThrow(() -> new RecordFormatException("region " + id + " has no " + field));
    }

    private static String required(StoreTransaction tx, String path, String where, String field) {
        return tx.read(path + "/" + field).orElseThrow(() -> new RecordFormatException(where + " has no " + field));
    }
}
