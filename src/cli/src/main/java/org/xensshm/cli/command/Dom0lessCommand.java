package org.xensshm.cli.command;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.xensshm.cli.output.DeviceTreeView;
import org.xensshm.cli.output.ImageBuilderView;
import org.xensshm.devicetree.Cells;
import org.xensshm.devicetree.Dom0lessExport;
import org.xensshm.devicetree.HostTree;
import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.Plan;
import org.xensshm.spec.PlanChecker;
import org.xensshm.spec.Platform;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Prints the regions of a set of domains as Xen's boot-time (dom0less) nodes, or ImageBuilder lines. */
@Command(name = "dom0less", header = "Print the regions as Xen's boot-time nodes for dom0less hosts.",
        description = {"One \"xen,domain-shared-memory-v1\" node per region under each domain's node in /chosen. "
                + "With --host-dts the nodes are checked against the host tree and appended to it, so the output "
                + "is the whole tree to compile; domain nodes are matched by the configs' names.",
                "Xen's boot-time form shares whole regions, takes ids of at most 15 characters and at most 32 "
                + "regions, and maps each region at its guest address after giving the guest its RAM: specs it "
                + "cannot express, ranges over the guest's RAM or over Xen's fixed guest areas are refused "
                + "(exit status 2)."})
final class Dom0lessCommand extends CliCommand {

    /** A Xen release as 4.17 or 4.17.5. */
    private static final Pattern RELEASE = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})(?:\\.\\d{1,4})?");

    @Option(names = "--host-dts", paramLabel = "FILE",
            description = "The host device tree's source: check against it (domain nodes, their cells and RAM, "
                    + "host memory in use) and print it with the nodes appended.")
    Path hostDts;

    @Option(names = "--fragment",
            description = "Print the nodes alone, without /dts-v1/, to append to (or /include/ at the end of) a host "
                    + "tree's source; with --host-dts, still checked against it.")
    boolean fragment;

    @Option(names = "--imagebuilder",
            description = "Print ImageBuilder's DOMU_SHARED_MEM[i] lines instead, i counting the configs in the order "
                    + "given (one region per domain; ImageBuilder writes no role, so DOMID_IO owns the regions).")
    boolean imageBuilder;

    @Option(names = "--host-base", paramLabel = "ADDRESS", converter = BytesConverter.class,
            description = "Place the regions in host memory from this page-aligned address on, one after another "
                    + "(xen,shared-mem = <host guest size>). Without it Xen allocates them (<guest size>, Xen 4.19+).")
    Long hostBase;

    @Option(names = "--xen-version", paramLabel = "X.Y",
            description = "The Xen release the tree is for (default: 4.19 or later). 4.17 and 4.18 read only the "
                    + "host-address form, so they need --host-base; the nodes are the same for every release.")
    String xenVersion;

    @Option(names = "--address-cells", paramLabel = "1|2",
            description = "#address-cells of the domain nodes (default: the host tree's, else 2); with --host-dts a "
                    + "different value is refused.")
    Integer addressCells;

    @Option(names = "--size-cells", paramLabel = "1|2",
            description = "#size-cells of the domain nodes (default: the host tree's, else 2); with --host-dts a "
                    + "different value is refused.")
    Integer sizeCells;

    @Parameters(paramLabel = "CFG", arity = "1..*", description = "xl domain config files.")
    List<Path> configs;

    @Override
    public Integer call() {
        checkOptions();
        Optional<HostTree> host = Optional.ofNullable(hostDts).map(Dom0lessCommand::readHostTree);
        List<DomainConfig> domains = Configs.read(configs);
        // Boot-time static shared memory exists on Arm only.
        Plan plan = PlanChecker.check(domains, Platform.ARM);
        Dom0lessExport export;
        try {
            export = Dom0lessExport.prepare(plan, domains, new Dom0lessExport.Options(
                    hostBase == null ? OptionalLong.empty() : OptionalLong.of(hostBase), cells(), host));
        } catch (IllegalArgumentException e) {
            throw new InputException("--host-base: " + e.getMessage());
        }
        if (imageBuilder) {
            output().report(new ImageBuilderView(plan.creationOrder(), export.imageBuilder()));
        } else {
            String text = fragment ? export.fragment() : host.isPresent() ? export.merged() : export.deviceTree();
            output().report(new DeviceTreeView(plan.creationOrder(), text));
        }
        return ExitStatus.OK;
    }

    private void checkOptions() {
        checkXenVersion();
        if (imageBuilder && (fragment || hostDts != null)) {
            throw new InputException("--imagebuilder prints config lines, and ImageBuilder edits the host tree itself:"
                    + " --fragment and --host-dts do not go with it");
        }
        if (imageBuilder && ((addressCells != null && addressCells != 2) || (sizeCells != null && sizeCells != 2))) {
            throw new InputException("--imagebuilder: ImageBuilder writes every number as two cells and gives its"
                    + " domain nodes #address-cells = <2> and #size-cells = <2>");
        }
        if (hostDts != null && (addressCells == null) != (sizeCells == null)) {
            throw new InputException("with --host-dts give --address-cells and --size-cells together, or neither to"
                    + " write for the host tree's cells");
        }
    }

    /**
     * Boot-time static shared memory came with Xen 4.17, which needs the host address; Xen allocates
     * a region itself (no host address) from 4.19 on. Older releases would stop at boot on these nodes.
     */
    private void checkXenVersion() {
        if (xenVersion == null) {
            return;
        }
        Matcher release = RELEASE.matcher(xenVersion);
        if (!release.matches()) {
            throw new InputException("--xen-version: '" + xenVersion + "' is not a Xen release such as 4.17 or 4.20");
        }
        int major = Integer.parseInt(release.group(1));
        int minor = Integer.parseInt(release.group(2));
        if (major < 4 || major == 4 && minor < 17) {
            throw new InputException("--xen-version " + xenVersion + ": Xen sets up static shared memory at boot from"
                    + " 4.17 on; older releases do not read these nodes");
        }
        if (major == 4 && minor < 19 && hostBase == null) {
            throw new InputException("--xen-version " + xenVersion + ": Xen 4.17 and 4.18 read xen,shared-mem only with"
                    + " a host address (<host guest size>) and stop at boot without one; give --host-base (Xen"
                    + " allocates regions itself from 4.19 on)");
        }
    }

    /** The cells asked for; none asked means the host tree's, or two and two without one. */
    private Optional<Cells> cells() {
        if (addressCells == null && sizeCells == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Cells(addressCells == null ? 2 : addressCells, sizeCells == null ? 2 : sizeCells));
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage());
        }
    }

    private static HostTree readHostTree(Path file) {
        try {
            return HostTree.parse(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new InputException("cannot read " + file + ": no such file");
        } catch (CharacterCodingException e) {
            throw new InputException("cannot read " + file + ": not UTF-8 text (a .dtb? decompile it first:"
                    + " dtc -I dtb -O dts)");
        } catch (IOException e) {
            throw new InputException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
