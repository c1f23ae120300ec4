package org.xensshm.devicetree;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.xensshm.devicetree.HostTreeException.Reason;
import org.xensshm.spec.Plan;
import org.xensshm.spec.SshmSpec;

/**
 * The configs' domains in the host tree their nodes go into: each domain's node there, matched by
 * name, and the cells the nodes of a sharing domain are written with, which are that node's. The
 * tree is refused when it cannot take the nodes as they would be written: a domain without a node,
 * cells Xen cannot read or other than asked for, a direct-mapped domain, or a region it already
 * describes.
 */
final class HostTreeMatch {

    /**
     * What the tree says about the configs' domains.
     *
     * @param nodeNames each domain's node name under {@code /chosen}
     * @param cells     the cells of each domain that shares
     */
    record DomainNodes(Map<String, String> nodeNames, Map<String, Cells> cells) {
    }

    private HostTreeMatch() {
    }

    /**
     * @param domains    each config's domain, in the order given
     * @param shares     each sharing domain's specs
     * @param cellsAsked the cells asked for, if any
     * @throws HostTreeException when the tree cannot take the nodes
     */
    static DomainNodes match(HostTree host, Collection<String> domains, Plan plan, Map<String, List<SshmSpec>> shares,
                             Optional<Cells> cellsAsked) {
        Map<String, String> nodeNames = new HashMap<>();
        Map<String, Cells> cells = new HashMap<>();
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (String domain : domains) {
            Optional<HostTree.DomainNode> found = host.domain(Dts.nodeName(domain));
            if (found.isEmpty()) {
                missing.add(domain);
                continue;
            }
            HostTree.DomainNode node = found.get();
            nodeNames.put(domain, node.name());
            if (!shares.containsKey(domain)) {
                continue;
            }
            if (!Cells.valid(node.addressCells()) || !Cells.valid(node.sizeCells())) {
                throw new HostTreeException(Reason.UNSUPPORTED_CELLS, host.source() + ": " + node.path()
                        + " has #address-cells = <" + node.addressCells() + "> and #size-cells = <" + node.sizeCells()
                        + ">; Xen reads static shared memory nodes with 1 or 2 cells only");
            }
            Cells written = new Cells(node.addressCells(), node.sizeCells());
            cellsAsked.filter(asked -> !asked.equals(written)).ifPresent(asked -> mismatched.add(node.path()
                    + " has " + written));
            cells.put(domain, written);
            if (node.directMapped()) {
                throw new HostTreeException(Reason.DIRECT_MAPPED, host.source() + ": " + node.path() + " is"
                        + " direct-mapped (direct-map): Xen wants its shared memory at equal host and guest addresses,"
                        + " which xen-sshm does not place; write that domain's nodes by hand");
            }
        }
        if (!missing.isEmpty()) {
            String known = host.domains().stream().map(HostTree.DomainNode::name).collect(Collectors.joining(", "));
            throw new HostTreeException(Reason.NO_DOMAIN_NODE, host.source() + " has no xen,domain node under /chosen"
                    + " for " + String.join(", ", missing) + " (domain nodes are matched by the config's name; it has "
                    + (known.isEmpty() ? "none" : known) + ")");
        }
        if (!mismatched.isEmpty()) {
            throw new HostTreeException(Reason.CELLS_MISMATCH, host.source() + ": " + String.join("; ", mismatched)
                    + ", not the " + cellsAsked.orElseThrow() + " asked for; Xen would read xen,shared-mem"
                    + " with the node's cells and stop at boot (leave the cells out to write for the tree's)");
        }
        checkExistingShares(host, plan, shares, nodeNames);
        return new DomainNodes(nodeNames, cells);
    }

    private static void checkExistingShares(HostTree host, Plan plan, Map<String, List<SshmSpec>> shares,
                                            Map<String, String> nodeNames) {
        Set<String> ours = new LinkedHashSet<>();
        plan.regions().forEach(region -> ours.add(region.id()));
        for (HostTree.ExistingShare existing : host.shares()) {
            if (ours.contains(existing.id())) {
                throw new HostTreeException(Reason.ALREADY_SHARED, host.source() + ": " + existing.path()
                        + " already describes region " + existing.id() + "; give the tree without the static shared"
                        + " memory nodes of the configs' regions");
            }
        }
        shares.forEach((domain, specs) -> {
            HostTree.DomainNode node = host.domain(nodeNames.get(domain)).orElseThrow();
            specs.stream().map(spec -> "shared-mem-" + spec.id()).filter(node.children()::contains).findFirst()
                    .ifPresent(name -> {
                        throw new HostTreeException(Reason.ALREADY_SHARED, host.source() + ": " + node.path() + "/"
                                + name + " already exists");
                    });
        });
    }
}
