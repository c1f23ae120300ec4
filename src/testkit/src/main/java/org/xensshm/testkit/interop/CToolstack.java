package org.xensshm.testkit.interop;

import java.util.List;
import java.util.function.Function;

import org.xensshm.host.Hypervisor;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XenCallException;
import org.xensshm.host.XsPermission;

/**
 * What the two C toolstacks that carry static shm do, step by step, retold over the seams: libxl
 * with the seed patch (v4) and the vendor tree's libxl_sshm.c; for testing a control plane that
 * shares a host with them. Both write and read alike; they
 * differ in their words. Their quirks are kept on purpose, since a host shares its records with
 * them as they are: the owner's domid is written in decimal and read back as hex; numbers are read
 * with strtoull(..., 16) and atoi, never checked; a borrower is recorded and counted before its
 * pages are mapped, and a teardown unmaps page by page and counts down in one transaction.
 */
public final class CToolstack {

    /** The words each one writes. */
    public enum Words {
        /** libxl with the seed patch: master and slaves, ranges by their end. */
        SEED("master", "slaves", "end", "master", "slave"),
        /** The vendor tree's libxl_sshm.c: owner and borrowers, ranges by their size. */
        VENDOR("owner", "borrowers", "size", "owner", "borrower");

        final String owner;
        final String borrowers;
        final String extent;
        final String ownerRole;
        final String borrowerRole;

        Words(String owner, String borrowers, String extent, String ownerRole, String borrowerRole) {
            this.owner = owner;
            this.borrowers = borrowers;
            this.extent = extent;
            this.ownerRole = ownerRole;
            this.borrowerRole = borrowerRole;
        }

        /** The value of the extent node for a range: its end for the seed, its size for the vendor. */
        long extent(long begin, long size) {
            return this == SEED ? begin + size : size;
        }

        long size(long begin, long extent) {
            return this == SEED ? extent - begin : extent;
        }
    }

    /**
     * A region as the C code reads it back.
     *
     * @param owner     the owner's domid, read with strtoull(..., 16)
     * @param begin     the owner's guest-physical start
     * @param size      the region's size in bytes
     * @param prot      the access the owner grants
     * @param userCount {@code usercnt}, read with atoi
     */
    public record Region(int owner, long begin, long size, String prot, int userCount) {
    }

    private static final long PAGE = 4096;

    private final Words words;
    private final Store store;
    private final Hypervisor hypervisor;

    /**
     * One of the two toolstacks on a host.
     *
     * @param words      which one
     * @param store      the host's xenstore
     * @param hypervisor the host's hypervisor, for a borrower's mapping and a teardown's unmapping
     */
    public CToolstack(Words words, Store store, Hypervisor hypervisor) {
        this.words = words;
        this.store = store;
        this.hypervisor = hypervisor;
    }

    /**
     * The owner's part of a domain build: one record, dom0 only, and the domain's role.
     *
     * @param domid the owner
     * @param id    the region
     * @param begin the owner's guest-physical start
     * @param size  the region's size in bytes
     * @throws IllegalStateException where the C code fails: the region has an owner, or the domain uses the id
     */
    public void addOwner(int domid, String id, long begin, long size) {
        inTransaction(tx -> {
            if (tx.read(region(id)).isPresent()) {
                throw new IllegalStateException("can only have one owner");
            }
            if (tx.read(role(domid, id)).isPresent()) {
                throw new IllegalStateException("domain tried to map the same ID twice");
            }
            tx.write(role(domid, id), words.ownerRole);
            tx.mkdir(region(id));
            tx.setPermissions(region(id), List.of(new XsPermission(0, XsPermission.Access.NONE)));
            tx.write(region(id) + "/" + words.owner, Integer.toString(domid));
            tx.write(region(id) + "/begin", hex(begin));
            tx.write(region(id) + "/" + words.extent, hex(words.extent(begin, size)));
            tx.write(region(id) + "/prot", "rw");
            tx.write(region(id) + "/cache_policy", "ARM_normal");
            tx.write(region(id) + "/usercnt", "1");
            return null;
        });
    }

    /**
     * A borrower's part: recorded and counted in one transaction, then mapped with gmfn_share from
     * the owner the record names; pages mapped before a failure are unmapped again.
     *
     * @param domid  the borrower
     * @param id     the region
     * @param begin  the borrower's guest-physical start
     * @param size   its window's size in bytes
     * @param offset where in the owner's region the window starts
     * @throws IllegalStateException where the C code fails: no owner, the id in use, a window past the
     *                               region, a page that does not map (with the record left counted)
     */
    public void addBorrower(int domid, String id, long begin, long size, long offset) {
        Region owner = inTransaction(tx -> {
            if (tx.read(region(id)).isEmpty()) {
                throw new IllegalStateException("no owner found");
            }
            if (tx.read(roleDirectory(domid, id)).isPresent()) {
                throw new IllegalStateException("domain tried to map the same ID twice");
            }
            Region read = read(tx, id);
            tx.write(role(domid, id), words.borrowerRole);
            String entry = region(id) + "/" + words.borrowers + "/" + domid;
            tx.write(entry + "/begin", hex(begin));
            tx.write(entry + "/" + words.extent, hex(words.extent(begin, size)));
            tx.write(entry + "/offset", hex(offset));
            tx.write(entry + "/prot", "rw");
            tx.write(region(id) + "/usercnt", Integer.toString(read.userCount() + 1));
            return read;
        });
        int pages = (int) (size / PAGE);
        if (offset / PAGE >= owner.size() / PAGE || owner.size() / PAGE - offset / PAGE < pages) {
            throw new IllegalStateException("exceeds owner's address space");
        }
        try (PageBatch batch = PageBatch.allocate(pages)) {
            batch.fillRange(owner.begin() / PAGE + offset / PAGE, begin / PAGE, pages);
            hypervisor.addToPhysmapBatch(domid, owner.owner(), MapSpace.GMFN_SHARE, batch);
            for (int i = 0; i < pages; i++) {
                if (batch.error(i) != 0) {
                    for (int j = 0; j < pages; j++) {
                        if (batch.error(j) == 0) {
                            hypervisor.removeFromPhysmap(domid, batch.targetPage(j));
                        }
                    }
                    throw new IllegalStateException("failed to map some pages");
                }
            }
        }
    }

    /**
     * The teardown at domain destroy (the vendor's; the seed had it in a follow-up): for each of
     * the domain's role entries, a borrower's pages unmapped one by one and its entry removed, then
     * the region counted down and removed at zero (with each parent it leaves empty, as libxl's
     * path clean-up does).
     *
     * @param domid the domain being destroyed
     */
    public void removeDomain(int domid) {
        inTransaction(tx -> {
            String dir = "/local/domain/" + domid + "/static_shm";
            for (String id : tx.read(dir).isPresent() ? tx.list(dir) : List.<String>of()) {
                String role = tx.read(role(domid, id)).orElseThrow();
                if (role.equals(words.borrowerRole)) {
                    String entry = region(id) + "/" + words.borrowers + "/" + domid;
                    long begin = strtoull16(tx.read(entry + "/begin").orElseThrow());
                    long size = words.size(begin, strtoull16(tx.read(entry + "/" + words.extent).orElseThrow()));
                    for (long gfn = begin / PAGE; gfn < (begin + size) / PAGE; gfn++) {
                        try {
                            hypervisor.removeFromPhysmap(domid, gfn);
                        } catch (XenCallException e) {
                            // logged and passed over, as the C code does
                        }
                    }
                    removeWithEmptyParents(tx, entry);
                }
                int count = Integer.parseInt(tx.read(region(id) + "/usercnt").orElseThrow()) - 1;
                if (count == 0) {
                    removeWithEmptyParents(tx, region(id));
                } else {
                    tx.write(region(id) + "/usercnt", Integer.toString(count));
                }
            }
            return null;
        });
    }

    /** What libxl's path clean-up does: the node goes, then each parent it leaves empty. */
    private static void removeWithEmptyParents(StoreTransaction tx, String path) {
        tx.remove(path);
        for (String parent = path.substring(0, path.lastIndexOf('/')); !parent.isEmpty() && tx.list(parent).isEmpty();
             parent = parent.substring(0, parent.lastIndexOf('/'))) {
            tx.remove(parent);
        }
    }

    /**
     * The region as a C borrower reads it.
     *
     * @param id the region
     * @return what the C code would take from the record
     */
    public Region read(String id) {
        return inTransaction(tx -> read(tx, id));
    }

    private Region read(StoreTransaction tx, String id) {
        long begin = strtoull16(tx.read(region(id) + "/begin").orElseThrow());
        return new Region(readDomid(tx.read(region(id) + "/" + words.owner).orElseThrow()), begin,
                words.size(begin, strtoull16(tx.read(region(id) + "/" + words.extent).orElseThrow())),
                tx.read(region(id) + "/prot").orElseThrow(),
                Integer.parseInt(tx.read(region(id) + "/usercnt").orElseThrow()));
    }

    /**
     * How both C toolstacks read an owner's domid: strtoull(text, NULL, 16).
     *
     * @param text the node's value
     * @return the domid they would use
     */
    public static int readDomid(String text) {
        return (int) strtoull16(text);
    }

    /**
     * strtoull(text, NULL, 16): an optional 0x, then hex digits up to the first other character.
     *
     * @param text what to read
     * @return the number, 0 when there is no digit
     */
    public static long strtoull16(String text) {
        String digits = text.strip();
        if (digits.regionMatches(true, 0, "0x", 0, 2) && digits.length() > 2 && Character.digit(digits.charAt(2), 16) >= 0) {
            digits = digits.substring(2);
        }
        long value = 0;
        for (char c : digits.toCharArray()) {
            int digit = Character.digit(c, 16);
            if (digit < 0) {
                break;
            }
            value = value * 16 + digit;
        }
        return value;
    }

    private <T> T inTransaction(Function<StoreTransaction, T> work) {
        return store.inTransaction(8, work);
    }

    private static String region(String id) {
        return "/libxl/static_shm/" + id;
    }

    private static String roleDirectory(int domid, String id) {
        return "/local/domain/" + domid + "/static_shm/" + id;
    }

    private static String role(int domid, String id) {
        return roleDirectory(domid, id) + "/role";
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }
}
