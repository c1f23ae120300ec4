package org.xensshm.cli.command;

import java.time.Duration;

import org.xensshm.cli.output.Output;

/** What every subcommand takes from the root command: where and how to print, and how long to wait. */
public interface GlobalOptions {

    Output output();

    /** How long one xenstored request may wait for its answer before the connection is given up. */
    Duration storeDeadline();
}
