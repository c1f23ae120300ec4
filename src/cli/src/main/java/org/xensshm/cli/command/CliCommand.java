package org.xensshm.cli.command;

import java.util.concurrent.Callable;

import org.xensshm.cli.output.Output;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** A subcommand: reaches the global options through the root command picocli built. */
@Command(sortOptions = false)
abstract class CliCommand implements Callable<Integer> {

    /** The highest domid below Xen's reserved ones (DOMID_FIRST_RESERVED - 1). */
    static final int MAX_DOMID = 0x7FEF;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    Output output() {
        return global().output();
    }

    /** The host, with the command line's xenstore deadline. */
    NativeHost openHost() {
        return NativeHost.open(global().storeDeadline());
    }

    private GlobalOptions global() {
        return (GlobalOptions) spec.root().userObject();
    }

    static void checkDomid(int domid) {
        if (domid < 0 || domid > MAX_DOMID) {
            throw new InputException("--domid " + domid + " is not a domain's id (0.." + MAX_DOMID + ")");
        }
    }
}
