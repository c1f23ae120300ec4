package org.xensshm.cli.command;

import org.xensshm.engine.EngineSettings;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** How borrowed pages are mapped: the options of every command that attaches domains. */
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

    EngineSettings settings() {
        if (trustBorrower && mapSpace == MapSpaceOption.SHARE
                && mixee.commandLine().getParseResult().hasMatchedOption("--map-space")) {
            throw new InputException("--trust-borrower maps with foreign; it does not go with --map-space share");
        }
        EngineSettings settings = EngineSettings.defaults().withMapSpace(mapSpace.space())
                .withUnreferencedShareAllowed(allowUnreferencedShare);
        return trustBorrower ? settings.withTrustedBorrowers() : settings;
    }
}
