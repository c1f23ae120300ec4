package org.xensshm.devicetree;

/**
 * A node's {@code #address-cells} and {@code #size-cells}: how many 32-bit cells each address and
 * size in its children's properties takes. Xen reads a static shm node's {@code xen,shared-mem}
 * with the cells of the domain node above it.
 *
 * @param address {@code #address-cells}: 1 or 2
 * @param size    {@code #size-cells}: 1 or 2
 */
public record Cells(int address, int size) {

    /** Two and two, as in Xen's and QEMU's Arm trees and ImageBuilder's domain nodes. */
    public static final Cells DEFAULT = new Cells(2, 2);

    /**
     * Checks the counts.
     *
     * @throws IllegalArgumentException unless both are 1 or 2
     */
    public Cells {
        if (!valid(address) || !valid(size)) {
            throw new IllegalArgumentException("#address-cells and #size-cells must be 1 or 2, not " + address
                    + " and " + size);
        }
    }

    static boolean valid(long count) {
        return count == 1 || count == 2;
    }

    @Override
    public String toString() {
        return "#address-cells = <" + address + ">, #size-cells = <" + size + ">";
    }
}
