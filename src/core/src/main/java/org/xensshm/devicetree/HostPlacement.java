package org.xensshm.devicetree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;

import org.xensshm.devicetree.HostTreeException.Reason;
import org.xensshm.spec.Plan;
import org.xensshm.spec.SshmSpec;

/**
 * Where the regions go in host memory when a host base is given (else Xen allocates them): one
 * after another from the base, in plan order, each ending where every domain node that maps it
 * can address; and, with a host tree, inside its RAM and clear of the memory it already uses.
 */
final class HostPlacement {

    private HostPlacement() {
    }

    /**
     * Each region's host address, by id; empty without a host base.
     *
     * @param cells each domain node's cells, where known
     * @throws IllegalArgumentException when the base is not page aligned, or the regions do not fit
     *                                  from it
     */
    static Map<String, Long> place(OptionalLong hostBase, Plan plan, Map<String, Cells> cells) {
        Map<String, Long> hostAddresses = new HashMap<>();
        if (hostBase.isEmpty()) {
            return hostAddresses;
        }
        long base = hostBase.getAsLong();
        if (base % SshmSpec.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("the host base 0x" + Long.toHexString(base) + " is not a multiple of 4 KiB");
        }
        long next = base;
        for (Plan.Region region : plan.regions()) {
            hostAddresses.put(region.id(), next);
            long size = region.ownerSpec().size();
            if (next > Long.MAX_VALUE - size) {
                throw new IllegalArgumentException("the regions do not fit in host memory from 0x" + Long.toHexString(base));
            }
            long last = next + size - 1;
            for (String domain : usersOf(region)) {
                Cells domainCells = cells.get(domain);
                if (domainCells != null && !Dts.fits(last, domainCells.address())) {
                    throw new IllegalArgumentException("region " + region.id() + " would end at host 0x"
                            + Long.toHexString(last + 1) + ", beyond the 1-cell addresses of domain " + domain
                            + "'s node (from 0x" + Long.toHexString(base) + " on)");
                }
            }
            next += size;
        }
        return hostAddresses;
    }

    /**
     * Checks the placed regions against the host tree's RAM and the memory it already uses.
     *
     * @throws HostTreeException when a region lies outside the RAM or over used memory
     */
    static void checkInHostTree(HostTree host, Plan plan, Map<String, Long> hostAddresses) {
        for (Plan.Region region : plan.regions()) {
            Long address = hostAddresses.get(region.id());
            if (address == null) {
                continue;
            }
            long size = region.ownerSpec().size();
            String range = "region " + region.id() + " at host [0x" + Long.toHexString(address) + ", 0x"
                    + Long.toHexString(address + size) + ")";
            if (!host.ram().isEmpty() && host.ram().stream().noneMatch(ram -> ram.contains(address, size))) {
                throw new HostTreeException(Reason.HOST_RANGE, host.source() + ": " + range + " is not inside the"
                        + " host's RAM (" + host.ram().stream().map(Object::toString).collect(Collectors.joining(", "))
                        + "); choose another --host-base");
            }
            host.inUse().stream().filter(used -> used.overlaps(address, size)).findFirst().ifPresent(used -> {
                throw new HostTreeException(Reason.HOST_RANGE, host.source() + ": " + range + " overlaps " + used
                        + "; choose another --host-base");
            });
        }
    }

    private static List<String> usersOf(Plan.Region region) {
        List<String> users = new ArrayList<>(List.of(region.owner()));
        region.borrowers().forEach(borrower -> users.add(borrower.domain()));
        return users;
    }
}
