package org.xensshm.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Xen's guest-physical address map of an Arm guest (xen/include/public/arch-arm.h, Xen 4.17): the
 * areas Xen itself places in every guest (interrupt controller, grant table, ...) and the two RAM
 * banks a guest's memory fills, low bank first. Xen on Arm silently replaces whatever is mapped at
 * a gfn it is asked to map over, so a borrower's window must avoid all of them, and a region Xen
 * places at boot must not land in RAM the domain already has.
 */
public final class ArmGuestLayout {

    /** GUEST_RAM0: 3 GiB of low RAM at 1 GiB. */
    public static final long RAM0_BASE = 0x4000_0000L;
    /** GUEST_RAM0's size. */
    public static final long RAM0_SIZE = 0xC000_0000L;
    /** GUEST_RAM1: 1016 GiB of RAM at 8 GiB, used once RAM0 is full. */
    public static final long RAM1_BASE = 0x2_0000_0000L;
    /** GUEST_RAM1's size. */
    public static final long RAM1_SIZE = 0xFE_0000_0000L;

    /**
     * A named range of guest-physical addresses, {@code [base, base + size)}.
     *
     * @param name what Xen places there
     * @param base the first address
     * @param size its size in bytes
     */
    public record Area(String name, long base, long size) {

        /** Checks that the area is not empty and does not overflow. */
        public Area {
            Objects.requireNonNull(name, "name");
            if (base < 0 || size <= 0 || base > Long.MAX_VALUE - size) {
                throw new IllegalArgumentException("bad area " + name + ": " + base + "+" + size);
            }
        }

        /**
         * The first address past the area.
         *
         * @return {@code base + size}
         */
        public long end() {
            return base + size;
        }

        /**
         * Whether {@code [begin, end)} shares an address with the area.
         *
         * @param begin the first address
         * @param end the first address past the range
         * @return true when they overlap
         */
        public boolean overlaps(long begin, long end) {
            return begin < end() && base < end;
        }

        @Override
        public String toString() {
            return name + " [0x" + Long.toHexString(base) + ", 0x" + Long.toHexString(end()) + ")";
        }
    }

    /** What Xen places in every Arm guest, outside RAM. */
    public static final List<Area> FIXED = List.of(
            new Area("virtio-mmio", 0x0200_0000L, 0x0010_0000L),
            new Area("GIC distributor (and GICv2 CPU interface)", 0x0300_1000L, 0x0001_0000L),
            new Area("GICv3 redistributors", 0x0302_0000L, 0x0100_0000L),
            new Area("vPCI ECAM", 0x1000_0000L, 0x1000_0000L),
            new Area("ACPI tables", 0x2000_0000L, 0x0200_0000L),
            new Area("vPL011 UART", 0x2200_0000L, 0x0000_1000L),
            new Area("vPCI memory", 0x2300_0000L, 0x1000_0000L),
            new Area("grant table", 0x3800_0000L, 0x0100_0000L),
            new Area("magic pages (xenstore, console, ...)", 0x3900_0000L, 0x0100_0000L),
            new Area("vPCI prefetchable memory", 0x1_0000_0000L, 0x1_0000_0000L));

    private ArmGuestLayout() {
    }

    /**
     * The RAM a guest with {@code memoryBytes} of memory gets: RAM0 from its base, then RAM1.
     *
     * @param memoryBytes the guest's memory, positive
     * @return bank 0, and bank 1 when the memory does not fit in bank 0
     */
    public static List<Area> ram(long memoryBytes) {
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("memory must be positive: " + memoryBytes);
        }
        List<Area> banks = new ArrayList<>();
        banks.add(new Area("RAM (bank 0)", RAM0_BASE, Math.min(memoryBytes, RAM0_SIZE)));
        if (memoryBytes > RAM0_SIZE) {
            banks.add(new Area("RAM (bank 1)", RAM1_BASE, Math.min(memoryBytes - RAM0_SIZE, RAM1_SIZE)));
        }
        return List.copyOf(banks);
    }

    /**
     * The fixed areas {@code [begin, end)} overlaps.
     *
     * @param begin the first address
     * @param end the first address past the range
     * @return the areas, in {@link #FIXED}'s order
     */
    public static List<Area> fixedAreasIn(long begin, long end) {
        return FIXED.stream().filter(area -> area.overlaps(begin, end)).toList();
    }

    /**
     * What {@code [begin, end)} overlaps in a guest: Xen's fixed areas, and its RAM when its size
     * is known.
     *
     * @param begin the first address
     * @param end the first address past the range
     * @param memoryBytes the guest's memory, when known
     * @return the fixed areas hit, then the RAM banks hit
     */
    public static List<Area> conflicts(long begin, long end, OptionalLong memoryBytes) {
        List<Area> hit = new ArrayList<>(fixedAreasIn(begin, end));
        if (memoryBytes.isPresent()) {
            ram(memoryBytes.getAsLong()).stream().filter(bank -> bank.overlaps(begin, end)).forEach(hit::add);
        }
        return List.copyOf(hit);
    }
}
