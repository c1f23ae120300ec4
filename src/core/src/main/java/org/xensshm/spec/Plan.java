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

    /** Copies the lists. */
    public Plan {
        domains = List.copyOf(domains);
        regions = List.copyOf(regions);
    }

    /**
     * The domains' names, in the order they must be created.
     *
     * @return every domain, owners before their borrowers
     */
    public List<String> creationOrder() {
        return domains.stream().map(DomainSpecs::name).toList();
    }

    /**
     * One region of the plan.
     *
     * @param id the region's id
     * @return the region, or empty when no domain shares it
     */
    public Optional<Region> region(String id) {
        return regions.stream().filter(region -> region.id().equals(id)).findFirst();
    }

    /**
     * One domain of the plan.
     *
     * @param name the domain's name
     * @return its checked specs, or empty when it is not in the plan
     */
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

        /** Checks that the parts are given; copies the borrowers. */
        public Region {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(ownerSpec, "ownerSpec");
            borrowers = List.copyOf(borrowers);
        }

        /**
         * The owner's frames that make up the region.
         *
         * @return the owner's frames
         */
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

        /** Checks that the parts are given. */
        public Borrower {
            Objects.requireNonNull(domain, "domain");
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(ownerPages, "ownerPages");
        }

        /**
         * The borrower's own frames where the owner's pages appear.
         *
         * @return the borrower's frames
         */
        public PageRange pages() {
            return spec.pages();
        }
    }
}
