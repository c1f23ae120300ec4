package org.xensshm.engine;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xensshm.engine.SelfTestReport.MapSpaceFinding;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.Errno;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.MapSpace;
import org.xensshm.host.PageBatch;
import org.xensshm.host.Store;
import org.xensshm.host.XenCallException;
import org.xensshm.host.XsPermission;

/**
 * Finds out what a hypervisor does with shared pages, on two scratch domains it creates and
 * destroys itself (an owner with two pages and an empty borrower, both paused, never run); it
 * never touches another domain. For each map space: does a one-page batch map, and does the
 * mapping hold a reference on the owner's page (the owner's page count across the removal of the
 * mapping)? Does the hypervisor take removals batched into a multicall? And who is it?
 *
 * <p>The answer is kept in xenstore, {@code /tool/xen-sshm/selftest/<key>} (dom0 only), keyed by
 * the hypervisor's identity: xenstore lives as long as the hypervisor's boot, so the test runs
 * once per boot and build.
 */
public final class HypervisorSelfTest {

    private static final Logger log = LoggerFactory.getLogger(HypervisorSelfTest.class);

    static final String CACHE = "/tool/xen-sshm/selftest";
    /** The start of guest RAM in Xen's Arm guest layout. */
    private static final long FIRST_GFN = 0x40000;
    private static final long GONE_WAIT_NANOS = 30_000_000_000L;
    private static final List<XsPermission> DOM0_ONLY = List.of(new XsPermission(0, XsPermission.Access.NONE));

    private final Hypervisor hypervisor;
    private final Store store;

    /**
     * A self-test of this hypervisor, caching its answer in this store.
     *
     * @param hypervisor the hypervisor to probe
     * @param store where the answer is kept until the hypervisor reboots
     */
    public HypervisorSelfTest(Hypervisor hypervisor, Store store) {
        this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
        this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * What an earlier run on this hypervisor since its boot found, if one did.
     *
     * @return the cached report, or empty
     */
    public Optional<SelfTestReport> cached() {
        String path = cachePath();
        return store.inTransaction(8, tx -> tx.read(path)).flatMap(text -> decode(text, hypervisor));
    }

    /**
     * The cached answer, or a fresh run.
     *
     * @return what the hypervisor does with shared pages
     */
    public SelfTestReport cachedOrRun() {
        return cached().orElseGet(this::run);
    }

    /**
     * Runs the test now and keeps its answer.
     *
     * @return what the hypervisor does with shared pages, now also cached
     * @throws XenCallException when the scratch domains cannot be made or the hypervisor fails a
     *                          call as a whole
     */
    public SelfTestReport run() {
        List<MapSpaceFinding> findings = new ArrayList<>();
        boolean[] batched = {true};
        int owner = hypervisor.createScratchDomain();
        int borrower = -1;
        try {
            hypervisor.populate(owner, FIRST_GFN, 2);
            borrower = hypervisor.createScratchDomain();
            findings.add(probe(MapSpace.GMFN_SHARE, owner, borrower, FIRST_GFN, batched));
            // A domU may map another's pages with gmfn_foreign only as its device model.
            hypervisor.setTarget(borrower, owner);
            findings.add(probe(MapSpace.GMFN_FOREIGN, owner, borrower, FIRST_GFN + 1, batched));
            if (findings.stream().noneMatch(MapSpaceFinding::maps)) {
                remove(borrower, FIRST_GFN, batched);   // nothing there: asks only whether batches are taken
            }
        } finally {
            // The borrower first: it holds references on the owner (its target, its mappings).
            destroyAndWait(borrower);
            destroyAndWait(owner);
        }
        SelfTestReport report = new SelfTestReport(hypervisor.identity(), findings, batched[0]);
        log.info("hypervisor self-test on {}: {}{}", report.identity(), report.mapSpaces(),
                report.batchedRemovals() ? ", batched removals taken" : ", batched removals refused");
        store.inTransaction(8, tx -> {
            tx.write(cachePath(), encode(report));
            tx.setPermissions(CACHE, DOM0_ONLY);
            return null;
        });
        return report;
    }

    private MapSpaceFinding probe(MapSpace space, int owner, int borrower, long gfn, boolean[] batched) {
        int errno;
        try (PageBatch batch = PageBatch.allocate(1)) {
            batch.fillRange(gfn, gfn, 1);
            try {
                hypervisor.addToPhysmapBatch(borrower, owner, space, batch);
                errno = Math.abs(batch.error(0));
            } catch (XenCallException e) {
                errno = e.errno();
            }
        }
        if (errno != 0) {
            return new MapSpaceFinding(space, errno, Optional.empty());
        }
        long before = pages(owner);
        remove(borrower, gfn, batched);
        return new MapSpaceFinding(space, 0, Optional.of(pages(owner) == before));
    }

    /** Removes one gfn, in a batch while the hypervisor takes them. */
    private void remove(int domid, long gfn, boolean[] batched) {
        if (batched[0]) {
            try (PageBatch batch = PageBatch.allocate(1)) {
                batch.fillTargets(gfn, 1);
                hypervisor.removeFromPhysmapBatch(domid, batch);
                int errno = Math.abs(batch.error(0));
                if (errno != 0 && errno != Errno.ENOENT) {
                    throw new XenCallException("remove_from_physmap", "domid=" + domid + ", gfn 0x"
                            + Long.toHexString(gfn) + " (batched)", errno);
                }
                return;
            } catch (XenCallException e) {
                if (e.errno() != Errno.ENOSYS && e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EPERM) {
                    throw e;
                }
                batched[0] = false;
            }
        }
        try {
            hypervisor.removeFromPhysmap(domid, gfn);
        } catch (XenCallException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
        }
    }

    private long pages(int domid) {
        return hypervisor.domainInfo(domid).map(DomainInfo::totalPages).orElse(0L);
    }

    /** Destroys a scratch domain and waits until Xen has let it go (its teardown is asynchronous). */
    private void destroyAndWait(int domid) {
        if (domid < 0) {
            return;
        }
        hypervisor.destroyDomain(domid);
        long deadline = System.nanoTime() + GONE_WAIT_NANOS;
        while (hypervisor.domainInfo(domid).isPresent()) {
            if (System.nanoTime() > deadline) {
                throw new XenCallException("xc_domain_destroy", "domid=" + domid, Errno.EBUSY,
                        "the self-test's scratch domain is still dying after 30 s");
            }
            LockSupport.parkNanos(20_000_000);
        }
    }

    private String cachePath() {
        return CACHE + "/" + key(hypervisor.identity().toString());
    }

    /** A xenstore path component for an identity. */
    static String key(String identity) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** {@code batched=yes gmfn_share=0/unreferenced gmfn_foreign=0/referenced}; errnos as numbers. */
    static String encode(SelfTestReport report) {
        StringBuilder text = new StringBuilder("batched=" + (report.batchedRemovals() ? "yes" : "no"));
        for (MapSpaceFinding finding : report.mapSpaces()) {
            text.append(' ').append(finding.space().name().toLowerCase(java.util.Locale.ROOT)).append('=')
                    .append(finding.errno());
            finding.holdsReference().ifPresent(held -> text.append(held ? "/referenced" : "/unreferenced"));
        }
        return text.toString();
    }

    static Optional<SelfTestReport> decode(String text, Hypervisor hypervisor) {
        try {
            boolean batched = false;
            List<MapSpaceFinding> findings = new ArrayList<>();
            for (String field : text.strip().split(" ")) {
                String[] pair = field.split("=", 2);
                if (pair[0].equals("batched")) {
                    batched = pair[1].equals("yes");
                    continue;
                }
                String[] result = pair[1].split("/", 2);
                Optional<Boolean> held = result.length == 1 ? Optional.empty() : Optional.of(result[1].equals("referenced"));
                findings.add(new MapSpaceFinding(MapSpace.valueOf(pair[0].toUpperCase(java.util.Locale.ROOT)),
                        Integer.parseInt(result[0]), held));
            }
            return Optional.of(new SelfTestReport(hypervisor.identity(), findings, batched));
        } catch (RuntimeException e) {
            log.warn("ignoring an unreadable cached self-test result '{}': {}", text, e.toString());
            return Optional.empty();
        }
    }
}
