package org.xensshm.engine;

import java.io.Serial;

/** A xenstore record does not parse; turned into a refusal, a skipped entry or a status note. */
final class RecordFormatException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    RecordFormatException(String message) {
        super(message);
    }
}
