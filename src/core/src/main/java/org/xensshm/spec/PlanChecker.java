package org.xensshm.spec;

import static org.xensshm.spec.Numbers.hex;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.xensshm.spec.SpecValidator.Checked;
import org.xensshm.spec.SpecValidator.Outcome;

/**
 * Checks a set of domain configs together, offline: each domain on its own (as
 * {@link SpecValidator} does), then across domains: exactly one owner per region, every
 * borrower's {@code offset + size} within its owner's region, no borrower asking more than its
 * owner grants, and an order in which the domains can be created, owners before their borrowers.
 * Everything wrong is reported together in one {@link InvalidSpecException}.
 *
 * <p>A region whose spec is broken in some domain is left out of the checks across domains, so
 * that one mistake is not reported again as, say, a missing owner.
 */
public final class PlanChecker {

    private PlanChecker() {
    }

    /**
     * Checks the configs together, as one host would see them.
     *
     * @param domains the domains' configs; their order breaks ties in the creation order
     * @param platform the host's platform
     * @return the plan: regions, borrowings and creation order
     * @throws InvalidSpecException with every problem found
     */
    public static Plan check(List<DomainConfig> domains, Platform platform) {
        return new Check(domains, platform).run();
    }

    /** One spec of one domain, by the domain's position in the input. */
    private record Use(int domain, Checked checked) {
        SshmSpec spec() {
            return checked.spec();
        }
    }

    /** Domain {@code owner} must be created before domain {@code borrower}. */
    private record Edge(int owner, int borrower) {
    }

    private static final class Check {
        private final List<DomainConfig> domains;
        private final Platform platform;
        private final List<Outcome> outcomes;
        private final List<SpecProblem> problems = new ArrayList<>();
        /** For each edge, the first borrowing that caused it, to name in a cycle's message. */
        private final Map<Edge, Use> edges = new LinkedHashMap<>();

        Check(List<DomainConfig> domains, Platform platform) {
            this.domains = List.copyOf(domains);
            this.platform = platform;
            this.outcomes = this.domains.stream()
                    .map(domain -> SpecValidator.examine(domain, platform))
                    .toList();
        }

        Plan run() {
            checkNames();
            outcomes.forEach(outcome -> problems.addAll(outcome.problems()));
            List<Plan.Region> regions = regions();
            List<Integer> order = creationOrder();
            if (!problems.isEmpty()) {
                // Domain by domain, spec by spec, whichever check found them.
                Map<String, Integer> position = new HashMap<>();
                for (int i = 0; i < domains.size(); i++) {
                    position.putIfAbsent(domains.get(i).name(), i);
                }
                problems.sort(Comparator.comparingInt((SpecProblem p) -> position.get(p.domain()))
                        .thenComparingInt(p -> p.specIndex().orElse(-1)));
                throw new InvalidSpecException(problems);
            }
            List<DomainSpecs> ordered = order.stream()
                    .map(index -> new DomainSpecs(domains.get(index).name(),
                            domains.get(index).source(),
                            outcomes.get(index).specs().stream().map(Checked::spec).toList(), platform))
                    .toList();
            return new Plan(ordered, regions);
        }

        private void checkNames() {
            Map<String, DomainConfig> first = new HashMap<>();
            for (DomainConfig domain : domains) {
                DomainConfig earlier = first.putIfAbsent(domain.name(), domain);
                if (earlier != null) {
                    problems.add(new SpecProblem(domain.name(), "", OptionalInt.empty(),
                            SpecProblem.NAME, "another config (" + earlier.source() + ") names its"
                            + " domain " + domain.name() + " too; domain names must be unique",
                            Optional.of(SourceLocation.wholeFile(domain.source()))));
                }
            }
        }

        private void problem(Use use, SpecKey key, String message) {
            Checked checked = use.checked();
            problems.add(new SpecProblem(name(use.domain()), checked.spec().id(),
                    OptionalInt.of(checked.index()), key.configKey(), message, checked.location()));
        }

        private String name(int domain) {
            return domains.get(domain).name();
        }

        private List<Plan.Region> regions() {
            Set<String> unsettled = outcomes.stream()
                    .flatMap(outcome -> outcome.unsettled().stream())
                    .collect(Collectors.toSet());
            Map<String, List<Use>> byId = new LinkedHashMap<>();
            for (int domain = 0; domain < outcomes.size(); domain++) {
                for (Checked checked : outcomes.get(domain).specs()) {
                    if (!unsettled.contains(checked.spec().id())) {
                        byId.computeIfAbsent(checked.spec().id(), id -> new ArrayList<>())
                                .add(new Use(domain, checked));
                    }
                }
            }
            List<Plan.Region> regions = new ArrayList<>();
            byId.forEach((id, uses) -> region(id, uses).ifPresent(regions::add));
            return regions;
        }

        private Optional<Plan.Region> region(String id, List<Use> uses) {
            List<Use> owners = uses.stream().filter(use -> use.spec().role() == Role.OWNER).toList();
            List<Use> borrowers = uses.stream().filter(use -> use.spec().role() == Role.BORROWER)
                    .toList();
            if (owners.isEmpty()) {
                borrowers.forEach(borrower -> problem(borrower, SpecKey.ID, "no domain owns region "
                        + id + "; a borrowed region needs one domain with role=owner"));
                return Optional.empty();
            }
            Use owner = owners.getFirst();
            if (owners.size() > 1) {
                owners.subList(1, owners.size()).forEach(other -> problem(other, SpecKey.ROLE,
                        "region " + id + " already has an owner, domain " + name(owner.domain())
                        + " (static_shm[" + owner.checked().index() + "]); a region has exactly"
                        + " one owner"));
                return Optional.empty();
            }
            List<Plan.Borrower> mapped = new ArrayList<>();
            for (Use borrower : borrowers) {
                edges.putIfAbsent(new Edge(owner.domain(), borrower.domain()), borrower);
                Optional<PageRange> ownerPages = fits(owner, borrower);
                if (!owner.spec().prot().grants(borrower.spec().prot())) {
                    problem(borrower, SpecKey.PROT, "asks for " + borrower.spec().prot()
                            + " but owner " + name(owner.domain()) + " grants at most "
                            + owner.spec().prot() + " for region " + id + (owner.spec().prot() == Prot.RO
                            ? "; a borrower cannot be read-only (Xen maps shared pages read-write), so a region"
                            + " whose owner says prot=ro admits no borrower at all" : ""));
                }
                ownerPages.ifPresent(pages -> mapped.add(
                        new Plan.Borrower(name(borrower.domain()), borrower.spec(), pages)));
            }
            return Optional.of(new Plan.Region(id, name(owner.domain()), owner.spec(), mapped));
        }

        /** The owner frames the borrower maps, or empty after reporting that they overrun. */
        private Optional<PageRange> fits(Use owner, Use borrower) {
            SshmSpec own = owner.spec();
            SshmSpec borrowed = borrower.spec();
            Optional<PageRange> pages = borrowed.ownerPagesWithin(own.pages());
            if (pages.isEmpty()) {
                String region = "region " + own.id() + ", which owner " + name(owner.domain())
                        + " makes " + hex(own.size()) + " bytes long";
                if (borrowed.offset() >= own.size()) {
                    problem(borrower, SpecKey.OFFSET, "offset " + hex(borrowed.offset())
                            + " is past the end of " + region);
                } else {
                    problem(borrower, SpecKey.SIZE, "offset " + hex(borrowed.offset()) + " + size "
                            + hex(borrowed.size()) + " = " + hex(borrowed.offset() + borrowed.size())
                            + " runs past the end of " + region);
                }
            }
            return pages;
        }

        /**
         * Owners before their borrowers; among domains free to go, the earliest in the input
         * first, so the order is stable. Domains caught in a cycle are reported instead.
         */
        private List<Integer> creationOrder() {
            int count = domains.size();
            List<Set<Integer>> successors = new ArrayList<>();
            List<Set<Integer>> predecessors = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                successors.add(new TreeSet<>());
                predecessors.add(new TreeSet<>());
            }
            edges.keySet().forEach(edge -> {
                successors.get(edge.owner()).add(edge.borrower());
                predecessors.get(edge.borrower()).add(edge.owner());
            });
            int[] waitingFor = new int[count];
            PriorityQueue<Integer> ready = new PriorityQueue<>();
            for (int i = 0; i < count; i++) {
                waitingFor[i] = predecessors.get(i).size();
                if (waitingFor[i] == 0) {
                    ready.add(i);
                }
            }
            List<Integer> order = new ArrayList<>();
            while (!ready.isEmpty()) {
                int next = ready.poll();
                order.add(next);
                for (int successor : successors.get(next)) {
                    if (--waitingFor[successor] == 0) {
                        ready.add(successor);
                    }
                }
            }
            if (order.size() < count) {
                reportCycles(predecessors, new HashSet<>(order));
            }
            return order;
        }

        /**
         * Every domain left out of the order waits for another one left out, so walking back
         * from it along "is borrowed from" always comes round to a cycle. Each cycle is reported
         * once, on its earliest domain.
         */
        private void reportCycles(List<Set<Integer>> predecessors, Set<Integer> placed) {
            Set<Integer> reported = new HashSet<>();
            for (int start = 0; start < domains.size(); start++) {
                if (placed.contains(start)) {
                    continue;
                }
                List<Integer> path = new ArrayList<>();
                Map<Integer, Integer> seenAt = new HashMap<>();
                int current = start;
                while (!seenAt.containsKey(current)) {
                    seenAt.put(current, path.size());
                    path.add(current);
                    current = predecessors.get(current).stream()
                            .filter(p -> !placed.contains(p)).findFirst().orElseThrow();
                }
                List<Integer> cycle = new ArrayList<>(path.subList(seenAt.get(current), path.size()));
                if (cycle.stream().anyMatch(reported::contains)) {
                    continue;
                }
                reported.addAll(cycle);
                // The walk went from borrower to owner; turn it round and start at the earliest.
                Collections.reverse(cycle);
                Collections.rotate(cycle, -cycle.indexOf(Collections.min(cycle)));
                reportCycle(cycle);
            }
        }

        private void reportCycle(List<Integer> cycle) {
            List<String> steps = new ArrayList<>();
            for (int i = 0; i < cycle.size(); i++) {
                Use borrowing = edges.get(new Edge(cycle.get(i), cycle.get((i + 1) % cycle.size())));
                steps.add(name(borrowing.domain()) + " borrows " + borrowing.spec().id() + " from "
                        + name(cycle.get(i)));
            }
            // Reported on the earliest domain, at the spec that makes it wait for the last one.
            Use closing = edges.get(new Edge(cycle.getLast(), cycle.getFirst()));
            problem(closing, SpecKey.ROLE, "no creation order works: " + String.join(", ", steps)
                    + "; each owner must be created before its borrowers");
        }
    }
}
