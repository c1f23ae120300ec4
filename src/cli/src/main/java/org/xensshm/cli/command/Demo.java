package org.xensshm.cli.command;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.xensshm.cli.output.AttachView;
import org.xensshm.cli.output.DetachView;
import org.xensshm.cli.output.Hex;
import org.xensshm.cli.output.JsonView;
import org.xensshm.cli.output.Output;
import org.xensshm.cli.output.PlanView;
import org.xensshm.cli.output.View;
import org.xensshm.engine.StaticShmEngine;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.PageRange;
import org.xensshm.spec.Plan;
import org.xensshm.spec.PlanChecker;
import org.xensshm.spec.Platform;
import org.xensshm.spec.XlConfigParser;
import org.xensshm.testkit.testbed.DetachedTestBed.Domain;
import org.xensshm.testkit.testbed.ProcessEnvironment;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.XenStore;

/**
 * The demo: the example of three domains and two regions (vm1 owns ID1 and ID2, vm2 borrows all
 * of ID1, vm3 borrows ID2 from an offset on), taken through every step on a private user-space Xen,
 * each step under a heading and each claim checked: a check that fails ends the demo with
 * exit status 1. Everything it starts it also stops and removes, so it can run again at once.
 */
final class Demo {

    private static final List<Domain> DOMAINS = TestbedCommand.defaultDomains();
    private static final long RAM_BYTES = 4 << 20;

    private final Output output;
    private final Map<String, Integer> domids = new LinkedHashMap<>();
    /** What --json prints at the end, gathered step by step. */
    private final Map<String, Object> facts = new LinkedHashMap<>();
    private int sections;

    Demo(Output output) {
        this.output = output;
        DOMAINS.forEach(domain -> domids.put(domain.name(), domain.domid()));
    }

    View run() {
        facts.put("ok", false);
        Path home;
        try {
            home = Files.createTempDirectory("xen-sshm-demo-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the demo's directory", e);
        }
        try {
            // Unset, the simulator keeps its state in an anonymous mapping: private to this
            // process and gone with it, so a long-lived test bed's state file is never touched.
            ProcessEnvironment.unset("XENSIM_STATE");
            try (TestBed bed = TestBed.start(home)) {
                SimulatedHypervisor xen = bed.hypervisor();
                startDomains(bed, xen);
                try (XenStore store = XenStore.open(); NativeHost host = NativeHost.open()) {
                    DOMAINS.forEach(domain -> domain.publish(store));
                    Plan plan = plan(configs());
                    attach(host, plan);
                    mappings(xen, plan);
                    messages(xen, plan);
                    records(store);
                    detach(host, plan);
                    nothingLeft(store, host.engine(), xen, plan);
                }
            }
        } finally {
            removeHome(home);
        }
        output.say("The test bed is stopped and " + home + " removed.");
        facts.put("ok", true);
        return new JsonView(facts);
    }

    private void startDomains(TestBed bed, SimulatedHypervisor xen) {
        section("A private user-space Xen");
        xen.personality(SimulatedHypervisor.Personality.SERIES_FIXED);
        DOMAINS.forEach(domain -> domain.create(xen, RAM_BYTES));
        output.say("A simulated hypervisor of our own (patched with the static shm series) and a real");
        output.say("xenstored (pid " + bed.xenstored().pid() + "). Three running domains, each with "
                + (RAM_BYTES >> 20) + " MiB of RAM from guest address 0:");
        DOMAINS.forEach(d -> output.say("  " + d.name() + " = domain " + d.domid()));
    }

    private List<DomainConfig> configs() {
        section("The xl configs");
        List<DomainConfig> configs = new ArrayList<>();
        for (Domain domain : DOMAINS) {
            String file = domain.name() + ".cfg";
            String text = resource("demo-" + file);
            output.say("--- " + file);
            output.say(text.stripTrailing());
            configs.add(XlConfigParser.parse(text, file));
        }
        return configs;
    }

    private Plan plan(List<DomainConfig> configs) {
        section("The plan (what 'xen-sshm check vm1.cfg vm2.cfg vm3.cfg' prints)");
        Plan plan = PlanChecker.check(configs, Platform.ARM);
        PlanView report = new PlanView(plan, Platform.ARM);
        output.say(report.text().stripTrailing());
        facts.put("plan", report.json());
        return plan;
    }

    private void attach(NativeHost host, Plan plan) {
        section("Attach, in creation order");
        StaticShmEngine engine = host.engine();
        for (DomainSpecs domain : plan.domains()) {
            int domid = domids.get(domain.name());
            output.say(new AttachView(host.label(domid), engine.attach(domid, domain)).text().stripTrailing());
        }
    }

    /** Each borrower page must be backed by the very frame behind the owner's page. */
    private void mappings(SimulatedHypervisor xen, Plan plan) {
        section("The mappings: owner frames seen through each borrower");
        List<Object> mappings = new ArrayList<>();
        for (Plan.Region region : plan.regions()) {
            for (Plan.Borrower borrower : region.borrowers()) {
                PageRange from = borrower.ownerPages();
                PageRange to = borrower.pages();
                long shared = 0;
                for (long i = 0; i < to.count(); i++) {
                    Optional<Long> frame = xen.frameOf(domids.get(borrower.domain()), to.first() + i);
                    if (frame.isPresent() && frame.equals(xen.frameOf(domids.get(region.owner()), from.first() + i))) {
                        shared++;
                    }
                }
                output.say(borrower.domain() + " borrows " + region.id() + ": " + region.owner() + "'s gfns " + from
                        + " -> " + borrower.domain() + "'s gfns " + to + ", " + shared + " of " + to.count()
                        + " frames shared");
                check(shared == to.count(), borrower.domain() + " does not see all of " + region.owner()
                        + "'s frames of " + region.id());
                Map<String, Object> mapping = new LinkedHashMap<>();
                mapping.put("region", region.id());
                mapping.put("owner", region.owner());
                mapping.put("borrower", borrower.domain());
                mapping.put("ownerGfns", PlanView.pagesJson(from));
                mapping.put("gfns", PlanView.pagesJson(to));
                mapping.put("framesShared", shared);
                mappings.add(mapping);
            }
        }
        facts.put("mappings", mappings);
    }

    /** A message written into the owner's RAM, read back from each borrower's own addresses. */
    private void messages(SimulatedHypervisor xen, Plan plan) {
        section("A message through shared memory");
        List<Object> messages = new ArrayList<>();
        for (Plan.Region region : plan.regions()) {
            for (Plan.Borrower borrower : region.borrowers()) {
                String message = "Hello " + borrower.domain() + ", this is " + region.owner() + " on " + region.id();
                byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
                // What the borrower sees at its begin is the owner's page at its offset.
                long written = region.ownerSpec().begin() + borrower.spec().offset();
                long readAt = borrower.spec().begin();
                xen.write(domids.get(region.owner()), written, bytes);
                String read = new String(xen.read(domids.get(borrower.domain()), readAt, bytes.length),
                        StandardCharsets.US_ASCII);
                output.say(String.format("%-3s writes at %-9s \"%s\"", region.owner(), Hex.of(written), message));
                output.say(String.format("%-3s reads  at %-9s \"%s\"", borrower.domain(), Hex.of(readAt), read));
                check(read.equals(message), borrower.domain() + " read \"" + read + "\" instead of \"" + message + "\"");
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("region", region.id());
                entry.put("writer", region.owner());
                entry.put("writtenAt", Hex.of(written));
                entry.put("reader", borrower.domain());
                entry.put("readAt", Hex.of(readAt));
                entry.put("message", message);
                entry.put("read", read);
                messages.add(entry);
            }
        }
        facts.put("messages", messages);
    }

    private void records(XenStore store) {
        section("The records in xenstore");
        List<String> lines = new ArrayList<>(XenstoreTree.lines(store, "/libxl/static_shm"));
        DOMAINS.forEach(d -> lines.addAll(XenstoreTree.lines(store, store.domainPath(d.domid()) + "/static_shm")));
        lines.forEach(output::say);
        facts.put("xenstore", lines);
    }

    private void detach(NativeHost host, Plan plan) {
        section("Detach, borrowers first");
        StaticShmEngine engine = host.engine();
        for (DomainSpecs domain : plan.domains().reversed()) {
            int domid = domids.get(domain.name());
            output.say(new DetachView(host.label(domid), engine.detach(domid)).text().stripTrailing());
        }
    }

    private void nothingLeft(XenStore store, StaticShmEngine engine, SimulatedHypervisor xen, Plan plan) {
        section("Nothing left");
        int regions = engine.status().regions().size();
        long roles = DOMAINS.stream().mapToLong(d -> store.list(XenStore.NO_TRANSACTION,
                store.domainPath(d.domid()) + "/static_shm").size()).sum();
        long mapped = 0;
        for (Plan.Region region : plan.regions()) {
            for (Plan.Borrower borrower : region.borrowers()) {
                for (long i = 0; i < borrower.pages().count(); i++) {
                    if (xen.frameOf(domids.get(borrower.domain()), borrower.pages().first() + i).isPresent()) {
                        mapped++;
                    }
                }
            }
        }
        output.say("regions under /libxl/static_shm:           " + regions);
        output.say("entries under /local/domain/*/static_shm:  " + roles);
        output.say("pages still mapped in borrowers' windows:  " + mapped);
        check(regions == 0 && roles == 0 && mapped == 0, "the detach left something behind");
        Map<String, Object> left = new LinkedHashMap<>();
        left.put("regions", regions);
        left.put("domainEntries", roles);
        left.put("mappedPages", mapped);
        facts.put("left", left);
    }

    /** Closing the test bed removed the daemon's directory, the only thing the demo put here. */
    private void removeHome(Path home) {
        try {
            Files.deleteIfExists(home);
        } catch (IOException e) {
            output.warn("could not remove " + home + ": " + e.getMessage());
        }
    }

    private void section(String heading) {
        output.say("");
        output.say("== " + ++sections + ". " + heading + " ==");
    }

    private static void check(boolean holds, String failure) {
        if (!holds) {
            throw new IllegalStateException("demo: " + failure);
        }
    }

    private static String resource(String name) {
        try (InputStream in = Demo.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the demo's " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the demo's " + name, e);
        }
    }

}
