package org.xensshm.devicetree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

import org.xensshm.spec.ArmGuestLayout;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.Plan;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecKey;
import org.xensshm.spec.SpecProblem;
import org.xensshm.spec.SshmSpec;

/**
 * A plan's regions as upstream Xen (Arm) sets them up at boot on a dom0less host, checked against
 * what Xen accepts and against what the same config means at run time. Under each domain's node in
 * {@code /chosen} goes one {@code xen,domain-shared-memory-v1} node per region with its id, the
 * domain's role and {@code xen,shared-mem = <[host] guest size>}; with no host address Xen
 * allocates the region from its heap. Xen reads the host-address form from 4.17 on, the same nodes
 * in every release; the form without one from 4.19 on (4.17 and 4.18 stop at boot on it).
 *
 * <p>Refused, every problem at once ({@link InvalidSpecException}):
 * <ul>
 * <li>ids of more than 15 characters (Xen keeps 16 bytes with the NUL);</li>
 * <li>a borrower's window at an offset or shorter than the region: every node with one id must
 *     describe the same region, and Xen maps it whole;</li>
 * <li>more than 32 regions on the host, so more than 32 per domain (NR_SHMEM_BANKS, 4.19 on; 4.17
 *     keeps them among its 256 reserved-memory banks), and, for the regions Xen allocates, more than
 *     32 heap blocks (one per power of two in the page count);</li>
 * <li>guest ranges over Xen's fixed guest areas ({@link ArmGuestLayout#FIXED}) or over the domain's
 *     RAM (from the host tree's {@code memory}, else the config's), whatever the role: at boot Xen
 *     maps a separate region there after giving the guest its RAM, unlike run time, where an owner
 *     shares pages of its own RAM;</li>
 * <li>numbers that do not fit the domain node's cells.</li>
 * </ul>
 * Given the host tree, each config's domain must have its node there (matched by node name, a unit
 * address aside); its cells are the ones written for, and cells asked for otherwise are refused
 * ({@link HostTreeException}), as are host addresses outside the tree's RAM or over memory it
 * already uses.
 */
public final class Dom0lessExport {

    /** Xen's MAX_SHM_ID_LENGTH is 16 bytes, the terminating NUL included. */
    public static final int MAX_ID_CHARACTERS = 15;
    /** Xen's NR_SHMEM_BANKS: regions per host and per domain, and heap blocks for allocated regions. */
    public static final int MAX_BANKS = 32;

    /**
     * What to write for.
     *
     * @param hostBase where to place the regions in host memory, one after another in plan order;
     *                 empty to let Xen allocate them (Xen 4.19 and later; 4.17 and 4.18 need it)
     * @param cells    the domain nodes' cells; empty for the host tree's, or two and two without one
     * @param hostTree the tree the nodes go into, to check against and merge with
     */
    public record Options(OptionalLong hostBase, Optional<Cells> cells, Optional<HostTree> hostTree) {

        /** Checks that every option is given, empty or not. */
        public Options {
            Objects.requireNonNull(hostBase, "hostBase");
            Objects.requireNonNull(cells, "cells");
            Objects.requireNonNull(hostTree, "hostTree");
        }

        /**
         * Xen allocates, two cells each, no host tree.
         *
         * @return those options
         */
        public static Options xenAllocated() {
            return new Options(OptionalLong.empty(), Optional.empty(), Optional.empty());
        }
    }

    /**
     * One region as one domain's node describes it.
     *
     * @param id           the region's id ({@code xen,shm-id})
     * @param role         the domain's role in it
     * @param hostAddress  empty when Xen allocates the region
     * @param guestAddress where the domain sees it
     * @param size         its size in bytes
     */
    public record Share(String id, Role role, OptionalLong hostAddress, long guestAddress, long size) {

        /** Checks that nothing is missing. */
        public Share {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(hostAddress, "hostAddress");
        }

        /**
         * The node's name under its domain node.
         *
         * @return {@code shared-mem-<id>}
         */
        public String nodeName() {
            return "shared-mem-" + id;
        }
    }

    /**
     * A domain and the nodes it gets.
     *
     * @param domain   the domain's name in its config
     * @param nodeName its node under {@code /chosen}
     * @param cells    the cells its nodes are written for
     * @param shares   its regions, in plan order
     */
    public record DomainShares(String domain, String nodeName, Cells cells, List<Share> shares) {

        /** Checks that nothing is missing; keeps a copy of the list. */
        public DomainShares {
            Objects.requireNonNull(domain, "domain");
            Objects.requireNonNull(nodeName, "nodeName");
            Objects.requireNonNull(cells, "cells");
            shares = List.copyOf(shares);
        }
    }

    private final Plan plan;
    private final Options options;
    private final Map<String, DomainConfig> configs = new LinkedHashMap<>();
    private final Map<String, Long> hostAddresses;
    private final Map<String, Cells> cells = new HashMap<>();
    private final Map<String, String> nodeNames = new HashMap<>();
    private final List<SpecProblem> problems = new ArrayList<>();
    private final List<DomainShares> domains = new ArrayList<>();

    private Dom0lessExport(Plan plan, List<DomainConfig> configs, Options options) {
        this.plan = plan;
        this.options = options;
        configs.forEach(config -> this.configs.putIfAbsent(config.name(), config));
        Map<String, List<SshmSpec>> shares = sharesByDomain();
        options.hostTree().ifPresentOrElse(host -> {
            HostTreeMatch.DomainNodes nodes = HostTreeMatch.match(host, this.configs.keySet(), plan, shares,
                    options.cells());
            nodeNames.putAll(nodes.nodeNames());
            cells.putAll(nodes.cells());
        }, () -> plan.domains().forEach(domain -> {
            cells.put(domain.name(), options.cells().orElse(Cells.DEFAULT));
            nodeNames.put(domain.name(), Dts.nodeName(domain.name()));
        }));
        hostAddresses = HostPlacement.place(options.hostBase(), plan, cells);
        shares.forEach(this::checkDomain);
        checkBankCounts();
        if (!problems.isEmpty()) {
            throw new InvalidSpecException(problems);
        }
        options.hostTree().ifPresent(host -> HostPlacement.checkInHostTree(host, plan, hostAddresses));
        shares.forEach((domain, specs) -> domains.add(new DomainShares(domain, nodeNames.get(domain),
                cells.get(domain), specs.stream().map(this::share).toList())));
    }

    /**
     * Checks a plan for boot and places its regions.
     *
     * @param plan    the checked domains and regions
     * @param configs the domains' configs: their RAM, and where each spec was written for messages
     * @param options where the regions go and the host tree they go into
     * @return the export, ready to be written in any of its forms
     * @throws InvalidSpecException     with every spec that Xen would refuse or misread at boot
     * @throws HostTreeException        when the host tree does not fit the configs
     * @throws IllegalArgumentException when the regions do not fit in host memory from the host
     *                                  base, or it is not page aligned
     */
    public static Dom0lessExport prepare(Plan plan, List<DomainConfig> configs, Options options) {
        return new Dom0lessExport(plan, configs, options);
    }

    /**
     * The domains that get nodes, owners first as in the plan, with their nodes.
     *
     * @return the domains, in plan order
     */
    public List<DomainShares> domains() {
        return List.copyOf(domains);
    }

    /**
     * Whether Xen allocates the regions (no host addresses).
     *
     * @return true without a host base
     */
    public boolean xenAllocated() {
        return options.hostBase().isEmpty();
    }

    /**
     * The nodes as a device tree of their own ({@code /dts-v1/} first), to merge by hand or with dtc.
     *
     * @return device-tree source
     */
    public String deviceTree() {
        return Dom0lessDeviceTree.render(this, true);
    }

    /**
     * The nodes without the {@code /dts-v1/} header, to append to (or {@code /include/} at the end
     * of) a host tree's source.
     *
     * @return device-tree source without a header
     */
    public String fragment() {
        return Dom0lessDeviceTree.render(this, false);
    }

    /**
     * The host tree's source as given, with the nodes appended: dtc merges them into the domain
     * nodes, which are otherwise left as they are.
     *
     * @return the host tree's source with the nodes
     * @throws IllegalStateException without a host tree
     */
    public String merged() {
        HostTree host = options.hostTree().orElseThrow(() -> new IllegalStateException("no host tree given"));
        String text = host.text();
        return text + (text.endsWith("\n") ? "" : "\n") + fragment();
    }

    /**
     * ImageBuilder's {@code DOMU_SHARED_MEM[i]} lines (uboot-script-gen), one per domain that shares,
     * {@code i} being the domain's position among the configs as given.
     *
     * @return the lines, one per sharing domain
     * @throws InvalidSpecException for a domain with more than one region: the variable holds one
     */
    public String imageBuilder() {
        return ImageBuilderLines.render(this, List.copyOf(configs.keySet()));
    }

    Plan plan() {
        return plan;
    }

    SpecProblem problem(String domain, SshmSpec spec, String field, String message) {
        int index = plan.domain(domain).orElseThrow().specs().indexOf(spec);
        return new SpecProblem(domain, spec.id(), OptionalInt.of(index), field, message,
                Optional.of(configs.get(domain).location(index)));
    }

    private void checkDomain(String domain, List<SshmSpec> specs) {
        Cells domainCells = cells.get(domain);
        Memory memory = memoryOf(domain);
        for (SshmSpec spec : specs) {
            SshmSpec owner = plan.region(spec.id()).orElseThrow().ownerSpec();
            if (spec.id().length() > MAX_ID_CHARACTERS) {
                problems.add(problem(domain, spec, SpecKey.ID.configKey(), "'" + spec.id() + "' has "
                        + spec.id().length() + " characters; Xen's xen,shm-id holds at most " + MAX_ID_CHARACTERS
                        + " (16 bytes with the NUL), so give the region a shorter id"));
            }
            if (spec.offset() != 0) {
                problems.add(problem(domain, spec, SpecKey.OFFSET.configKey(), "is " + hex(spec.offset())
                        + "; at boot Xen shares regions whole (every node of one id describes the same region, and"
                        + " xen,shared-mem has no offset), so a borrower must start at offset 0"));
            } else if (spec.size() != owner.size()) {
                problems.add(problem(domain, spec, SpecKey.SIZE.configKey(), "is " + hex(spec.size()) + " but the"
                        + " owner makes the region " + hex(owner.size()) + " long; at boot Xen shares regions whole,"
                        + " so every domain must map all of it"));
            }
            if (!Dts.fits(spec.end() - 1, domainCells.address())) {
                problems.add(problem(domain, spec, SpecKey.BEGIN.configKey(), "the range ends past 4 GiB, beyond"
                        + " addresses of #address-cells = <1>"));
            }
            if (!Dts.fits(spec.size(), domainCells.size())) {
                problems.add(problem(domain, spec, SpecKey.SIZE.configKey(), "is 4 GiB or more, beyond sizes of"
                        + " #size-cells = <1>"));
            }
            checkGuestLayout(domain, spec, memory);
        }
    }

    private void checkGuestLayout(String domain, SshmSpec spec, Memory memory) {
        // Xen's fixed guest areas are refused for every form by SpecValidator already.
        String range = range(spec.begin(), spec.end());
        if (memory.bytes().isEmpty()) {
            boolean couldBeRam = ArmGuestLayout.ram(ArmGuestLayout.RAM0_SIZE + ArmGuestLayout.RAM1_SIZE).stream()
                    .anyMatch(bank -> bank.overlaps(spec.begin(), spec.end()));
            if (couldBeRam) {
                problems.add(problem(domain, spec, SpecProblem.MEMORY, range + " lies where guest RAM can be, and the"
                        + " domain's RAM size is unknown (no memory = in " + configs.get(domain).source()
                        + (options.hostTree().isPresent() ? " nor a memory property in its host-tree node" : "")
                        + "); say how much RAM it has, or move the region below 0x"
                        + Long.toHexString(ArmGuestLayout.RAM0_BASE)));
            }
            return;
        }
        for (ArmGuestLayout.Area bank : ArmGuestLayout.ram(memory.bytes().getAsLong())) {
            if (!bank.overlaps(spec.begin(), spec.end())) {
                continue;
            }
            String why = spec.role() == Role.OWNER
                    ? "; that is fine at run time, where an owner shares pages of its own RAM, but at boot Xen maps a"
                    + " separate region there after giving the guest its RAM, so the guest silently loses that RAM"
                    + " (and a kernel or device tree loaded there lands in shared memory)"
                    : "; Xen would map the region over the guest's RAM";
            problems.add(problem(domain, spec, SpecKey.BEGIN.configKey(), range + " lies in the domain's " + bank
                    + " (" + memory.from() + ")" + why + ": choose a begin outside its RAM"));
        }
    }

    /** At most 32 regions on the host, and 32 heap blocks for those Xen allocates. */
    private void checkBankCounts() {
        Set<String> ids = new LinkedHashSet<>();
        options.hostTree().ifPresent(host -> host.shares().forEach(share -> ids.add(share.id())));
        int existing = ids.size();
        int blocks = 0;
        boolean reported = false;
        for (Plan.Region region : plan.regions()) {
            ids.add(region.id());
            if (ids.size() > MAX_BANKS) {
                problems.add(problem(region.owner(), region.ownerSpec(), SpecProblem.STATIC_SHM, "region "
                        + region.id() + " is region " + ids.size() + " of this host" + (existing > 0 ? " (" + existing
                        + " already in the host tree)" : "") + "; Xen sets up at most " + MAX_BANKS
                        + " static shared memory regions (NR_SHMEM_BANKS), so at most " + MAX_BANKS + " per domain"));
            }
            if (options.hostBase().isEmpty()) {
                blocks += Long.bitCount(region.ownerSpec().size() >>> SshmSpec.PAGE_SHIFT);
                if (blocks > MAX_BANKS && !reported) {
                    reported = true;
                    problems.add(problem(region.owner(), region.ownerSpec(), SpecKey.SIZE.configKey(), "with region "
                            + region.id() + " Xen would allocate at least " + blocks + " heap blocks for the regions it"
                            + " places (one per power of two in each page count) and it keeps at most " + MAX_BANKS
                            + "; make sizes powers of two, or give host addresses (--host-base)"));
                }
            }
        }
    }

    /** The domain's RAM size and where it was read, for messages. */
    private record Memory(OptionalLong bytes, String from) {
    }

    private Memory memoryOf(String domain) {
        Optional<HostTree.DomainNode> node = options.hostTree().flatMap(host -> host.domain(nodeNames.get(domain)));
        if (node.isPresent() && node.get().memoryBytes().isPresent()) {
            long bytes = node.get().memoryBytes().getAsLong();
            return new Memory(OptionalLong.of(bytes), "memory = " + (bytes >> 10) + " KiB in "
                    + options.hostTree().orElseThrow().source() + " " + node.get().path());
        }
        DomainConfig config = configs.get(domain);
        if (config.memoryMiB().isPresent()) {
            long mib = config.memoryMiB().getAsLong();
            return new Memory(OptionalLong.of(mib << 20), "memory = " + mib + " (MiB) in " + config.source());
        }
        return new Memory(OptionalLong.empty(), "");
    }

    private Share share(SshmSpec spec) {
        Long host = hostAddresses.get(spec.id());
        return new Share(spec.id(), spec.role(), host == null ? OptionalLong.empty() : OptionalLong.of(host),
                spec.begin(), spec.size());
    }

    /** Each domain's specs, owners' and borrowers' alike, in region order; domains in plan order. */
    private Map<String, List<SshmSpec>> sharesByDomain() {
        Map<String, List<SshmSpec>> shares = new LinkedHashMap<>();
        plan.creationOrder().forEach(domain -> shares.put(domain, new ArrayList<>()));
        for (Plan.Region region : plan.regions()) {
            shares.get(region.owner()).add(region.ownerSpec());
            region.borrowers().forEach(borrower -> shares.get(borrower.domain()).add(borrower.spec()));
        }
        shares.values().removeIf(List::isEmpty);
        return shares;
    }

    private static String range(long begin, long end) {
        return "[" + hex(begin) + ", " + hex(end) + ")";
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }
}
