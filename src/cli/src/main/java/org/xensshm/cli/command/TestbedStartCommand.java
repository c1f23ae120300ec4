package org.xensshm.cli.command;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.xensshm.cli.output.TestbedView;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.testbed.DetachedTestBed.Domain;
import org.xensshm.testkit.testbed.DetachedTestBed;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Starts a long-lived test bed and writes the env file that points later commands at it. */
@Command(name = "start", header = "Start the test bed.",
        description = "Starts a detached xenstored and a simulated hypervisor with the given domains, each with "
                + "RAM from guest address 0 and its name in xenstore, then writes the env file "
                + "($XEN_SSHM_TESTBED_ENV) that the launcher sources for later commands.")
final class TestbedStartCommand extends CliCommand {

    @Option(names = "--domain", paramLabel = "NAME=DOMID",
            description = "A domain to create; repeat for more (default: vm1=1 vm2=2 vm3=3).")
    Map<String, Integer> domains = new LinkedHashMap<>();

    @Option(names = "--ram", paramLabel = "SIZE", defaultValue = "4M", converter = BytesConverter.class,
            description = "RAM of each domain, from guest address 0 (default: ${DEFAULT-VALUE}: the "
                    + "example's owner ranges; its borrower windows, from 0x500000, stay unpopulated).")
    long ram;

    @Override
    public Integer call() {
        List<Domain> guests = guests();
        if (ram <= 0 || ram % SshmSpec.PAGE_SIZE != 0) {
            throw new InputException("--ram " + ram + " is not a positive multiple of 4 KiB");
        }
        Path envFile = TestbedCommand.envFile();
        DetachedTestBed.start(envFile, guests, ram);
        output().report(TestbedView.of(envFile, "test bed started"));
        return ExitStatus.OK;
    }

    private List<Domain> guests() {
        if (domains.isEmpty()) {
            return TestbedCommand.defaultDomains();
        }
        List<Domain> guests = new ArrayList<>();
        Set<Integer> domids = new HashSet<>();
        domains.forEach((name, domid) -> {
            // The env file lists domains as name=domid words.
            if (!name.matches("[A-Za-z0-9_.-]+")) {
                throw new InputException("--domain " + name + "=" + domid + ": a name may hold letters, digits,"
                        + " '_', '.' and '-' only");
            }
            if (domid < 1 || domid > MAX_DOMID) {
                throw new InputException("--domain " + name + "=" + domid + ": a guest's domid is 1.." + MAX_DOMID);
            }
            if (!domids.add(domid)) {
                throw new InputException("--domain " + name + "=" + domid + ": domid " + domid + " is given twice");
            }
            guests.add(new Domain(name, domid));
        });
        return guests;
    }
}
