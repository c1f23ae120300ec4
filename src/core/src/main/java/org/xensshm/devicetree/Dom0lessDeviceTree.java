package org.xensshm.devicetree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.LongStream;

import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.Plan;
import org.xensshm.spec.SpecKey;
import org.xensshm.spec.SpecProblem;
import org.xensshm.spec.SshmSpec;

/**
 * The regions of a plan in the form upstream Xen (4.17+, Arm) sets up at boot on dom0less hosts:
 * under each domain's node in {@code /chosen}, one {@code xen,domain-shared-memory-v1} node per
 * region it shares, with the id, the domain's role and the {@code xen,shared-mem} cells.
 *
 * <p>That form is narrower than static_shm: an id holds at most 15 characters, and every domain
 * maps a region whole (Xen insists that nodes with the same id describe the same range), so a
 * borrower cannot take a window at an offset. Such specs are refused, each with its own problem.
 *
 * <p>Xen reads {@code xen,shared-mem} with the cell counts of the domain node, which the host tree
 * already sets for the domain's kernel modules. The fragment leaves them alone (setting them
 * would change how the modules' {@code reg} read) and encodes for the counts it is given.
 */
public final class Dom0lessDeviceTree {

    /** The nodes' compatible string. */
    public static final String COMPATIBLE = "xen,domain-shared-memory-v1";
    /** Xen's MAX_SHM_ID_LENGTH is 16 bytes, the terminating NUL included. */
    public static final int MAX_ID_CHARACTERS = 15;

    /**
     * The domain nodes' {@code #address-cells} and {@code #size-cells} in the host tree.
     *
     * @param address {@code #address-cells}: 1 or 2
     * @param size    {@code #size-cells}: 1 or 2
     */
    public record Cells(int address, int size) {
        /** Two and two, as in Xen's and QEMU's Arm trees. */
        public static final Cells DEFAULT = new Cells(2, 2);

        /**
         * Checks the counts.
         *
         * @throws IllegalArgumentException unless both are 1 or 2
         */
        public Cells {
            if (address < 1 || address > 2 || size < 1 || size > 2) {
                throw new IllegalArgumentException("#address-cells and #size-cells must be 1 or 2, not " + address + " and " + size);
            }
        }
    }

    private final Plan plan;
    private final Cells cells;
    private final Map<String, DomainConfig> configs = new HashMap<>();
    private final Map<String, Long> hostAddresses = new HashMap<>();

    /**
     * The nodes of a plan's regions, as device-tree source to merge into the host tree.
     *
     * @param plan     the checked domains and regions
     * @param configs  the domains' configs, so that problems point at their lines
     * @param hostBase where in host memory to place the regions, one after another in plan order;
     *                 empty to let Xen choose (Xen 4.19 and later)
     * @param cells    the domain nodes' cell counts, which Xen reads {@code xen,shared-mem} with
     * @return the fragment as device-tree source, one node per region of each domain
     * @throws InvalidSpecException     with every spec the boot-time form cannot express
     * @throws IllegalArgumentException when the regions do not fit in host memory from
     *                                  {@code hostBase}, or it is not page aligned
     */
    public static String render(Plan plan, List<DomainConfig> configs, OptionalLong hostBase, Cells cells) {
        return new Dom0lessDeviceTree(plan, configs, hostBase, cells).render();
    }

    private Dom0lessDeviceTree(Plan plan, List<DomainConfig> configs, OptionalLong hostBase, Cells cells) {
        this.plan = plan;
        this.cells = cells;
        configs.forEach(config -> this.configs.put(config.name(), config));
        refuseWhatXenCannotExpress();
        if (hostBase.isPresent()) {
            if (hostBase.getAsLong() % SshmSpec.PAGE_SIZE != 0) {
                throw new IllegalArgumentException("the host base " + hex(hostBase.getAsLong())
                        + " is not a multiple of 4 KiB");
            }
            long next = hostBase.getAsLong();
            for (Plan.Region region : plan.regions()) {
                hostAddresses.put(region.id(), next);
                try {
                    next = Math.addExact(next, region.ownerSpec().size());
                } catch (ArithmeticException e) {
                    next = -1;
                }
                if (next < 0 || !Dts.fits(next - 1, cells.address())) {
                    throw new IllegalArgumentException("the regions do not fit in " + cells.address() + "-cell host addresses"
                            + " from " + hex(hostBase.getAsLong()) + " on");
                }
            }
        }
    }

    private String render() {
        Dts dts = new Dts()
                .blank()
                .comment("Static shared memory for the dom0less domains " + String.join(", ", plan.creationOrder())
                        + ", written by xen-sshm dom0less.")
                .comment("Merge it into the host device tree, whose domain nodes also hold each domain's")
                .comment("kernel, memory and cpus. xen,shared-mem is written for domain nodes with")
                .comment("#address-cells = <" + cells.address() + "> and #size-cells = <" + cells.size() + ">.")
                .open("/")
                .open("chosen");
        Map<String, List<SshmSpec>> shares = shares();
        for (DomainSpecs domain : plan.domains()) {
            List<SshmSpec> specs = shares.getOrDefault(domain.name(), List.of());
            if (specs.isEmpty()) {
                continue;
            }
            dts.blank()
                    .open(Dts.nodeName(domain.name()))
                    .string("compatible", "xen,domain");
            for (SshmSpec spec : specs) {
                dts.blank()
                        .open("shared-mem-" + spec.id())
                        .string("compatible", COMPATIBLE)
                        .string("xen,shm-id", spec.id())
                        .string("role", spec.role().toString())
                        .cells("xen,shared-mem", sharedMem(spec))
                        .close();
            }
            dts.close();
        }
        return dts.close().close().text();
    }

    /** {@code <host guest size>}, or {@code <guest size>} when Xen chooses the host address. */
    private long[] sharedMem(SshmSpec spec) {
        LongStream.Builder out = LongStream.builder();
        Optional.ofNullable(hostAddresses.get(spec.id()))
                .ifPresent(host -> LongStream.of(Dts.split(host, cells.address())).forEach(out));
        LongStream.of(Dts.split(spec.begin(), cells.address())).forEach(out);
        LongStream.of(Dts.split(spec.size(), cells.size())).forEach(out);
        return out.build().toArray();
    }

    /** Each domain's specs, owners' and borrowers' alike, in region order. */
    private Map<String, List<SshmSpec>> shares() {
        Map<String, List<SshmSpec>> shares = new LinkedHashMap<>();
        for (Plan.Region region : plan.regions()) {
            shares.computeIfAbsent(region.owner(), name -> new ArrayList<>()).add(region.ownerSpec());
            for (Plan.Borrower borrower : region.borrowers()) {
                shares.computeIfAbsent(borrower.domain(), name -> new ArrayList<>()).add(borrower.spec());
            }
        }
        return shares;
    }

    private void refuseWhatXenCannotExpress() {
        List<SpecProblem> problems = new ArrayList<>();
        shares().forEach((domain, specs) -> {
            for (SshmSpec spec : specs) {
                SshmSpec owner = plan.region(spec.id()).orElseThrow().ownerSpec();
                if (spec.id().length() > MAX_ID_CHARACTERS) {
                    problems.add(problem(domain, spec, SpecKey.ID, "'" + spec.id() + "' has " + spec.id().length()
                            + " characters; Xen's xen,shm-id holds at most " + MAX_ID_CHARACTERS
                            + " (16 bytes with the NUL), so give the region a shorter id"));
                }
                if (spec.offset() != 0) {
                    problems.add(problem(domain, spec, SpecKey.OFFSET, "is " + hex(spec.offset())
                            + "; at boot Xen shares regions whole (xen,shared-mem has no offset), so a"
                            + " borrower must start at offset 0"));
                } else if (spec.size() != owner.size()) {
                    problems.add(problem(domain, spec, SpecKey.SIZE, "is " + hex(spec.size()) + " but the"
                            + " owner makes the region " + hex(owner.size()) + " long; at boot Xen shares"
                            + " regions whole, so every domain must map all of it"));
                }
                if (!Dts.fits(spec.end() - 1, cells.address())) {
                    problems.add(problem(domain, spec, SpecKey.BEGIN, "the range ends past 4 GiB, beyond"
                            + " addresses of #address-cells = <1>"));
                }
                if (!Dts.fits(spec.size(), cells.size())) {
                    problems.add(problem(domain, spec, SpecKey.SIZE, "is 4 GiB or more, beyond sizes of"
                            + " #size-cells = <1>"));
                }
            }
        });
        if (!problems.isEmpty()) {
            throw new InvalidSpecException(problems);
        }
    }

    /** Validated specs keep their config order, so a spec's position is its static_shm index. */
    private SpecProblem problem(String domain, SshmSpec spec, SpecKey key, String message) {
        int index = plan.domain(domain).orElseThrow().specs().indexOf(spec);
        return new SpecProblem(domain, spec.id(), OptionalInt.of(index), key.configKey(), message,
                Optional.of(configs.get(domain).location(index)));
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }
}
