package org.xensshm.e2e.dom0;

/**
 * The regions the scenarios share: an owner offers pages of its own RAM, a borrower maps them at
 * {@link Lab#WINDOW_BASE}, a hole in its address space. Sizes and offsets in pages.
 */
final class Regions {

    /** The owner's region starts 8 MiB into its RAM: above the guest image, inside 16 MiB of RAM. */
    static final long OWNER_BASE = Lab.RAM_BASE + 0x80_0000L;

    private Regions() {
    }

    static long gfn(long address) {
        return address / Lab.PAGE;
    }

    static String owner(String id, long base, long pages) {
        return "id=" + id + ", begin=0x" + Long.toHexString(base) + ", size=0x" + Long.toHexString(pages * Lab.PAGE)
                + ", role=owner";
    }

    static String owner(String id, long pages) {
        return owner(id, OWNER_BASE, pages);
    }

    static String borrower(String id, long offsetPages, long pages) {
        return "id=" + id + ", begin=0x" + Long.toHexString(Lab.WINDOW_BASE) + ", size=0x"
                + Long.toHexString(pages * Lab.PAGE) + (offsetPages == 0 ? "" : ", offset=0x"
                + Long.toHexString(offsetPages * Lab.PAGE)) + ", role=borrower";
    }

    /** The address of page {@code page} of a borrower's window. */
    static long window(long page) {
        return Lab.WINDOW_BASE + page * Lab.PAGE;
    }
}
