package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;
import org.xensshm.engine.RegionRefusedException.Reason;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XsPermission;
import org.xensshm.spec.CachePolicy;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.Prot;
import org.xensshm.spec.Role;
import org.xensshm.spec.SpecProblem;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.fault.FaultInjector;

/**
 * What the conformance suites share: a fresh host per test (a subclass supplies the backends
 * through {@link #newHost()}), the example domains and specs, and the ways to look at the host.
 *
 * <p>Host state is compared as a whole: every xenstore node with its value, and the number of
 * mapped pages of each domain involved. "Nothing left behind" means both equal what they were.
 */
public abstract class ConformanceSupport {

    protected static final int VM1 = 1;
    protected static final int VM2 = 2;
    protected static final int VM3 = 3;
    protected static final int VM4 = 4;

    /** Every test domain gets this much RAM of its own, at Arm's GUEST_RAM0_BASE. */
    protected static final long RAM_GFN = 0x40000;
    protected static final int RAM_PAGES = 16;

    /** The example of the syntax reference: vm1 owns ID1 and ID2, vm2 and vm3 borrow. */
    protected static final SshmSpec ID1_OWNER = owner("ID1", 0x100000, 0x200000);
    protected static final SshmSpec ID2_OWNER = owner("ID2", 0x300000, 0x400000);
    protected static final SshmSpec ID1_VM2 = borrower("ID1", 0x500000, 0x600000, 0);
    protected static final SshmSpec ID2_VM3 = borrower("ID2", 0x690000, 0x780000, 0x10000);

    protected ConformanceHost host;

    /** A fresh host: dom0 only, patched personality. */
    protected abstract ConformanceHost newHost();

    /**
     * A fresh host whose hypervisor has been self-tested already, as on a host where some attach
     * ran before: the test's answer is kept in the store and then only read.
     */
    @BeforeEach
    void createHost() {
        host = newHost();
        new HypervisorSelfTest(host.hypervisor(), host.store()).run();
    }

    @AfterEach
    void closeHost() {
        host.close();
    }

    /** The store as a whole and the mapped page count of some domains. */
    protected record HostState(SortedMap<String, String> store, Map<Integer, Long> pages) {
    }

    protected HostState snapshot(int... domids) {
        Map<Integer, Long> pages = new LinkedHashMap<>();
        for (int domid : domids) {
            pages.put(domid, host.mappedPages(domid));
        }
        return new HostState(dump(), pages);
    }

    /**
     * Every node of the store with its value, read through the seam; but the hypervisor self-test's
     * answers, which the engine keeps for the boot and are no record of regions.
     */
    protected SortedMap<String, String> dump() {
        SortedMap<String, String> out = new TreeMap<>();
        try (StoreTransaction tx = host.store().begin()) {
            walk(tx, "/", out);
        }
        out.keySet().removeIf(path -> path.startsWith("/tool/xen-sshm"));
        return out;
    }

    private static void walk(StoreTransaction tx, String path, SortedMap<String, String> out) {
        tx.read(path).ifPresent(value -> out.put(path, value));
        for (String child : tx.list(path)) {
            walk(tx, path.equals("/") ? "/" + child : path + "/" + child, out);
        }
    }

    protected static SortedMap<String, String> subtree(SortedMap<String, String> store, String path) {
        return new TreeMap<>(store.subMap(path, path + "0"));
    }

    protected List<XsPermission> permissions(String path) {
        try (StoreTransaction tx = host.store().begin()) {
            return tx.permissions(path);
        }
    }

    protected static SshmSpec owner(String id, long begin, long end) {
        return new SshmSpec(id, Role.OWNER, begin, end - begin, 0, Prot.RW, CachePolicy.ARM_NORMAL);
    }

    protected static SshmSpec borrower(String id, long begin, long end, long offset) {
        return new SshmSpec(id, Role.BORROWER, begin, end - begin, offset, Prot.RW, null);
    }

    protected StaticShmEngine engine() {
        return new StaticShmEngine(host.hypervisor(), host.store());
    }

    protected StaticShmEngine engine(FaultInjector faults, EngineSettings settings) {
        return new StaticShmEngine(faults.wrap(host.hypervisor()), faults.wrap(host.store()), settings);
    }

    /** The domain's handle, as the engine records it. */
    protected Optional<UUID> handle(int domid) {
        return Optional.of(host.hypervisor().domainInfo(domid).orElseThrow().handle());
    }

    /** A domain with its own RAM. */
    protected void domain(int domid) {
        host.createDomain(domid);
        host.populate(domid, RAM_GFN, RAM_PAGES);
    }

    /** vm1 with RAM behind ID1 and ID2, vm2 and vm3. */
    protected void exampleDomains() {
        domain(VM1);
        host.populate(VM1, 0x100, 0x100);
        host.populate(VM1, 0x300, 0x100);
        domain(VM2);
        domain(VM3);
    }

    protected void write(int domid, long address, String text) {
        host.writeGuest(domid, address, text.getBytes(StandardCharsets.UTF_8));
    }

    protected String read(int domid, long address, int length) {
        return new String(host.readGuest(domid, address, length), StandardCharsets.UTF_8);
    }

    /** Bytes written at one address are read at the other, both ways. */
    protected void assertShared(int domid, long address, int otherDomid, long otherAddress) {
        byte[] bytes = ("from " + domid + "@" + Long.toHexString(address)).getBytes(StandardCharsets.UTF_8);
        host.writeGuest(domid, address, bytes);
        assertArrayEquals(bytes, host.readGuest(otherDomid, otherAddress, bytes.length));
        byte[] back = ("back from " + otherDomid).getBytes(StandardCharsets.UTF_8);
        host.writeGuest(otherDomid, otherAddress, back);
        assertArrayEquals(back, host.readGuest(domid, address, back.length));
    }

    protected void assertInvalid(String field, Executable action) {
        SortedMap<String, String> before = dump();
        InvalidSpecException e = assertThrows(InvalidSpecException.class, action);
        assertEquals(List.of(field), e.problems().stream().map(SpecProblem::field).toList(), e.getMessage());
        assertEquals(before, dump(), "an invalid spec changed the store: " + e.getMessage());
    }

    protected RegionRefusedException assertRefused(Reason reason, Executable action) {
        SortedMap<String, String> before = dump();
        RegionRefusedException e = assertThrows(RegionRefusedException.class, action);
        assertEquals(reason, e.reason(), e.getMessage());
        assertFalse(e.needsReconcile());
        assertEquals(before, dump(), "refusal changed the store: " + e.getMessage());
        return e;
    }
}
