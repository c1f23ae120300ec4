package org.xensshm.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.module.ModuleDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.xensshm.cli.command.Commands;
import org.xensshm.cli.command.DurationConverter;
import org.xensshm.cli.command.ExitStatus;
import org.xensshm.cli.command.GlobalOptions;
import org.xensshm.cli.command.HostDiagnosis;
import org.xensshm.cli.command.InputException;
import org.xensshm.cli.output.Json;
import org.xensshm.cli.output.Output;
import org.xensshm.devicetree.HostTreeException;
import org.xensshm.engine.CleanupIncompleteException;
import org.xensshm.engine.SshmException;
import org.xensshm.host.StoreUnreachableException;
import org.xensshm.spec.InvalidSpecException;
import org.xensshm.spec.SpecProblem;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code xen-sshm}: static shared memory between Xen domains from the command line. Parses the
 * command line, runs one subcommand and turns what it throws into one line per problem and an
 * exit status ({@link ExitStatus}).
 */
@Command(name = "xen-sshm", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Static shared memory between Xen domains (the xl static_shm option).",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:done", "1:the operation failed", "2:bad command line or invalid config; nothing was changed"})
public final class Main implements Runnable, GlobalOptions {

    @Spec
    CommandSpec spec;

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "Print the result as JSON on stdout (messages stay on stderr).")
    boolean json;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Say more about each step on stderr; show stack traces of failures.")
    boolean verbose;

    @Option(names = "--store-deadline", scope = ScopeType.INHERIT, paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "How long one xenstored request may wait for its answer before the connection is given up "
                    + "and the command fails (e.g. 10s, 500ms; default ${DEFAULT-VALUE}).")
    Duration storeDeadline;

    private final PrintStream out;
    private final PrintStream err;

    private Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err));
    }

    /** Runs one command line; returns the exit status. */
    static int execute(String[] args, PrintStream out, PrintStream err) {
        Main main = new Main(out, err);
        CommandLine commandLine = new CommandLine(main);
        Commands.register(commandLine, args);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .setExecutionStrategy(parsed -> {
                    main.configureLogging();
                    return new CommandLine.RunLast().execute(parsed);
                })
                .setParameterExceptionHandler((e, arguments) -> main.usageError(e, arguments))
                .setExecutionExceptionHandler((e, line, parsed) -> main.failure(e));
        try {
            return commandLine.execute(args);
        } catch (StackOverflowError | OutOfMemoryError e) {
            // Not a failure of the operation but of this program; still one line, not a trace.
            return main.failure(new IllegalStateException("internal error: " + e, e));
        }
    }

    /** Without a subcommand: the usage, as a reminder of what there is. */
    @Override
    public void run() {
        spec.commandLine().usage(out);
    }

    /**
     * The library logs through slf4j-simple, on stderr. Its messages repeat what the failure
     * line already says, so they are off unless --verbose asks for every step.
     */
    private void configureLogging() {
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "off");
        setDefault("org.slf4j.simpleLogger.showThreadName", "false");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
    }

    /** A -D on the java command line still wins. */
    private static void setDefault(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    @Override
    public Output output() {
        return new Output(out, err, json);
    }

    @Override
    public Duration storeDeadline() {
        return storeDeadline;
    }

    private int usageError(ParameterException e, String[] arguments) {
        String command = e.getCommandLine().getCommandSpec().qualifiedName();
        String line = command + ": " + e.getMessage() + " (see '" + command + " --help')";
        err.println(line);
        // The exception comes before --json was applied, so look for it in the raw arguments.
        if (Arrays.asList(arguments).contains("--json")) {
            out.print(Json.write(failureJson(ExitStatus.BAD_INPUT, new ErrorCode("USAGE", ""), List.of(line), List.of())));
        }
        return ExitStatus.BAD_INPUT;
    }

    private int failure(Exception e) {
        Output output = output();
        int status;
        List<SpecProblem> problems = List.of();
        List<String> lines;
        switch (e) {
            case InvalidSpecException invalid -> {
                status = ExitStatus.BAD_INPUT;
                problems = invalid.problems();
                lines = problems.stream().map(SpecProblem::describe).toList();
            }
            case InputException input -> {
                status = ExitStatus.BAD_INPUT;
                lines = List.of("xen-sshm: " + input.getMessage());
            }
            case HostTreeException refused -> {
                // The host tree does not fit the configs: bad input too, and nothing was written.
                status = ExitStatus.BAD_INPUT;
                lines = List.of("xen-sshm: " + refused.getMessage());
            }
            default -> {
                status = ExitStatus.FAILURE;
                lines = failureLines(e);
            }
        }
        lines.forEach(err::println);
        if (verbose && status == ExitStatus.FAILURE) {
            e.printStackTrace(err);
        }
        if (output.json()) {
            Map<String, Object> failure = failureJson(status, ErrorCode.of(e), lines, problems);
            if (needsReconcile(e)) {
                failure.put("needsReconcile", true);
            }
            out.print(Json.write(failure));
        }
        return status;
    }

    /**
     * The failure, then what else the operator must know: what could not be undone, why
     * xenstored did not answer if that can be told, and that reconcile finishes the rest.
     */
    private static List<String> failureLines(Exception e) {
        List<String> lines = new ArrayList<>(List.of("xen-sshm: " + oneLine(e)));
        Arrays.stream(e.getSuppressed()).filter(CleanupIncompleteException.class::isInstance).findFirst()
                .ifPresent(incomplete -> lines.add("xen-sshm: " + oneLine((Exception) incomplete)));
        Optional<StoreUnreachableException> unreachable = storeUnreachable(e);
        if (unreachable.filter(u -> u.reason() == StoreUnreachableException.Reason.TIMED_OUT).isPresent()) {
            HostDiagnosis.stoppedTestBedHint().ifPresent(hint -> lines.add("xen-sshm: " + hint));
        }
        if (needsReconcile(e)) {
            lines.add("xen-sshm: run 'xen-sshm reconcile'" + (unreachable.isPresent() ? " once xenstored answers again" : "")
                    + " to finish or undo what this command left");
        }
        return lines;
    }

    private static boolean needsReconcile(Exception e) {
        return e instanceof SshmException sshm && sshm.needsReconcile();
    }

    /** The unreachable xenstored behind a failure, if that is what it was. */
    private static Optional<StoreUnreachableException> storeUnreachable(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof StoreUnreachableException unreachable) {
                return Optional.of(unreachable);
            }
        }
        return Optional.empty();
    }

    /** The failure's own message, which names what failed; folded onto one line. */
    private static String oneLine(Exception e) {
        String message = e.getMessage() == null || e.getMessage().isBlank()
                ? "internal error: " + e.getClass().getName() : e.getMessage();
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    private static Map<String, Object> failureJson(int status, ErrorCode code, List<String> lines,
                                                   List<SpecProblem> problems) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", false);
        json.put("exitStatus", status);
        json.put("type", code.type());
        if (!code.reason().isEmpty()) {
            json.put("reason", code.reason());
        }
        json.put("errors", lines);
        if (!problems.isEmpty()) {
            json.put("problems", problems.stream().map(Main::problemJson).toList());
        }
        return json;
    }

    private static Map<String, Object> problemJson(SpecProblem problem) {
        Map<String, Object> json = new LinkedHashMap<>();
        problem.location().ifPresent(where -> {
            json.put("file", where.file());
            json.put("line", where.line());
        });
        json.put("domain", problem.domain());
        problem.specIndex().ifPresent(index -> json.put("spec", index));
        json.put("id", problem.specId());
        json.put("field", problem.field());
        json.put("message", problem.message());
        return json;
    }

    /** The module's version, which the build records (absent when run from the class path). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Optional.ofNullable(Main.class.getModule().getDescriptor())
                    .flatMap(ModuleDescriptor::rawVersion)
                    .orElse("(development build)");
            return new String[] {"xen-sshm " + version};
        }
    }
}
