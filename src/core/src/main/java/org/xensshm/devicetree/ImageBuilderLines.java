package org.xensshm.devicetree;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.SpecProblem;
import org.xensshm.spec.SshmSpec;

/**
 * A {@link Dom0lessExport}'s regions as ImageBuilder config lines: {@code DOMU_SHARED_MEM[i]="ID
 * [HOST] GUEST SIZE"}, which ImageBuilder's uboot-script-gen turns into a shared memory node under
 * {@code /chosen/domU<i>}, two cells per number. ImageBuilder holds one region per domain and
 * writes no role, so Xen makes DOMID_IO the owner of each region and every domain a borrower: the
 * domains map the same pages all the same.
 */
final class ImageBuilderLines {

    private ImageBuilderLines() {
    }

    /**
     * @param order the domains in the order of the configs given, which is the order of their
     *              ImageBuilder indices
     */
    static String render(Dom0lessExport export, List<String> order) {
        Map<String, Dom0lessExport.DomainShares> byName = export.domains().stream()
                .collect(Collectors.toMap(Dom0lessExport.DomainShares::domain, domain -> domain));
        List<SpecProblem> problems = new ArrayList<>();
        for (Dom0lessExport.DomainShares domain : export.domains()) {
            List<Dom0lessExport.Share> shares = domain.shares();
            for (Dom0lessExport.Share extra : shares.subList(1, shares.size())) {
                SshmSpec spec = export.plan().domain(domain.domain()).orElseThrow().specs().stream()
                        .filter(candidate -> candidate.id().equals(extra.id())).findFirst().orElseThrow();
                problems.add(export.problem(domain.domain(), spec, SpecProblem.STATIC_SHM, "is the domain's region "
                        + (shares.indexOf(extra) + 1) + "; ImageBuilder's DOMU_SHARED_MEM holds one region per domain"
                        + " (use the device-tree output for more)"));
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidSpecException(problems);
        }
        StringBuilder out = new StringBuilder();
        out.append("# Static shared memory for ImageBuilder's config (uboot-script-gen), written by xen-sshm dom0less.\n")
                .append("# DOMU_SHARED_MEM[i] belongs to domU i, counted in the order the configs were given: ")
                .append(String.join(", ", order.stream().map(name -> order.indexOf(name) + " " + name).toList()))
                .append(".\n")
                .append("# ImageBuilder writes no role: Xen makes DOMID_IO each region's owner and every domain a borrower.\n");
        if (export.xenAllocated()) {
            out.append("# No host address: Xen allocates the regions (Xen 4.19 and later).\n");
        }
        for (int index = 0; index < order.size(); index++) {
            Dom0lessExport.DomainShares domain = byName.get(order.get(index));
            if (domain == null) {
                continue;
            }
            Dom0lessExport.Share share = domain.shares().getFirst();
            StringBuilder value = new StringBuilder(share.id());
            share.hostAddress().ifPresent(host -> value.append(' ').append(Dom0lessExport.hex(host)));
            value.append(' ').append(Dom0lessExport.hex(share.guestAddress()))
                    .append(' ').append(Dom0lessExport.hex(share.size()));
            out.append("DOMU_SHARED_MEM[").append(index).append("]=\"").append(value).append("\"\n");
        }
        return out.toString();
    }
}
