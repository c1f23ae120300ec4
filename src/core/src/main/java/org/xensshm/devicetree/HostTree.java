package org.xensshm.devicetree;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import org.xensshm.devicetree.DtsReader.Node;

/**
 * A host device tree as Xen reads it at boot on a dom0less host, from its source (.dts): the
 * domain nodes under {@code /chosen} with the cells Xen reads their children with and their RAM,
 * the host's RAM, the host memory already spoken for, and any static shared memory nodes it
 * already has. The text is kept as given, so that nodes can be added to it without touching the
 * rest.
 *
 * <p>Cell counts are found as Xen finds them: the nearest of the node and its ancestors that sets
 * them, else 2 for addresses and 1 for sizes (Xen's defaults for the root).
 */
public final class HostTree {

    /** Xen's defaults when no ancestor sets the cell counts. */
    private static final int ROOT_ADDRESS_CELLS = 2;
    private static final int ROOT_SIZE_CELLS = 1;

    /**
     * A {@code compatible = "xen,domain"} node under {@code /chosen}: one dom0less domain.
     *
     * @param name         the node's name
     * @param addressCells the {@code #address-cells} Xen reads its children with (any value)
     * @param sizeCells    the {@code #size-cells} likewise
     * @param memoryBytes  its {@code memory} property (kilobytes in the tree), in bytes
     * @param directMapped whether it has {@code direct-map}: guest addresses equal host addresses
     * @param children     the names of its child nodes
     */
    public record DomainNode(String name, int addressCells, int sizeCells, OptionalLong memoryBytes,
                             boolean directMapped, Set<String> children) {

        /** Checks that nothing is missing; keeps a copy of the children. */
        public DomainNode {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(memoryBytes, "memoryBytes");
            children = Set.copyOf(children);
        }

        /**
         * The name dtc and Xen compare: a unit address after {@code @} does not count.
         *
         * @return the name without its unit address
         */
        public String baseName() {
            int at = name.indexOf('@');
            return at < 0 ? name : name.substring(0, at);
        }

        /**
         * Where the node is.
         *
         * @return {@code /chosen/NAME}
         */
        public String path() {
            return "/chosen/" + name;
        }
    }

    /**
     * A range of host-physical memory.
     *
     * @param what names where the tree declares it, for messages
     * @param base its first byte
     * @param size its length in bytes
     */
    public record HostRange(String what, long base, long size) {

        /** Checks that it says where it comes from. */
        public HostRange {
            Objects.requireNonNull(what, "what");
        }

        /**
         * Whether another range shares a byte with this one.
         *
         * @param otherBase the other range's first byte
         * @param otherSize its length in bytes
         * @return true when they overlap
         */
        public boolean overlaps(long otherBase, long otherSize) {
            return size > 0 && otherSize > 0 && Long.compareUnsigned(otherBase, base + size - 1) <= 0
                    && Long.compareUnsigned(base, otherBase + otherSize - 1) <= 0;
        }

        /**
         * Whether another range lies wholly inside this one.
         *
         * @param otherBase the other range's first byte
         * @param otherSize its length in bytes
         * @return true when it does
         */
        public boolean contains(long otherBase, long otherSize) {
            return Long.compareUnsigned(otherBase, base) >= 0
                    && Long.compareUnsigned(otherBase + otherSize - 1, base + size - 1) <= 0;
        }

        @Override
        public String toString() {
            return what + " [0x" + Long.toHexString(base) + ", 0x" + Long.toHexString(base + size) + ")";
        }
    }

    /**
     * A {@code xen,domain-shared-memory-v1} node the tree already has.
     *
     * @param path        where it is
     * @param id          its {@code xen,shm-id}
     * @param hostAddress its host address, when its {@code xen,shared-mem} gives one
     * @param size        the region's size, when it can be read
     */
    public record ExistingShare(String path, String id, OptionalLong hostAddress, OptionalLong size) {
    }

    private final String text;
    private final String source;
    private final List<DomainNode> domains = new ArrayList<>();
    private final List<HostRange> ram = new ArrayList<>();
    private final List<HostRange> inUse = new ArrayList<>();
    private final List<ExistingShare> shares = new ArrayList<>();

    private HostTree(String text, String source, DtsReader.Tree tree) {
        this.text = text;
        this.source = source;
        Node root = tree.root();
        int rootAddress = cells(root, "#address-cells", ROOT_ADDRESS_CELLS);
        int rootSize = cells(root, "#size-cells", ROOT_SIZE_CELLS);
        tree.memReserves().forEach(reserve -> inUse.add(new HostRange("/memreserve/", reserve.address(),
                reserve.size())));
        root.children.values().stream().filter(HostTree::isMemory).forEach(memory ->
                ranges(memory, "reg", rootAddress, rootSize, "/" + memory.name, ram));
        root.child("reserved-memory").ifPresent(reserved -> {
            int address = cells(reserved, "#address-cells", rootAddress);
            int size = cells(reserved, "#size-cells", rootSize);
            reserved.children.values().forEach(child -> ranges(child, "reg", address, size,
                    "/reserved-memory/" + child.name, inUse));
        });
        root.child("chosen").ifPresent(chosen -> readChosen(chosen, rootAddress, rootSize));
    }

    /**
     * Reads a host tree's source.
     *
     * @param text   the tree's source
     * @param source names it in messages, e.g. its file name
     * @return the tree's domains, memory and shared memory
     * @throws HostTreeException ({@link HostTreeException.Reason#UNREADABLE}) naming the line at fault
     */
    public static HostTree parse(String text, String source) {
        return new HostTree(text, source, DtsReader.read(text, source));
    }

    /**
     * The source as given.
     *
     * @return the text
     */
    public String text() {
        return text;
    }

    /**
     * What the text was called, e.g. its file name.
     *
     * @return the name
     */
    public String source() {
        return source;
    }

    /**
     * The domain nodes, in the tree's order.
     *
     * @return the nodes under {@code /chosen} that describe domains
     */
    public List<DomainNode> domains() {
        return List.copyOf(domains);
    }

    /**
     * The domain node of that name, with or without its unit address.
     *
     * @param name the domain's name, as its config gives it
     * @return the node, or empty when the tree has none of that name
     */
    public Optional<DomainNode> domain(String name) {
        return domains.stream().filter(node -> node.name().equals(name)).findFirst()
                .or(() -> domains.stream().filter(node -> node.baseName().equals(name)).findFirst());
    }

    /**
     * The host's RAM: the {@code /memory} nodes' ranges.
     *
     * @return the ranges
     */
    public List<HostRange> ram() {
        return List.copyOf(ram);
    }

    /**
     * Host memory the tree already gives to something: {@code /memreserve/}, {@code /reserved-memory},
     * boot modules (kernels, ramdisks, ...), an initrd, domains' {@code xen,static-mem} and static
     * shared memory with a host address. The hypervisor and the tree itself are placed by the boot
     * loader and do not appear.
     *
     * @return the ranges
     */
    public List<HostRange> inUse() {
        return List.copyOf(inUse);
    }

    /**
     * The static shared memory nodes the tree already has, anywhere under {@code /chosen}.
     *
     * @return the nodes
     */
    public List<ExistingShare> shares() {
        return List.copyOf(shares);
    }

    private void readChosen(Node chosen, int rootAddress, int rootSize) {
        int address = cells(chosen, "#address-cells", rootAddress);
        int size = cells(chosen, "#size-cells", rootSize);
        OptionalLong initrdStart = address(chosen, "linux,initrd-start");
        OptionalLong initrdEnd = address(chosen, "linux,initrd-end");
        if (initrdStart.isPresent() && initrdEnd.isPresent() && initrdEnd.getAsLong() > initrdStart.getAsLong()) {
            inUse.add(new HostRange("/chosen linux,initrd", initrdStart.getAsLong(),
                    initrdEnd.getAsLong() - initrdStart.getAsLong()));
        }
        readModules(chosen, "/chosen", address, size);
        for (Node node : chosen.children.values()) {
            if (!node.strings("compatible").contains("xen,domain")) {
                continue;
            }
            String path = "/chosen/" + node.name;
            // Xen reads a domain node's own properties with the cells of /chosen.
            ranges(node, "xen,static-mem", address, size, path + " xen,static-mem", inUse);
            int domainAddress = cells(node, "#address-cells", address);
            int domainSize = cells(node, "#size-cells", size);
            OptionalLong kib = address(node, "memory");
            OptionalLong memory = kib.isPresent() ? OptionalLong.of(kib.getAsLong() * 1024) : OptionalLong.empty();
            domains.add(new DomainNode(node.name, domainAddress, domainSize, memory,
                    node.properties.containsKey("direct-map"), node.children.keySet()));
            readModules(node, path, domainAddress, domainSize);
        }
    }

    /** Boot modules and static shm nodes among a node's children. */
    private void readModules(Node parent, String path, int address, int size) {
        for (Node child : parent.children.values()) {
            List<String> compatible = child.strings("compatible");
            String childPath = path + "/" + child.name;
            if (compatible.contains("multiboot,module") || compatible.contains("xen,multiboot-module")) {
                ranges(child, "reg", address, size, childPath, inUse);
            } else if (compatible.contains(Dom0lessDeviceTree.COMPATIBLE)) {
                readShare(child, childPath, address, size);
            }
        }
    }

    private void readShare(Node node, String path, int address, int size) {
        String id = node.strings("xen,shm-id").stream().findFirst().orElse("");
        long[] cells = node.property("xen,shared-mem").flatMap(DtsReader.Value::cells).orElse(new long[0]);
        OptionalLong host = OptionalLong.empty();
        OptionalLong bytes = OptionalLong.empty();
        if (cells.length == 2 * address + size) {
            host = OptionalLong.of(join(cells, 0, address));
            bytes = OptionalLong.of(join(cells, 2 * address, size));
            inUse.add(new HostRange(path + " (static shared memory " + id + ")", host.getAsLong(), bytes.getAsLong()));
        } else if (cells.length == address + size) {
            bytes = OptionalLong.of(join(cells, address, size));
        }
        shares.add(new ExistingShare(path, id, host, bytes));
    }

    /** A number of one or two cells, whichever the property has (as Xen reads these). */
    private static OptionalLong address(Node node, String property) {
        return node.property(property).flatMap(DtsReader.Value::cells)
                .filter(cells -> cells.length == 1 || cells.length == 2)
                .map(cells -> OptionalLong.of(join(cells, 0, cells.length)))
                .orElse(OptionalLong.empty());
    }

    private static void ranges(Node node, String property, int address, int size, String what, List<HostRange> into) {
        long[] cells = node.property(property).flatMap(DtsReader.Value::cells).orElse(new long[0]);
        int step = address + size;
        if (address > 2 || size > 2 || step == 0) {
            return;
        }
        for (int at = 0; at + step <= cells.length; at += step) {
            long length = join(cells, at + address, size);
            if (length != 0) {
                into.add(new HostRange(what, join(cells, at, address), length));
            }
        }
    }

    private static boolean isMemory(Node node) {
        String base = node.name.contains("@") ? node.name.substring(0, node.name.indexOf('@')) : node.name;
        return base.equals("memory") && node.strings("device_type").contains("memory");
    }

    /** A cell count as Xen reads it: the node's own, else what its parent uses. */
    private int cells(Node node, String property, int inherited) {
        if (!node.properties.containsKey(property)) {
            return inherited;
        }
        OptionalLong value = node.number(property);
        if (value.isEmpty() || value.getAsLong() > 16) {
            throw new HostTreeException(HostTreeException.Reason.UNREADABLE, source + ": " + property + " of node "
                    + node.name + " is not a plain number of cells; give the tree as dtc prints it (dtc -I dts -O dts)");
        }
        return (int) value.getAsLong();
    }

    /** {@code count} cells from {@code at}, most significant first, as one number. */
    private static long join(long[] cells, int at, int count) {
        long value = 0;
        for (int i = at; i < at + count; i++) {
            value = (value << 32) | (cells[i] & 0xFFFF_FFFFL);
        }
        return value;
    }
}
