package org.xensshm.testkit.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** An env file line means the same to the shell that sources it as to the Java that reads it back. */
class EnvFileLineTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"/tmp/plain", "with space", "it's", "''", "$HOME `id` $(id) \\n \"q\"", "a'b'c", ""})
    void bashAndTheReaderAgreeOnTheValue(String value) throws IOException, InterruptedException {
        String line = EnvFileLine.format("XEN_SSHM_TEST_VALUE", value);
        Path file = Files.writeString(dir.resolve("env"), line + "\n");

        Process bash = new ProcessBuilder("bash", "-c", ". \"$1\" && printf %s \"$XEN_SSHM_TEST_VALUE\"", "bash",
                file.toString()).start();
        String sourced = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, bash.waitFor());

        assertEquals(value, sourced);
        assertEquals(Optional.of(Map.entry("XEN_SSHM_TEST_VALUE", value)), EnvFileLine.parse(line));
    }

    @ParameterizedTest
    @ValueSource(strings = {"# a comment", "", "export A=unquoted", "export A='open", "A='not exported'"})
    void otherLinesAreNotValues(String line) {
        assertEquals(Optional.empty(), EnvFileLine.parse(line));
    }
}
