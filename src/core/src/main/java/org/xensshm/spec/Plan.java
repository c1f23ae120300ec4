package org.xensshm.spec;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A checked set of domains that share memory: who owns and who borrows each region, which frames
 * each borrower maps, and the order in which the domains must be created (every owner before its
 * borrowers). Made by {@link PlanChecker}; everything in it has passed every check.
 *
 * @param domains the domains in creation order
 * @param regions every region, in the order their ids first appear in the input
 */
public record Plan(List<DomainSpecs> domains, List<Region> regions) {

    public Plan {
        domains = List.copyOf(domains);
        regions = List.copyOf(regions);
    }

    /** The domains' names, in the order they must be created. */
    public List<String> creationOrder() {
        return domains.stream().map(DomainSpecs::name).toList();
    }

    public Optional<Region> region(String id) {
        return regions.stream().filter(region -> region.id().equals(id)).findFirst();
    }

    public Optional<DomainSpecs> domain(String name) {
        return domains.stream().filter(domain -> domain.name().equals(name)).findFirst();
    }

    /**
     * One shared region.
     *
     * @param id        the region's id
     * @param owner     the name of the domain whose RAM backs it
     * @param ownerSpec the owner's spec
     * @param borrowers the domains that map it, in input order
     */
    public record Region(String id, String owner, SshmSpec ownerSpec, List<Borrower> borrowers) {

        public Region {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(ownerSpec, "ownerSpec");
            borrowers = List.copyOf(borrowers);
        }

        /** The owner's frames that make up the region. */
        public PageRange ownerPages() {
            return ownerSpec.pages();
        }
    }

    /**
     * One domain mapping a region.
     *
     * @param domain     the borrowing domain's name
     * @param spec       its spec
     * @param ownerPages the owner's frames it maps, at its own {@link #pages()}
     */
    public record Borrower(String domain, SshmSpec spec, PageRange ownerPages) {

        public Borrower {
            Objects.requireNonNull(domain, "domain");
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(ownerPages, "ownerPages");
        }

        /** The borrower's own frames where the owner's pages appear. */
        public PageRange pages() {
            return spec.pages();
        }
    }
}
