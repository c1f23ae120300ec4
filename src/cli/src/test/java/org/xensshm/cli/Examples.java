package org.xensshm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.xensshm.cli.command.Commands;

/** The demo's example configs (shipped in the jar), as files for commands to read. */
final class Examples {

    static final String[] DOMAINS = {"vm1", "vm2", "vm3"};

    private Examples() {
    }

    static String text(String domain) {
        try (InputStream in = Commands.class.getResourceAsStream("demo-" + domain + ".cfg")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes vm1.cfg, vm2.cfg and vm3.cfg into {@code dir}. */
    static void write(Path dir) {
        for (String domain : DOMAINS) {
            write(dir, domain, text(domain));
        }
    }

    static Path write(Path dir, String domain, String text) {
        try {
            return Files.writeString(dir.resolve(domain + ".cfg"), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
