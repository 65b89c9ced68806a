package org.diffusion4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code d4j info}: the backends compiled into the library and the devices found. */
@Command(name = "info", description = "Print the backends compiled into the library and the devices found.")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        D4j.printBackends(spec.commandLine().getOut());
        return 0;
    }
}
