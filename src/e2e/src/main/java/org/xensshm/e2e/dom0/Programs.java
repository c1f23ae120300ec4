package org.xensshm.e2e.dom0;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs dom0's programs (xl, e2e-peek, xenstore-ls, a second JVM) and keeps what they said. */
final class Programs {

    private static final long LIMIT_SECONDS = 300;

    private Programs() {
    }

    /** What a program said and how it ended. */
    record Result(List<String> command, int exitStatus, String out, String err) {

        boolean succeeded() {
            return exitStatus == 0;
        }

        /** The result when it succeeded; else an exception that quotes the program. */
        Result orThrow() {
            if (!succeeded()) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + exitStatus + ": "
                        + (err.isBlank() ? out : err).strip());
            }
            return this;
        }
    }

    static Result run(List<String> command) {
        Path errors = null;
        try {
            // stderr goes to a file so that a chatty program cannot block on it while stdout is read.
            errors = Files.createTempFile("e2e-", ".err");
            Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(errors.toFile()).start();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not end in " + LIMIT_SECONDS + " s");
            }
            return new Result(command, process.exitValue(), new String(out, StandardCharsets.UTF_8),
                    Files.readString(errors));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command.getFirst(), e);
        } finally {
            if (errors != null) {
                errors.toFile().delete();
            }
        }
    }

    static Result run(String... command) {
        return run(List.of(command));
    }
}
