package org.xensshm.cli.command;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

import org.xensshm.cli.output.DeviceTreeView;
import org.xensshm.devicetree.Dom0lessDeviceTree;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.Plan;
import org.xensshm.spec.PlanChecker;
import org.xensshm.spec.Platform;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Prints the regions of a set of domains as Xen's boot-time (dom0less) device-tree nodes. */
@Command(name = "dom0less", header = "Print the regions as Xen's boot-time nodes for dom0less hosts.",
        description = "One \"xen,domain-shared-memory-v1\" node per region under each domain's node in /chosen, "
                + "to merge into the host device tree. That form shares whole regions and takes ids of at "
                + "most 15 characters; specs it cannot express are refused (exit status 2).")
final class Dom0lessCommand extends CliCommand {

    @Option(names = "--host-base", paramLabel = "ADDRESS", converter = BytesConverter.class,
            description = "Place the regions in host memory from this page-aligned address on, "
                    + "one after another. Without it Xen chooses (Xen 4.19 and later).")
    Long hostBase;

    @Option(names = "--address-cells", paramLabel = "1|2", defaultValue = "2",
            description = "#address-cells of the domain nodes in the host tree (default: ${DEFAULT-VALUE}).")
    int addressCells;

    @Option(names = "--size-cells", paramLabel = "1|2", defaultValue = "2",
            description = "#size-cells of the domain nodes in the host tree (default: ${DEFAULT-VALUE}).")
    int sizeCells;

    @Parameters(paramLabel = "CFG", arity = "1..*", description = "xl domain config files.")
    List<Path> configs;

    @Override
    public Integer call() {
        Dom0lessDeviceTree.Cells cells;
        try {
            cells = new Dom0lessDeviceTree.Cells(addressCells, sizeCells);
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage());
        }
        List<DomainConfig> domains = Configs.read(configs);
        // Boot-time static shared memory exists on Arm only.
        Plan plan = PlanChecker.check(domains, Platform.ARM);
        String dts;
        try {
            dts = Dom0lessDeviceTree.render(plan, domains,
                    hostBase == null ? OptionalLong.empty() : OptionalLong.of(hostBase), cells);
        } catch (IllegalArgumentException e) {
            throw new InputException("--host-base: " + e.getMessage());
        }
        output().report(new DeviceTreeView(plan.creationOrder(), dts));
        return ExitStatus.OK;
    }
}
