package org.xensshm.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * The range checks against brute force: sets of page numbers, small enough to enumerate, and
 * exact arithmetic for overflow.
 */
class RangePropertiesTest {

    private static final long PAGE = SshmSpec.PAGE_SIZE;
    private static final Pattern EARLIER = Pattern.compile("of static_shm\\[(\\d+)]");

    record Area(int firstPage, int pages, boolean owner) {
        Set<Long> pageSet() {
            return pageSet(firstPage, pages);
        }

        static Set<Long> pageSet(long first, long count) {
            Set<Long> set = new HashSet<>();
            LongStream.range(first, first + count).forEach(set::add);
            return set;
        }
    }

    @Provide
    Arbitrary<List<Area>> areas() {
        return Combinators.combine(Arbitraries.integers().between(0, 31),
                        Arbitraries.integers().between(1, 8), Arbitraries.of(true, false))
                .as(Area::new).list().ofMinSize(1).ofMaxSize(7);
    }

    @Property
    void overlapsAreReportedForExactlyThePairsThatSharePages(@ForAll("areas") List<Area> areas) {
        List<SpecDraft> drafts = new ArrayList<>();
        for (int i = 0; i < areas.size(); i++) {
            Area area = areas.get(i);
            drafts.add(SshmSpec.builder("R" + i).role(area.owner() ? Role.OWNER : Role.BORROWER)
                    .begin(area.firstPage() * PAGE).size(area.pages() * PAGE).build());
        }
        Set<List<Integer>> expected = new HashSet<>();
        for (int later = 0; later < areas.size(); later++) {
            for (int earlier = 0; earlier < later; earlier++) {
                Set<Long> shared = new HashSet<>(areas.get(later).pageSet());
                shared.retainAll(areas.get(earlier).pageSet());
                if (!shared.isEmpty()) {
                    expected.add(List.of(later, earlier));
                }
            }
        }

        List<SpecProblem> problems = new ArrayList<>();
        try {
            SpecValidator.validate("vm", drafts, Platform.ARM).specs();
        } catch (InvalidSpecException e) {
            problems = e.problems();
        }
        Set<List<Integer>> reported = new HashSet<>();
        for (SpecProblem problem : problems) {
            assertEquals("begin", problem.field(), problem::describe);
            Matcher earlier = EARLIER.matcher(problem.message());
            assertTrue(earlier.find(), problem::describe);
            assertTrue(reported.add(List.of(problem.specIndex().orElseThrow(),
                    Integer.parseInt(earlier.group(1)))), () -> "reported twice: " + problem);
        }
        assertEquals(expected, reported);
        cover("overlaps", !expected.isEmpty());
    }

    /** Fails the property unless both outcomes came up often enough to mean something. */
    private static void cover(String label, boolean outcome) {
        Statistics.label(label).collect(outcome);
        Statistics.label(label).coverage(coverage -> {
            coverage.check(true).percentage(p -> p >= 3);
            coverage.check(false).percentage(p -> p >= 3);
        });
    }

    @Property
    void aBorrowerFitsExactlyWhenItsOwnerPagesLieInTheOwnersRegion(
            @ForAll @IntRange(min = 0, max = 64) int ownerFirst,
            @ForAll @IntRange(min = 1, max = 16) int ownerPages,
            @ForAll @IntRange(min = 0, max = 20) int offsetPages,
            @ForAll @IntRange(min = 1, max = 20) int borrowedPages) {
        List<DomainConfig> domains = List.of(
                new DomainConfig("owner", "o.cfg", List.of(SshmSpec.builder("S").role(Role.OWNER)
                        .begin(ownerFirst * PAGE).size(ownerPages * PAGE).build())),
                new DomainConfig("borrower", "b.cfg", List.of(SshmSpec.builder("S")
                        .begin(0x100000).size(borrowedPages * PAGE).offset(offsetPages * PAGE)
                        .build())));
        Set<Long> region = Area.pageSet(ownerFirst, ownerPages);
        Set<Long> wanted = Area.pageSet(ownerFirst + offsetPages, borrowedPages);

        cover("fits", region.containsAll(wanted));
        if (region.containsAll(wanted)) {
            Plan.Borrower borrower = PlanChecker.check(domains, Platform.ARM).region("S")
                    .orElseThrow().borrowers().getFirst();
            PageRange mapped = borrower.ownerPages();
            assertEquals(wanted, Area.pageSet(mapped.first(), mapped.count()));
            assertEquals(borrower.pages().count(), mapped.count());
        } else {
            InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                    () -> PlanChecker.check(domains, Platform.ARM));
            assertEquals(1, thrown.problems().size(), thrown::getMessage);
            SpecProblem problem = thrown.problems().getFirst();
            assertEquals("borrower", problem.domain());
            assertEquals(offsetPages >= ownerPages ? "offset" : "size", problem.field());
        }
    }

    @Provide
    Arbitrary<Long> addresses() {
        // Bytes near zero, near 2^63 on either side, and anywhere; page aligned.
        return Arbitraries.oneOf(
                        Arbitraries.longs().between(0, 1L << 24),
                        Arbitraries.longs().between(0, 1L << 24).map(d -> Long.MAX_VALUE - d),
                        Arbitraries.longs().between(0, 1L << 24).map(d -> Long.MIN_VALUE + d),
                        Arbitraries.longs())
                .map(value -> value & -PAGE);
    }

    @Property
    void acceptsExactlyTheRangesThatFitBelowTwoToTheSixtyThird(
            @ForAll("addresses") long begin, @ForAll("addresses") long size,
            @ForAll("addresses") long offset) {
        BigInteger limit = BigInteger.ONE.shiftLeft(63);
        BigInteger b = new BigInteger(Long.toUnsignedString(begin));
        BigInteger s = new BigInteger(Long.toUnsignedString(size));
        BigInteger o = new BigInteger(Long.toUnsignedString(offset));
        boolean fits = b.compareTo(limit) < 0 && s.signum() > 0 && s.compareTo(limit) < 0
                && o.compareTo(limit) < 0 && b.add(s).compareTo(limit) < 0
                && o.add(s).compareTo(limit) < 0;
        // Ranges that fit but run over Xen's fixed guest areas are refused (on begin) as well.
        fits = fits && ArmGuestLayout.fixedAreasIn(begin, begin + size).isEmpty();
        List<SpecDraft> drafts = List.of(SshmSpec.builder("X").begin(begin).size(size)
                .offset(offset).build());
        cover("fits", fits);
        if (fits) {
            SshmSpec spec = SpecValidator.validate("vm", drafts, Platform.ARM).specs().getFirst();
            assertEquals(b.add(s), BigInteger.valueOf(spec.end()));
            assertEquals(offset, spec.offset());
        } else {
            InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                    () -> SpecValidator.validate("vm", drafts, Platform.ARM).specs());
            assertTrue(thrown.problems().stream().allMatch(p -> Set.of("begin", "size", "offset")
                    .contains(p.field())), thrown::getMessage);
        }
    }

    /** Region k is owned by domain owners[k] and borrowed by the domains in borrowers[k]. */
    @Property
    void createsInTheFirstOrderThatPutsOwnersFirstOrReportsACycle(
            @ForAll @IntRange(min = 1, max = 6) int domainCount,
            @ForAll @Size(max = 6) List<@IntRange(min = 0, max = 5) Integer> owners,
            @ForAll @Size(max = 6) List<@Size(max = 3) Set<@IntRange(min = 0, max = 5) Integer>> borrowers) {
        List<List<SpecDraft>> drafts = new ArrayList<>();
        for (int d = 0; d < domainCount; d++) {
            drafts.add(new ArrayList<>());
        }
        Set<List<Integer>> edges = new HashSet<>();
        for (int k = 0; k < Math.min(owners.size(), borrowers.size()); k++) {
            int owner = owners.get(k) % domainCount;
            // Each region has its own address slot, so no domain's regions overlap.
            drafts.get(owner).add(SshmSpec.builder("K" + k).role(Role.OWNER)
                    .begin(k * 0x10000L).size(PAGE).build());
            for (int borrower : borrowers.get(k)) {
                borrower %= domainCount;
                if (borrower != owner && edges.add(List.of(owner, borrower, k))) {
                    drafts.get(borrower).add(SshmSpec.builder("K" + k).begin(k * 0x10000L)
                            .size(PAGE).build());
                }
            }
        }
        List<DomainConfig> domains = new ArrayList<>();
        for (int d = 0; d < domainCount; d++) {
            domains.add(new DomainConfig("d" + d, "d" + d + ".cfg", drafts.get(d)));
        }

        List<String> expected = firstValidOrder(domainCount, edges);
        cover("ordered", expected != null);
        if (expected != null) {
            assertEquals(expected, PlanChecker.check(domains, Platform.ARM).creationOrder());
        } else {
            InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                    () -> PlanChecker.check(domains, Platform.ARM));
            assertTrue(thrown.problems().stream().allMatch(p -> p.field().equals("role")
                    && p.message().startsWith("no creation order works")), thrown::getMessage);
        }
    }

    /** Brute force: the lexicographically first permutation with every owner before borrower. */
    private static List<String> firstValidOrder(int count, Set<List<Integer>> edges) {
        Map<Integer, Integer> position = new HashMap<>();
        for (List<Integer> order : permutations(count)) {
            for (int i = 0; i < count; i++) {
                position.put(order.get(i), i);
            }
            if (edges.stream().allMatch(e -> position.get(e.get(0)) < position.get(e.get(1)))) {
                return order.stream().map(d -> "d" + d).toList();
            }
        }
        return null;
    }

    /** All permutations of 0..count-1, in lexicographic order. */
    private static List<List<Integer>> permutations(int count) {
        List<List<Integer>> all = new ArrayList<>();
        permute(new ArrayList<>(), count, all);
        return all;
    }

    private static void permute(List<Integer> prefix, int count, List<List<Integer>> all) {
        if (prefix.size() == count) {
            all.add(List.copyOf(prefix));
            return;
        }
        for (int next = 0; next < count; next++) {
            if (!prefix.contains(next)) {
                prefix.add(next);
                permute(prefix, count, all);
                prefix.removeLast();
            }
        }
    }
}
