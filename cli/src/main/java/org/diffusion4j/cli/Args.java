package org.diffusion4j.cli;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** "--name value" options and "--flag" switches of one command, with errors that name the option. */
final class Args {
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    Args(List<String> args, Set<String> flagNames) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            if (flagNames.contains(a)) {
                flags.add(a);
            } else if (i + 1 < args.size()) {
                values.put(a, args.get(++i));
            } else {
                throw new IllegalArgumentException(a + " needs a value");
            }
        }
    }

    /** Fails on any option not in {@code known}. */
    Args only(Set<String> known) {
        for (String k : values.keySet()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException("unknown option " + k);
            }
        }
        return this;
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    int getInt(String name, int fallback) {
        return (int) getLong(name, fallback);
    }

    long getLong(String name, long fallback) {
        String v = values.get(name);
        try {
            return v == null ? fallback : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " " + v + ": not a whole number");
        }
    }

    double getDouble(String name, double fallback) {
        String v = values.get(name);
        try {
            return v == null ? fallback : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " " + v + ": not a number");
        }
    }
}
