package org.xensshm.e2e.dom0;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.host.DomainInfo;
import org.xensshm.host.Errno;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.XenCallException;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.SpecValidator;
import org.xensshm.spec.XlConfigParser;
import org.xensshm.xen.XenHost;

/**
 * What a scenario works with in dom0: the library over the real host, the domains it made with
 * {@code xl} (destroyed when it ends, whatever happened), and the ways to see what a guest sees.
 */
final class Lab {

    /** Where every test guest's RAM starts (Xen's Arm guest layout): gfn 0x40000. */
    static final long RAM_BASE = 0x4000_0000L;
    /** A borrower window: above a test guest's RAM, clear of Xen's fixed guest areas. */
    static final long WINDOW_BASE = 0x5000_0000L;
    static final long PAGE = 4096;
    private static final Duration GONE_PATIENCE = Duration.ofSeconds(30);

    /** A domain made by {@code xl create -p} for a scenario. */
    record Guest(String name, int domid, int memoryMiB) {
    }

    final Report report;
    final XenHost host;
    private final List<Guest> guests = new ArrayList<>();
    private final Set<Integer> running = new LinkedHashSet<>();
    private final long nonce = new SecureRandom().nextLong();

    Lab(Report report, XenHost host) {
        this.report = report;
        this.host = host;
    }

    Hypervisor hypervisor() {
        return host.hypervisor();
    }

    StaticShmEngine engine(EngineSettings settings) {
        return new StaticShmEngine(host.hypervisor(), host.store(), settings);
    }

    Guest create(String name, int memoryMiB) {
        Guest guest = new Guest(name, Xl.createPaused(name, memoryMiB), memoryMiB);
        guests.add(guest);
        return guest;
    }

    /**
     * The specs of an xl config for {@code guest} with these {@code static_shm} entries, as the
     * CLI reads them from a file.
     */
    DomainSpecs specs(Guest guest, String... staticShm) {
        StringBuilder config = new StringBuilder("name = \"").append(guest.name()).append("\"\nmemory = ")
                .append(guest.memoryMiB()).append("\nstatic_shm = [");
        for (int i = 0; i < staticShm.length; i++) {
            config.append(i == 0 ? " \"" : ", \"").append(staticShm[i]).append('"');
        }
        config.append(" ]\n");
        return SpecValidator.validate(XlConfigParser.parse(config.toString(), guest.name() + ".cfg"),
                hypervisor().platform());
    }

    /**
     * Writes a mark on each of {@code pages} pages of the owner from {@code gfn} on: the page's
     * number, its gfn and a value drawn at run time, so that no earlier boot or stale page can
     * pass for it.
     */
    void stamp(Guest owner, long gfn, int pages) {
        for (int i = 0; i < pages; i++) {
            Peek.write(owner.domid(), gfn + i, mark(gfn + i));
        }
    }

    /** The mark {@link #stamp} writes on page {@code gfn}: "SSHM-E2E", the nonce, the gfn. */
    String mark(long gfn) {
        HexFormat hex = HexFormat.of();
        return hex.formatHex("SSHM-E2E".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                + hex.toHexDigits(nonce) + hex.toHexDigits(gfn);
    }

    /** The first 64 bytes of one of the owner's pages, as dom0 reads them. */
    String ownerBytes(Guest owner, long gfn) {
        return Peek.read(owner.domid(), gfn, 64);
    }

    /**
     * What the guest reads at {@code address} (its first 64 bytes, as hex), or "fault: ..." when
     * the read faults; unpauses the guest the first time.
     */
    String guestSees(Guest guest, long address) {
        long gen = Peek.watch(guest.domid(), address);
        if (running.add(guest.domid())) {
            Xl.unpause(guest.name());
        }
        var report = Peek.seen(guest.domid(), gen);
        if (!String.valueOf(gen).equals(report.get("gen"))) {
            return "no report of generation " + gen + ": " + report;
        }
        return "none".equals(report.get("fault")) ? report.get("bytes")
                : "fault: " + report.get("fault") + " far=" + report.get("far") + " esr=" + report.get("esr");
    }

    /** Where the engine keeps a domain's role entries. */
    static String roleDirectory(Guest guest) {
        return "/local/domain/" + guest.domid() + "/static_shm";
    }

    /** The domain's handle (the UUID xl gave it), as the engine records it. */
    String handle(Guest guest) {
        return hypervisor().domainInfo(guest.domid()).orElseThrow().handle().toString();
    }

    /** The domain's page count, or -1 when it is gone. */
    long totalPages(int domid) {
        return hypervisor().domainInfo(domid).map(DomainInfo::totalPages).orElse(-1L);
    }

    /** Removes the page at {@code gfn}: "ok" or the errno name (ENOENT: nothing was mapped there). */
    String removePage(Guest guest, long gfn) {
        try {
            hypervisor().removeFromPhysmap(guest.domid(), gfn);
            return "ok";
        } catch (XenCallException e) {
            return Errno.name(e.errno());
        }
    }

    /** {@code xl destroy}, then the domain's state once Xen had time to finish: gone, dying or alive. */
    String destroy(Guest guest) {
        Xl.destroy(guest.name());
        running.remove(guest.domid());
        guests.remove(guest);
        return settledState(guest.domid());
    }

    /** "gone", or "dying"/"alive" when it is still there after a while. */
    String settledState(int domid) {
        return settledState(domid, GONE_PATIENCE);
    }

    /** "gone", or "dying"/"alive" when it is still there after {@code patience}. */
    String settledState(int domid, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        Optional<DomainInfo> info;
        while ((info = hypervisor().domainInfo(domid)).isPresent() && System.nanoTime() < deadline) {
            if (!info.get().dying()) {
                return "alive";
            }
            pause(Duration.ofMillis(200));
        }
        return info.map(i -> i.dying() ? "dying" : "alive").orElse("gone");
    }

    /** A guest something else unpaused (a watcher): the lab must not unpause it again. */
    void markRunning(Guest guest) {
        running.add(guest.domid());
    }

    /** A domain the scenario destroyed by other means: no longer the lab's to destroy. */
    void forget(Guest guest) {
        guests.remove(guest);
        running.remove(guest.domid());
    }

    /**
     * Ends a scenario: its domains destroyed (borrowers, made later, first) and the records of
     * what is gone reconciled, so that the next scenario starts from a clean host. What cannot be
     * cleaned is reported as a failed check.
     */
    void cleanUp() {
        StaticShmEngine engine = engine(EngineSettings.defaults());
        for (Guest guest : List.copyOf(guests).reversed()) {
            try {
                Xl.destroy(guest.name());
            } catch (IllegalStateException e) {
                report.check("cleanup-destroy-" + guest.name(), false, e.getMessage());
            }
        }
        for (Guest guest : List.copyOf(guests)) {
            report.check("cleanup-gone-" + guest.name(), settledState(guest.domid()).equals("gone"),
                    "domain " + guest.domid() + " after xl destroy");
        }
        guests.clear();
        running.clear();
        engine.reconcile();
        report.check("cleanup-records", XenstoreTree.below("/libxl").isEmpty(),
                "left under /libxl: " + XenstoreTree.below("/libxl"));
    }

    static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
