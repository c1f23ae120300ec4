package org.xensshm.cli.command;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.xensshm.spec.DomainConfig;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.SourceLocation;
import org.xensshm.spec.SpecProblem;
import org.xensshm.spec.XlConfigParser;

/** Reads the xl configs named on a command line. */
final class Configs {

    private Configs() {
    }

    /**
     * Parses every file, so that one run reports the syntax problems of all of them.
     *
     * @throws InputException       when a file cannot be read
     * @throws InvalidSpecException with every problem of every file
     */
    static List<DomainConfig> read(List<Path> files) {
        List<DomainConfig> configs = new ArrayList<>();
        List<SpecProblem> problems = new ArrayList<>();
        for (Path file : files) {
            try {
                configs.add(XlConfigParser.parse(file));
            } catch (InvalidSpecException e) {
                problems.addAll(e.problems());
            } catch (IOException e) {
                throw new InputException("cannot read " + file + ": " + reason(e));
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidSpecException(problems);
        }
        return configs;
    }

    static DomainConfig read(Path file) {
        return read(List.of(file)).getFirst();
    }

    /** Where a config wrote its {@code index}th static_shm entry; the file when unknown. */
    static SourceLocation location(DomainConfig config, int index) {
        Optional<SourceLocation> written = index < config.drafts().size()
                ? config.drafts().get(index).location() : Optional.empty();
        return written.orElse(SourceLocation.wholeFile(config.source()));
    }

    private static String reason(IOException e) {
        return switch (e) {
            case NoSuchFileException _ -> "no such file";
            case CharacterCodingException _ -> "not UTF-8 text";
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
    }
}
