package org.xensshm.cli.command;

import java.nio.file.Path;
import java.util.List;

import org.xensshm.cli.output.DeviceTreeView;
import org.xensshm.devicetree.GuestDeviceTree;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.DomainSpecs;
import org.xensshm.spec.Platform;
import org.xensshm.spec.SpecValidator;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Prints the guest device-tree fragment that tells one domain where its regions are. */
@Command(name = "dt", header = "Print a domain's guest device-tree fragment.",
        description = "One /reserved-memory child per static_shm region of the domain (compatible "
                + "\"xen,shared-memory-v1\"): its guest-physical range, its id and, for a borrower, where "
                + "in the owner's region its window starts. Compile it with 'dtc -I dts -O dtb'.")
final class DtCommand extends CliCommand {

    @Parameters(paramLabel = "CFG", description = "The domain's xl config file.")
    Path config;

    @Override
    public Integer call() {
        DomainConfig domain = Configs.read(config);
        // Device trees describe Arm guests; x86 guests learn of memory otherwise.
        DomainSpecs specs = SpecValidator.validate(domain, Platform.ARM);
        output().report(new DeviceTreeView(List.of(domain.name()), GuestDeviceTree.render(specs)));
        return ExitStatus.OK;
    }
}
