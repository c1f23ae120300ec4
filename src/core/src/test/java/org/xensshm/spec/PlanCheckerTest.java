package org.xensshm.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class PlanCheckerTest {

    static DomainConfig domain(String name, SpecDraft... drafts) {
        return new DomainConfig(name, name + ".cfg", List.of(drafts));
    }

    static SpecDraft owns(String id, long begin, long size) {
        return SshmSpec.builder(id).role(Role.OWNER).begin(begin).size(size).build();
    }

    static SpecDraft borrows(String id, long begin, long size) {
        return SshmSpec.builder(id).begin(begin).size(size).build();
    }

    @Test
    void ownersComeFirstAndTiesKeepTheInputOrder() {
        Plan plan = PlanChecker.check(List.of(
                domain("b1", borrows("X", 0x10000, 0x1000)),
                domain("idle"),
                domain("b2", borrows("X", 0x10000, 0x1000), borrows("Y", 0x20000, 0x1000)),
                domain("o2", owns("Y", 0x1000, 0x1000), borrows("X", 0x10000, 0x1000)),
                domain("o1", owns("X", 0x1000, 0x1000))), Platform.ARM);
        // idle is free from the start; o1 frees b1 (earlier) and o2; o2 frees b2.
        assertEquals(List.of("idle", "o1", "b1", "o2", "b2"), plan.creationOrder());
        assertEquals(List.of("X", "Y"), plan.regions().stream().map(Plan.Region::id).toList());
        assertEquals(List.of("b1", "b2", "o2"), plan.region("X").orElseThrow().borrowers().stream()
                .map(Plan.Borrower::domain).toList());
        assertEquals(2, plan.domain("b2").orElseThrow().specs().size());
    }

    @Test
    void aRegionWithoutBorrowersIsStillListed() {
        Plan plan = PlanChecker.check(List.of(domain("o", owns("LONE", 0, 0x1000))), Platform.ARM);
        assertEquals(List.of(), plan.region("LONE").orElseThrow().borrowers());
    }

    @Test
    void reportsAllPlanProblemsTogether() {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> PlanChecker.check(List.of(
                        domain("vm1", owns("A", 0x100000, 0x10000),
                                SshmSpec.builder("R").role(Role.OWNER).prot(Prot.RO).begin(0)
                                        .size(0x1000).build()),
                        domain("vm2", owns("A", 0x100000, 0x10000), borrows("NONE", 0, 0x1000)),
                        domain("vm3", borrows("R", 0, 0x1000),
                                SshmSpec.builder("A").begin(0x10000).size(0x1000).offset(0x20000)
                                        .build())), Platform.ARM));
        assertEquals(List.of("vm2 A role", "vm2 NONE id", "vm3 R prot"), thrown.problems().stream()
                .map(p -> p.domain() + " " + p.specId() + " " + p.field()).toList());
    }

    @Test
    void aBrokenSpecDoesNotCascadeIntoOtherDomains() {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> PlanChecker.check(List.of(
                        domain("vm1", owns("A", 0x100001, 0x10000)),
                        domain("vm2", borrows("A", 0, 0x1000)),
                        domain("vm3", borrows("A", 0, 0x1000))), Platform.ARM));
        // Only the unaligned begin: not "no owner" for each borrower as well.
        assertEquals(List.of("vm1 A begin"), thrown.problems().stream()
                .map(p -> p.domain() + " " + p.specId() + " " + p.field()).toList());
    }

    @Test
    void namesTheWholeCycle() {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> PlanChecker.check(List.of(
                        domain("before", owns("P", 0, 0x1000)),
                        domain("vm1", owns("X", 0, 0x1000), borrows("Y", 0x10000, 0x1000),
                                borrows("P", 0x20000, 0x1000)),
                        domain("vm2", owns("Y", 0, 0x1000), borrows("X", 0x10000, 0x1000)),
                        domain("after", borrows("X", 0, 0x1000))), Platform.ARM));
        assertEquals(1, thrown.problems().size());
        assertEquals("domain vm1, static_shm[1] (id Y), role: no creation order works:"
                + " vm2 borrows X from vm1, vm1 borrows Y from vm2; each owner must be created"
                + " before its borrowers", thrown.getMessage());
    }

    @Test
    void reportsSeparateCyclesSeparately() {
        InvalidSpecException thrown = assertThrows(InvalidSpecException.class,
                () -> PlanChecker.check(List.of(
                        domain("a", owns("AB", 0, 0x1000), borrows("BA", 0x10000, 0x1000)),
                        domain("b", owns("BA", 0, 0x1000), borrows("AB", 0x10000, 0x1000)),
                        domain("c", owns("CD", 0, 0x1000), borrows("DC", 0x10000, 0x1000)),
                        domain("d", owns("DC", 0, 0x1000), borrows("CD", 0x10000, 0x1000))),
                        Platform.ARM));
        assertEquals(List.of("a BA role", "c DC role"), thrown.problems().stream()
                .map(p -> p.domain() + " " + p.specId() + " " + p.field()).toList());
    }
}
