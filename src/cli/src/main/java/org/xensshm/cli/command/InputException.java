package org.xensshm.cli.command;

import java.io.Serial;

/** The command line names something unusable (a missing file, a bad value); exit status 2. */
public final class InputException extends RuntimeException {

    @Serial
    private static final long serialVersionUID = 1L;

    InputException(String message) {
        super(message);
    }
}
