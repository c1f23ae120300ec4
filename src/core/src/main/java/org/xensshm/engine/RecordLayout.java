package org.xensshm.engine;

import java.util.Locale;
import java.util.Optional;

/**
 * How a region is laid out in xenstore. Two C toolstacks write these records: libxl with the
 * seed patch, and the vendor tree that ships the static shm series. Both keep a region under
 * {@code /libxl/static_shm/<id>} (dom0 only) and a role entry under
 * {@code /local/domain/<domid>/static_shm/<id>/role}; they differ in their words and in how a
 * range ends:
 *
 * <pre>
 *                      SEED                          OWNER_BORROWER
 * owner's domid        master                        owner
 * owner's range        begin, end (exclusive)        begin, size
 * borrower entries     slaves/&lt;domid&gt;/begin,end,    borrowers/&lt;domid&gt;/begin,size,
 *                        offset,prot                   offset,prot
 * role entry values    master | slave                owner | borrower
 * </pre>
 *
 * Both also have {@code prot}, {@code cache_policy} and {@code usercnt}. The engine reads either,
 * writes a new region in the layout its settings choose, and writes a borrower's entry in the
 * layout of the region it joins.
 */
public enum RecordLayout {
    /** The seed patch's words (libxl, v4): master and slaves, ranges by their end. */
    SEED("seed", "master", "slaves", "end", "master", "slave"),
    /** The shipped series' words (vendor tree, libxl_sshm.c): owner and borrowers, ranges by their size. */
    OWNER_BORROWER("owner-borrower", "owner", "borrowers", "size", "owner", "borrower");

    private final String label;
    private final String ownerNode;
    private final String borrowersNode;
    private final String extentNode;
    private final String ownerRole;
    private final String borrowerRole;

    RecordLayout(String label, String ownerNode, String borrowersNode, String extentNode, String ownerRole,
                 String borrowerRole) {
        this.label = label;
        this.ownerNode = ownerNode;
        this.borrowersNode = borrowersNode;
        this.extentNode = extentNode;
        this.ownerRole = ownerRole;
        this.borrowerRole = borrowerRole;
    }

    /**
     * The name on the command line.
     *
     * @return {@code seed} or {@code owner-borrower}
     */
    public String label() {
        return label;
    }

    /**
     * The layout a command-line name stands for.
     *
     * @param label {@code seed} or {@code owner-borrower}, in any case
     * @return the layout, or empty for another name
     */
    public static Optional<RecordLayout> ofLabel(String label) {
        for (RecordLayout layout : values()) {
            if (layout.label.equals(label.toLowerCase(Locale.ROOT))) {
                return Optional.of(layout);
            }
        }
        return Optional.empty();
    }

    /** The region node that names the owner's domid. */
    String ownerNode() {
        return ownerNode;
    }

    /** The directory of the borrower entries. */
    String borrowersNode() {
        return borrowersNode;
    }

    /** Whether a range is given by its size; else by its exclusive end. */
    boolean bySize() {
        return this == OWNER_BORROWER;
    }

    String extentNode() {
        return extentNode;
    }

    String ownerRole() {
        return ownerRole;
    }

    String borrowerRole() {
        return borrowerRole;
    }
}
