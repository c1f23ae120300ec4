package org.xensshm.cli.command;

import org.xensshm.engine.EngineSettings;
import org.xensshm.engine.RecordLayout;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** How borrowed pages are mapped and new regions recorded: the options of every command that attaches domains. */
final class MappingOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--map-space", paramLabel = "share|foreign", defaultValue = "share",
            description = "How borrowed pages are mapped: share (XENMAPSPACE_gmfn_share, from the static "
                    + "shm series; default) or foreign (XENMAPSPACE_gmfn_foreign, upstream).")
    MapSpaceOption mapSpace;

    @Option(names = "--trust-borrower",
            description = "Map with foreign after making each owner this borrower's target, which stock Xen "
                    + "needs. The price: the borrower becomes a device model of the owner, with rights over ALL "
                    + "the owner's memory, for the rest of the borrower's life (a target can never be changed "
                    + "or cleared), and it can borrow from that one owner only.")
    boolean trustBorrower;

    @Option(names = "--allow-unreferenced-share",
            description = "Map with share even on a hypervisor whose share mappings hold no page reference (the "
                    + "static shm series as its vendor ships it): every later detach or death of this borrower "
                    + "frees pages its owner still uses. Only for hosts that never detach or destroy a borrower.")
    boolean allowUnreferencedShare;

    @Option(names = "--layout", paramLabel = "seed|owner-borrower", converter = LayoutConverter.class,
            description = "How a region an owner offers is recorded in xenstore: seed (master/slaves, as libxl "
                    + "with the seed patch writes it) or owner-borrower (as the vendor xl that ships static shm "
                    + "writes it). Default: the layout the host's records already use, seed on a host without any. "
                    + "A borrower's entry always follows its region's layout.")
    RecordLayout layout;

    EngineSettings settings() {
        if (trustBorrower && mapSpace == MapSpaceOption.SHARE
                && mixee.commandLine().getParseResult().hasMatchedOption("--map-space")) {
            throw new InputException("--trust-borrower maps with foreign; it does not go with --map-space share");
        }
        EngineSettings settings = EngineSettings.defaults().withMapSpace(mapSpace.space())
                .withUnreferencedShareAllowed(allowUnreferencedShare);
        if (layout != null) {
            settings = settings.withLayout(layout);
        }
        return trustBorrower ? settings.withTrustedBorrowers() : settings;
    }
}
