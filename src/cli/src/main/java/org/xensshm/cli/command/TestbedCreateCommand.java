package org.xensshm.cli.command;

import org.xensshm.cli.output.TestbedView;
import org.xensshm.spec.SshmSpec;
import org.xensshm.testkit.testbed.DetachedTestBed;
import org.xensshm.testkit.testbed.DetachedTestBed.Domain;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Builds a guest in the running test bed, as {@code xl create [-p]} does. */
@Command(name = "create", header = "Create a domain in the test bed, as xl create [-p] does.",
        description = "Creates the domain with RAM from guest address 0, writes its xenstore directory and name, "
                + "then introduces it to xenstored, which fires @introduceDomain for 'xen-sshm watch'. With "
                + "--paused it stays paused, as 'xl create -p' leaves it.")
final class TestbedCreateCommand extends CliCommand {

    @Option(names = "--domain", required = true, paramLabel = "NAME=DOMID", description = "The domain to create.")
    String domain;

    @Option(names = "--paused", description = "Leave it paused, as 'xl create -p' does.")
    boolean paused;

    @Option(names = "--ram", paramLabel = "SIZE", defaultValue = "4M", converter = BytesConverter.class,
            description = "Its RAM, from guest address 0 (default: ${DEFAULT-VALUE}).")
    long ram;

    @Override
    public Integer call() {
        Domain guest = parse(domain);
        if (ram <= 0 || ram % SshmSpec.PAGE_SIZE != 0) {
            throw new InputException("--ram " + ram + " is not a positive multiple of 4 KiB");
        }
        DetachedTestBed bed = DetachedTestBed.read(TestbedCommand.envFile()).orElseThrow(() -> new InputException(
                "no test bed runs (no env file " + TestbedCommand.envFile() + "): 'xen-sshm testbed start' first"));
        bed.createDomain(guest, ram, paused);
        output().report(TestbedView.of(TestbedCommand.envFile(), "domain " + guest.domid() + " (" + guest.name()
                + ") created" + (paused ? ", paused" : "")));
        return ExitStatus.OK;
    }

    /** {@code vm4=4}, checked as 'testbed start' checks its domains. */
    static Domain parse(String nameAndDomid) {
        int equals = nameAndDomid.lastIndexOf('=');
        String name = equals < 0 ? nameAndDomid : nameAndDomid.substring(0, equals);
        int domid;
        try {
            domid = equals < 0 ? -1 : Integer.parseInt(nameAndDomid.substring(equals + 1));
        } catch (NumberFormatException e) {
            domid = -1;
        }
        if (!name.matches("[A-Za-z0-9_.-]+") || domid < 1 || domid > MAX_DOMID) {
            throw new InputException("--domain " + nameAndDomid + ": give NAME=DOMID, a name of letters, digits, '_',"
                    + " '.' and '-' and a domid in 1.." + MAX_DOMID);
        }
        return new Domain(name, domid);
    }
}
