package org.xensshm.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

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
 * their layout. It is the seed's, so that a C toolstack carrying the seed patch reads what we
 * write, plus {@code state} and {@code worker} nodes that C code ignores:
 *
 * <pre>
 * /libxl/static_shm/&lt;id&gt;/master        owner domid, decimal          (perms n0: dom0 only)
 *                        /begin /end    owner's range, 0x-hex bytes
 *                        /prot          rw
 *                        /cache_policy  ARM_normal | x86_normal
 *                        /usercnt       owner (unless orphaned) + borrowers, decimal
 *                        /state         absent | attaching | orphaned
 *                        /worker        token of the operation with work in progress
 *                        /slaves/&lt;domid&gt;/begin /end /offset   0x-hex bytes
 *                                       /prot
 *                                       /mapping  gmfn_share | gmfn_foreign | gmfn_foreign+target
 *                                       /state  absent (mapped) | mapping | unmapping
 *                                       /worker
 * /local/domain/&lt;domid&gt;/static_shm/&lt;id&gt;/role   master | slave
 * </pre>
 *
 * The seed calls the owner {@code master} and a borrower {@code slave}; those words appear here
 * only as the strings written. {@code mapping} (how the pages were mapped) is ours too. The last record to go takes {@code /libxl/static_shm} with it, and
 * {@code /libxl} if nothing else is in it; likewise a domain's {@code static_shm} directory goes
 * with its last role entry. Numbers are written and read in one base each: domids and counts
 * decimal, addresses 0x-hex (the seed wrote the owner's domid in decimal and read it as hex).
 */
final class Records {

    /** Guest domids are below DOMID_FIRST_RESERVED (0x7FF0). */
    static final int MAX_DOMID = 0x7FEF;

    private static final String LIBXL = "/libxl";
    private static final String REGIONS = LIBXL + "/static_shm";
    private static final String OWNER = "master";
    private static final String BORROWERS = "slaves";
    private static final String BEGIN = "begin";
    private static final String END = "end";
    private static final String OFFSET = "offset";
    private static final String PROT = "prot";
    private static final String CACHE_POLICY = "cache_policy";
    private static final String USERCNT = "usercnt";
    private static final String STATE = "state";
    private static final String WORKER = "worker";
    private static final String MAPPING_KIND = "mapping";
    private static final String ROLE = "role";
    private static final String ROLE_OWNER = "master";
    private static final String ROLE_BORROWER = "slave";
    private static final String ATTACHING = "attaching";
    private static final String ORPHANED = "orphaned";
    private static final String MAPPING = "mapping";
    private static final String UNMAPPING = "unmapping";

    private static final List<XsPermission> DOM0_ONLY = List.of(new XsPermission(0, XsPermission.Access.NONE));

    private final Store store;

    Records(Store store) {
        this.store = store;
    }

    /** A region's record; its borrowers by domid only. */
    record Region(String id, int owner, long begin, long end, Prot prot, CachePolicy cachePolicy,
                  String userCount, RegionStatus.State state, String worker, List<Integer> borrowers) {

        long firstPage() {
            return begin >>> SshmSpec.PAGE_SHIFT;
        }

        long pages() {
            return (end - begin) >>> SshmSpec.PAGE_SHIFT;
        }

        RegionStatus toStatus(List<BorrowerStatus> entries) {
            int count = userCount.isEmpty() ? -1 : parseDecimal(id + "/usercnt", userCount);
            return new RegionStatus(id, owner, begin, end, prot, cachePolicy, count, state, entries);
        }
    }

    /** A borrower's entry in a region's record. */
    record Borrower(String id, int domid, long begin, long end, long offset, Prot prot, MappingKind mapping,
                    BorrowerStatus.State state, String worker) {

        long firstGfn() {
            return begin >>> SshmSpec.PAGE_SHIFT;
        }

        long pages() {
            return (end - begin) >>> SshmSpec.PAGE_SHIFT;
        }

        BorrowerStatus toStatus() {
            return new BorrowerStatus(domid, begin, end, offset, prot, mapping, state);
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
        int owner = parseDomid(id + "/" + OWNER, required(tx, id, OWNER));
        long begin = parseHex(id + "/" + BEGIN, required(tx, id, BEGIN));
        long end = parseHex(id + "/" + END, required(tx, id, END));
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
        List<Integer> borrowers = tx.list(borrowers(id)).stream()
                .map(name -> parseDomid(id + "/" + BORROWERS + "/" + name, name))
                .sorted()
                .toList();
        return Optional.of(new Region(id, owner, begin, end, prot, policy, tx.read(field(id, USERCNT)).orElse(""),
                state, tx.read(field(id, WORKER)).orElse(null), borrowers));
    }

    /** A borrower's entry, or empty when the region does not list the domain. */
    Optional<Borrower> borrower(StoreTransaction tx, String id, int domid) {
        if (tx.read(borrower(id, domid)).isEmpty()) {
            return Optional.empty();
        }
        String where = id + "/" + BORROWERS + "/" + domid;
        long begin = parseHex(where + "/" + BEGIN, required(tx, id, domid, BEGIN));
        long end = parseHex(where + "/" + END, required(tx, id, domid, END));
        checkRange("borrower " + where, begin, end);
        long offset = parseHex(where + "/" + OFFSET, required(tx, id, domid, OFFSET));
        String protText = required(tx, id, domid, PROT);
        Prot prot = Prot.parse(protText)
                .orElseThrow(() -> new RecordFormatException(where + "/prot is unknown: '" + protText + "'"));
        BorrowerStatus.State state = switch (tx.read(borrowerField(id, domid, STATE)).orElse("")) {
            case "" -> BorrowerStatus.State.MAPPED;
            case MAPPING -> BorrowerStatus.State.MAPPING;
            case UNMAPPING -> BorrowerStatus.State.UNMAPPING;
            default -> throw new RecordFormatException(where + "/state is unknown");
        };
        String kindText = tx.read(borrowerField(id, domid, MAPPING_KIND)).orElse("");
        MappingKind mapping = MappingKind.parse(kindText)
                .orElseThrow(() -> new RecordFormatException(where + "/mapping is unknown: '" + kindText + "'"));
        return Optional.of(new Borrower(id, domid, begin, end, offset, prot, mapping, state,
                tx.read(borrowerField(id, domid, WORKER)).orElse(null)));
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
     * Whether the region concerns the domain, reading only the two nodes that tell, so that a
     * transaction scanning every region does not conflict with changes to unrelated ones.
     */
    boolean owns(StoreTransaction tx, String id, int domid) {
        return tx.read(field(id, OWNER)).filter(Integer.toString(domid)::equals).isPresent();
    }

    boolean lends(StoreTransaction tx, String id, int domid) {
        return tx.read(borrower(id, domid)).isPresent();
    }

    /** The owners whose pages {@code domid} maps as their trusted device model, by region. */
    Map<String, Integer> trustedOwners(StoreTransaction tx, int domid) {
        Map<String, Integer> owners = new TreeMap<>();
        for (String id : ids(tx)) {
            if (lends(tx, id, domid) && tx.read(borrowerField(id, domid, MAPPING_KIND))
                    .filter(MappingKind.FOREIGN_TRUSTED.recorded()::equals).isPresent()) {
                owners.put(id, parseDomid(id + "/" + OWNER, required(tx, id, OWNER)));
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

    /** The role the domain has recorded for the id (in the seed's words), or empty if it has none. */
    Optional<String> roleEntry(StoreTransaction tx, int domid, String id) {
        String dir = roleDirectory(domid, id);
        return tx.read(dir).isEmpty() ? Optional.empty() : Optional.of(tx.read(dir + "/" + ROLE).orElse(""));
    }

    /** Whether {@code worker} still holds the owner's record, or a borrower's entry when given. */
    boolean heldBy(StoreTransaction tx, String id, int borrowerOrOwner, Role role, Worker worker) {
        String base = role == Role.OWNER ? region(id) : borrower(id, borrowerOrOwner);
        return worker.wrote(tx.read(base + "/" + WORKER));
    }

    // ---- writing --------------------------------------------------------------------------------

    /** Records a new region, owned by {@code domid}, marked attaching by {@code worker}. */
    void createRegion(StoreTransaction tx, int domid, SshmSpec spec, Worker worker) {
        String id = spec.id();
        tx.mkdir(region(id));
        tx.setPermissions(region(id), DOM0_ONLY);
        tx.write(field(id, OWNER), Integer.toString(domid));
        tx.write(field(id, BEGIN), hex(spec.begin()));
        tx.write(field(id, END), hex(spec.end()));
        tx.write(field(id, PROT), spec.prot().toString());
        tx.write(field(id, CACHE_POLICY), spec.cachePolicy().configName());
        tx.write(field(id, USERCNT), "1");
        tx.write(field(id, STATE), ATTACHING);
        tx.write(field(id, WORKER), worker.token());
        tx.write(roleDirectory(domid, id) + "/" + ROLE, ROLE_OWNER);
    }

    /** Adds {@code domid} as a borrower of the region, marked mapping by {@code worker}. */
    void addBorrower(StoreTransaction tx, int domid, SshmSpec spec, MappingKind mapping, Worker worker) {
        String id = spec.id();
        tx.write(borrowerField(id, domid, BEGIN), hex(spec.begin()));
        tx.write(borrowerField(id, domid, END), hex(spec.end()));
        tx.write(borrowerField(id, domid, OFFSET), hex(spec.offset()));
        tx.write(borrowerField(id, domid, PROT), spec.prot().toString());
        tx.write(borrowerField(id, domid, MAPPING_KIND), mapping.recorded());
        tx.write(borrowerField(id, domid, STATE), MAPPING);
        tx.write(borrowerField(id, domid, WORKER), worker.token());
        tx.write(roleDirectory(domid, id) + "/" + ROLE, ROLE_BORROWER);
        tx.write(field(id, USERCNT), Integer.toString(1 + tx.list(borrowers(id)).size()));
    }

    /** Clears the in-progress mark of an owner's record or a borrower's entry. */
    void clearMark(StoreTransaction tx, String id, int domid, Role role) {
        String base = role == Role.OWNER ? region(id) : borrower(id, domid);
        tx.remove(base + "/" + STATE);
        tx.remove(base + "/" + WORKER);
    }

    /** Marks a borrower's entry as being unmapped by {@code worker}. */
    void markUnmapping(StoreTransaction tx, String id, int domid, Worker worker) {
        tx.write(borrowerField(id, domid, STATE), UNMAPPING);
        tx.write(borrowerField(id, domid, WORKER), worker.token());
    }

    /** Marks a borrower's entry as being unmapped, keeping whoever holds it. */
    void markUnmapping(StoreTransaction tx, String id, int domid) {
        tx.write(borrowerField(id, domid, STATE), UNMAPPING);
    }

    /** The owner leaves: its record goes if nobody borrows, else stays orphaned. */
    DetachReport.Outcome releaseOwner(StoreTransaction tx, String id, int owner) {
        removeRole(tx, id, owner);
        if (tx.list(borrowers(id)).isEmpty()) {
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
        tx.remove(borrower(id, domid));
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

    /** The region's users as its record stands: the owner unless orphaned, and the borrowers. */
    private int users(StoreTransaction tx, String id) {
        boolean ownerPresent = tx.read(field(id, STATE)).filter(ORPHANED::equals).isEmpty();
        return (ownerPresent ? 1 : 0) + tx.list(borrowers(id)).size();
    }

    /** Rewrites usercnt from who is left, and removes the record when nobody is. */
    private void settle(StoreTransaction tx, String id) {
        int users = users(tx, id);
        if (users == 0) {
            removeRegion(tx, id);
            return;
        }
        if (tx.list(borrowers(id)).isEmpty()) {
            tx.remove(borrowers(id));
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

    private void removeRole(StoreTransaction tx, String id, int domid) {
        String dir = domainRegions(domid);
        tx.remove(dir + "/" + id);
        if (tx.list(dir).isEmpty()) {
            tx.remove(dir);
        }
    }

    // ---- paths and numbers ----------------------------------------------------------------------

    private static String region(String id) {
        return REGIONS + "/" + id;
    }

    private static String field(String id, String field) {
        return region(id) + "/" + field;
    }

    private static String borrowers(String id) {
        return region(id) + "/" + BORROWERS;
    }

    private static String borrower(String id, int domid) {
        return borrowers(id) + "/" + domid;
    }

    private static String borrowerField(String id, int domid, String field) {
        return borrower(id, domid) + "/" + field;
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

    private static String required(StoreTransaction tx, String id, int domid, String field) {
        return tx.read(borrowerField(id, domid, field))
                .orElseThrow(() -> new RecordFormatException("borrower " + domid + " of " + id + " has no " + field));
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** Like strtoull(text, NULL, 16), which the seed reads addresses with, but whole-string. */
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

    static int parseDomid(String what, String text) {
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
