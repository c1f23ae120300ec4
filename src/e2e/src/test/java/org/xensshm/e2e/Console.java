package org.xensshm.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the dom0 driver reported on an emulated host's serial console (its line formats are in
 * the driver's {@code Report}), read back from the log boot.sh wrote. A result may sit after the
 * log's timestamp or after hypervisor output on the same line: it is found by its marker.
 *
 * @param bootStatus boot.sh's exit status: 0 for E2E-DONE rc=0, 1 another rc, 3 no E2E-DONE
 */
record Console(Path log, int bootStatus, List<Check> checks, Map<String, String> facts, List<Time> times,
               List<String> notes, Set<String> begun, Set<String> ended, Optional<String> end) {

    record Check(String scenario, String name, boolean passed, String detail) {

        @Override
        public String toString() {
            return scenario + "/" + name + " " + (passed ? "PASS" : "FAIL") + " " + detail;
        }
    }

    record Time(String scenario, String name, double seconds) {
    }

    static Console read(Path log, int bootStatus) {
        List<String> lines;
        try {
            lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the console log " + log, e);
        }
        List<Check> checks = new ArrayList<>();
        Map<String, String> facts = new LinkedHashMap<>();
        List<Time> times = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Set<String> begun = new LinkedHashSet<>();
        Set<String> ended = new LinkedHashSet<>();
        String end = null;
        for (String line : lines) {
            String[] words;
            if ((words = fields(line, "E2E-CHECK ", 4)) != null) {
                checks.add(new Check(words[0], words[1], words[2].equals("PASS"), words[3]));
            } else if ((words = fields(line, "E2E-FACT ", 2)) != null) {
                facts.put(words[0], words[1]);
            } else if ((words = fields(line, "E2E-TIME ", 3)) != null) {
                times.add(new Time(words[0], words[1], Double.parseDouble(words[2])));
            } else if ((words = fields(line, "E2E-NOTE ", 2)) != null) {
                notes.add(words[0] + ": " + words[1]);
            } else if ((words = fields(line, "E2E-SCENARIO ", 2)) != null) {
                (words[1].equals("begin") ? begun : ended).add(words[0]);
            } else if ((words = fields(line, "E2E-END ", 1)) != null) {
                end = words[0];
            }
        }
        return new Console(log, bootStatus, checks, facts, times, notes, begun, ended, Optional.ofNullable(end));
    }

    /** The {@code count} space-separated fields after {@code marker}, the last taking the rest; null if absent. */
    private static String[] fields(String line, String marker, int count) {
        int at = line.indexOf(marker);
        if (at < 0) {
            return null;
        }
        String[] words = line.substring(at + marker.length()).strip().split(" ", count);
        if (words.length < count) {
            return count == 2 && words.length == 1 ? new String[] {words[0], ""} : null;
        }
        return words;
    }

    List<Check> failures() {
        return checks.stream().filter(check -> !check.passed()).toList();
    }
}
