package org.xensshm.engine;

import java.util.Locale;

import org.xensshm.spec.SshmSpec;

/**
 * Where and how regions are recorded in xenstore: the seed's layout, so that a C toolstack with
 * the seed patch reads what we write, plus the {@code state} and {@code worker} nodes it ignores.
 *
 * <pre>
 * /libxl/static_shm/&lt;id&gt;/master        owner domid, decimal          (perms n0: dom0 only)
 *                        /begin /end    owner's range, 0x-hex bytes
 *                        /prot          rw
 *                        /cache_policy  ARM_normal | x86_normal
 *                        /usercnt       owner (unless orphaned) + borrowers, decimal
 *                        /state         absent | attaching | orphaned
 *                        /worker        token of the process with work in progress
 *                        /slaves/&lt;domid&gt;/begin /end /offset   0x-hex bytes
 *                                       /prot
 *                                       /state  absent (mapped) | mapping | unmapping
 *                                       /worker
 * /local/domain/&lt;domid&gt;/static_shm/&lt;id&gt;/role   master | slave
 * </pre>
 *
 * The last record to go takes {@code /libxl/static_shm} with it, and {@code /libxl} if nothing else
 * is in it (libxl's writes create it again). Likewise a domain's {@code static_shm} directory goes
 * with its last role entry.
 *
 * <p>Numbers are written and read in one base each: domids and counts decimal, addresses 0x-hex
 * (the seed writes the owner's domid in decimal but reads it back as hex).
 */
final class StoreLayout {

    static final String LIBXL = "/libxl";
    static final String REGIONS = LIBXL + "/static_shm";

    static final String MASTER = "master";
    static final String BEGIN = "begin";
    static final String END = "end";
    static final String OFFSET = "offset";
    static final String PROT = "prot";
    static final String CACHE_POLICY = "cache_policy";
    static final String USERCNT = "usercnt";
    static final String SLAVES = "slaves";
    static final String STATE = "state";
    static final String WORKER = "worker";
    static final String ROLE = "role";

    static final String ATTACHING = "attaching";
    static final String ORPHANED = "orphaned";
    static final String MAPPING = "mapping";
    static final String UNMAPPING = "unmapping";

    /** Guest domids are below DOMID_FIRST_RESERVED (0x7FF0). */
    static final int MAX_DOMID = 0x7FEF;

    private StoreLayout() {
    }

    static String region(String id) {
        return REGIONS + "/" + id;
    }

    static String regionField(String id, String field) {
        return region(id) + "/" + field;
    }

    static String slaves(String id) {
        return region(id) + "/" + SLAVES;
    }

    static String slave(String id, int domid) {
        return slaves(id) + "/" + domid;
    }

    static String slaveField(String id, int domid, String field) {
        return slave(id, domid) + "/" + field;
    }

    static String domainRegions(String domainPath) {
        return domainPath + "/static_shm";
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
