package org.xensshm.cli;

import java.io.PrintStream;

/**
 * Where a command's results and messages go: the result on stdout (text, or JSON with
 * {@code --json}), everything else on stderr, so that stdout stays parseable.
 */
final class Output {

    private final PrintStream out;
    private final PrintStream err;
    private final boolean json;

    Output(PrintStream out, PrintStream err, boolean json) {
        this.out = out;
        this.err = err;
        this.json = json;
    }

    boolean json() {
        return json;
    }

    PrintStream err() {
        return err;
    }

    void report(Report report) {
        out.print(json ? Json.write(report.json()) : report.text());
        out.flush();
    }

    /** Progress for a person; silent with --json, where stdout holds only the result. */
    void say(String line) {
        if (!json) {
            out.println(line);
            out.flush();
        }
    }

    void warn(String line) {
        err.println("xen-sshm: warning: " + line);
    }
}
