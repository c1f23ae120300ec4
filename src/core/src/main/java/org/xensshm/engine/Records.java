package org.xensshm.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.engine.RegionStatus.BorrowerStatus;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XsPermission;
import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.Prot;
import org.xensshm.spec.Role;
import org.xensshm.spec.SshmSpec;

/**
 * The region records in xenstore, read and written in transactions: the one place that knows
 * their layout. Regions are read in either of the C toolstacks' layouts ({@link RecordLayout});
 * a new region is written in the layout the settings choose, a borrower's entry in its region's.
 * In the seed's words:
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
 * {@code mapping}, {@code state}, {@code worker}). The last record to go takes
 * {@code /libxl/static_shm} with it, and {@code /libxl} if nothing else is in it; likewise a
 * domain's {@code static_shm} directory goes with its last role entry.
 *
 * <p><b>The owner's domid</b> is written 0x-hex: both C toolstacks write it in decimal but read it
 * back with {@code strtoull(..., 16)}, so domid 10 written their way reads as 16, while "0xa" reads
 * as 10 for them and for us. Both forms are read: 0x-prefixed as hex, plain digits as the decimal
 * their writers meant.
 *
 * <p><b>Least privilege.</b> Region records are dom0's alone; a domain may read its role entries
 * but never write them, so that a guest cannot fake or remove the entries that tell what to unmap.
 * A record a guest could have written is not trusted: it reads as malformed, so reconcile skips it
 * and status reports it.
 */
final class Records {

    private static final Logger log = LoggerFactory.getLogger(Records.class);

    /** Guest domids are below DOMID_FIRST_RESERVED (0x7FF0). */
    static final int MAX_DOMID = 0x7FEF;

    private static final String LIBXL = "/libxl";
    private static final String REGIONS = LIBXL + "/static_shm";
    private static final String BEGIN = "begin";
    private static final String OFFSET = "offset";
    private static final String PROT = "prot";
    private static final String CACHE_POLICY = "cache_policy";
    private static final String USERCNT = "usercnt";
    private static final String OWNER_HANDLE = "owner_uuid";
    private static final String HANDLE = "uuid";
    private static final String STATE = "state";
    private static final String WORKER = "worker";
    private static final String MAPPING_KIND = "mapping";
    private static final String ROLE = "role";
    private static final String ATTACHING = "attaching";
    private static final String ORPHANED = "orphaned";
    private static final String MAPPING = "mapping";
    private static final String UNMAPPING = "unmapping";

    private static final List<XsPermission> DOM0_ONLY = List.of(new XsPermission(0, XsPermission.Access.NONE));

    private final Store store;
    private final Optional<RecordLayout> newRegions;

    /** @param newRegions the layout new regions are written in; empty: follow the host's records */
    Records(Store store, Optional<RecordLayout> newRegions) {
        this.store = store;
        this.newRegions = newRegions;
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

    // ---- writing --------------------------------------------------------------------------------

    /**
     * Records a new region, owned by {@code domid} (whose domain handle is {@code handle}),
     * marked attaching by {@code worker}, in the layout chosen for new regions.
     */
    void createRegion(StoreTransaction tx, int domid, UUID handle, SshmSpec spec, Worker worker) {
        String id = spec.id();
        RecordLayout layout = newRegions.orElseGet(() -> hostLayout(tx));
        tx.mkdir(region(id));
        tx.setPermissions(region(id), DOM0_ONLY);
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
        List<XsPermission> readOnly = List.of(new XsPermission(0, XsPermission.Access.NONE),
                new XsPermission(domid, XsPermission.Access.READ));
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

    // ---- layouts --------------------------------------------------------------------------------

    /** The region's layout, by the node that names its owner; empty when it names none. */
    private static Optional<RecordLayout> layoutOf(StoreTransaction tx, String id) {
        for (RecordLayout layout : RecordLayout.values()) {
            if (tx.read(field(id, layout.ownerNode())).isPresent()) {
                return Optional.of(layout);
            }
        }
        return Optional.empty();
    }

    /** The layout the domain's entry in the region is written in, if the region lists it. */
    private static Optional<RecordLayout> entryLayout(StoreTransaction tx, String id, int domid) {
        for (RecordLayout layout : RecordLayout.values()) {
            if (tx.read(entry(layout, id, domid)).isPresent()) {
                return Optional.of(layout);
            }
        }
        return Optional.empty();
    }

    /** The names of the region's borrower entries, in whichever layout. */
    private static List<String> entryNames(StoreTransaction tx, String id) {
        List<String> names = new ArrayList<>();
        for (RecordLayout layout : RecordLayout.values()) {
            names.addAll(tx.list(region(id) + "/" + layout.borrowersNode()));
        }
        return names;
    }

    /**
     * The layout the host's regions are in when they agree on one; the seed's for a host with no
     * regions, or with regions in both.
     */
    private RecordLayout hostLayout(StoreTransaction tx) {
        List<RecordLayout> used = ids(tx).stream().map(id -> layoutOf(tx, id)).flatMap(Optional::stream).distinct().toList();
        return used.size() == 1 ? used.getFirst() : RecordLayout.SEED;
    }

    // ---- paths, permissions and numbers --------------------------------------------------------

    private static String region(String id) {
        return REGIONS + "/" + id;
    }

    private static String field(String id, String field) {
        return region(id) + "/" + field;
    }

    private static String entry(RecordLayout layout, String id, int domid) {
        return region(id) + "/" + layout.borrowersNode() + "/" + domid;
    }

    private String domainRegions(int domid) {
        return store.domainPath(domid) + "/static_shm";
    }

    private String roleDirectory(int domid, String id) {
        return domainRegions(domid) + "/" + id;
    }

    private static String required(StoreTransaction tx, String id, String field) {
        return tx.read(field(id, field))
                .orElseThrow(() -> new RecordFormatException("region " + id + " has no " + field));
    }

    private static String required(StoreTransaction tx, String path, String where, String field) {
        return tx.read(path + "/" + field).orElseThrow(() -> new RecordFormatException(where + " has no " + field));
    }

    /** A region any domain but dom0 could have written is not trusted. */
    private static void refuseGuestWritable(StoreTransaction tx, String path, String what) {
        List<XsPermission> permissions = tx.permissions(path);
        guestWritable(permissions).ifPresent(domid -> {
            throw new RecordFormatException(what + " could have been written by domain " + domid
                    + " (permissions " + permissions + "), so it is not trusted");
        });
    }

    /**
     * A domain other than dom0 that may write a node with these permissions: its owner, or one
     * given write access, or any domain when the default access writes (reported as the first
     * guest entry, or 1 when no domain is named).
     */
    static Optional<Integer> guestWritable(List<XsPermission> permissions) {
        if (permissions.isEmpty()) {
            return Optional.empty();
        }
        XsPermission owner = permissions.getFirst();
        if (owner.domid() != 0) {
            return Optional.of(owner.domid());
        }
        if (writes(owner.access())) {
            return Optional.of(permissions.stream().skip(1).map(XsPermission::domid).findFirst().orElse(1));
        }
        return permissions.stream().skip(1).filter(p -> p.domid() != 0 && writes(p.access()))
                .map(XsPermission::domid).findFirst();
    }

    private static boolean writes(XsPermission.Access access) {
        return access == XsPermission.Access.WRITE || access == XsPermission.Access.BOTH;
    }

    private static Optional<UUID> handle(StoreTransaction tx, String path) {
        Optional<String> text = tx.read(path);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(UUID.fromString(text.get().strip()));
        } catch (IllegalArgumentException e) {
            throw new RecordFormatException(path + " is not a UUID: '" + text.get() + "'");
        }
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** The owner's domid as written: 0x-hex, which the C readers' strtoull(..., 16) and ours read alike. */
    static String domidText(int domid) {
        return "0x" + Integer.toHexString(domid);
    }

    /** The end of a range from its extent node: an end as such, or a size after {@code begin}. */
    private static long extentEnd(String what, long begin, String text, RecordLayout layout) {
        long extent = parseHex(what, text);
        if (!layout.bySize()) {
            return extent;
        }
        try {
            return Math.addExact(begin, extent);
        } catch (ArithmeticException e) {
            throw new RecordFormatException(what + " runs past the end of the address space: '" + text + "'");
        }
    }

    /** Like strtoull(text, NULL, 16), which both C toolstacks read addresses with, but whole-string. */
    static long parseHex(String what, String text) {
        String digits = text.strip();
        if (digits.toLowerCase(Locale.ROOT).startsWith("0x")) {
            digits = digits.substring(2);
        }
        try {
            return Long.parseUnsignedLong(digits, 16);
        } catch (NumberFormatException e) {
            throw new RecordFormatException(what + " is not a hex number: '" + text + "'");
        }
    }

    /** An owner's domid: 0x-hex as we write it, or the plain decimal the C toolstacks write. */
    static int parseDomid(String what, String text) {
        String digits = text.strip();
        int domid;
        if (digits.toLowerCase(Locale.ROOT).startsWith("0x")) {
            long value = parseHex(what, digits);
            domid = value > MAX_DOMID ? MAX_DOMID + 1 : (int) value;
        } else {
            domid = parseDecimal(what, digits);
        }
        if (domid > MAX_DOMID) {
            throw new RecordFormatException(what + " is not a guest domid: '" + text + "'");
        }
        return domid;
    }

    /** A domid in a path (a borrower entry's name): always decimal, as every writer puts it. */
    private static int parseDecimalDomid(String what, String text) {
        int domid = parseDecimal(what, text);
        if (domid > MAX_DOMID) {
            throw new RecordFormatException(what + " is not a guest domid: '" + text + "'");
        }
        return domid;
    }

    static int parseDecimal(String what, String text) {
        String digits = text.strip();
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new RecordFormatException(what + " is not a decimal number: '" + text + "'");
        }
        return Integer.parseInt(digits);
    }

    static void checkRange(String what, long begin, long end) {
        if (begin < 0 || end <= begin || begin % SshmSpec.PAGE_SIZE != 0 || end % SshmSpec.PAGE_SIZE != 0) {
            throw new RecordFormatException(what + " [" + hex(begin) + ", " + hex(end) + ") is not a page-aligned range");
        }
    }
}
