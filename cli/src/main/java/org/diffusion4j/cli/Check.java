package org.diffusion4j.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * Range checks of option values. A value out of range is a usage error (exit status 2) whose
 * message names the option and the value, in picocli's own words for a value it cannot parse:
 * {@code Invalid value for option '--steps': -5 (must be at least 1)}.
 */
final class Check {
    private Check() {}

    static void atLeast(CommandSpec spec, String option, long value, long min) {
        if (value < min) {
            throw invalid(spec, option, value, "must be at least " + min);
        }
    }

    /** Finite and greater than 0. */
    static void positive(CommandSpec spec, String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw invalid(spec, option, value, "must be a finite number greater than 0");
        }
    }

    /** Finite and at least 0. */
    static void nonNegative(CommandSpec spec, String option, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw invalid(spec, option, value, "must be a finite number of at least 0");
        }
    }

    /** In [0, 1): a probability or a decay that must leave something. */
    static void fraction(CommandSpec spec, String option, double value) {
        if (!(value >= 0 && value < 1)) {
            throw invalid(spec, option, value, "must be at least 0 and less than 1");
        }
    }

    /** One of the listed words. */
    static void oneOf(CommandSpec spec, String option, String value, String... allowed) {
        for (String a : allowed) {
            if (a.equals(value)) {
                return;
            }
        }
        throw invalid(spec, option, value, "expected one of " + String.join(", ", allowed));
    }

    /** The usage error; a single-valued option's value is quoted as it was typed (-1e-3, not -0.001). */
    static ParameterException invalid(CommandSpec spec, String option, Object value, String rule) {
        OptionSpec o = spec.commandLine().getParseResult().matchedOption(option);
        String typed = o == null || o.isMultiValue() || o.stringValues().isEmpty() ? String.valueOf(value)
                : o.stringValues().get(o.stringValues().size() - 1);
        return new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + typed + " (" + rule + ")");
    }
}
