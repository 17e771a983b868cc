package org.syncbn.cli;

import org.syncbn.config.SpecException;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A command's parsed arguments: positionals, repeatable {@code --set k=v}, single-valued options
 * and flags. Anything not declared is an error naming the argument.
 */
record Args(List<String> positionals, List<String> sets, java.util.Map<String, String> options, Set<String> flags) {

    static Args parse(String command, String[] argv, int from, Set<String> valueOptions, Set<String> flagOptions) {
        List<String> pos = new ArrayList<>();
        List<String> sets = new ArrayList<>();
        java.util.Map<String, String> opts = new java.util.LinkedHashMap<>();
        Set<String> flags = new java.util.LinkedHashSet<>();
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (a.equals("--set")) {
                sets.add(value(command, argv, ++i, a));
            } else if (a.startsWith("--set=")) {
                sets.add(a.substring("--set=".length()));
            } else if (a.startsWith("--") && a.contains("=") && valueOptions.contains(a.substring(0, a.indexOf('=')))) {
                opts.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else if (valueOptions.contains(a)) {
                opts.put(a, value(command, argv, ++i, a));
            } else if (flagOptions.contains(a)) {
                flags.add(a);
            } else if (a.startsWith("-") && a.length() > 1) {
                throw new SpecException(command + ": unknown option '" + a + "' (see syncbn " + command + " --help)");
            } else {
                pos.add(a);
            }
        }
        return new Args(pos, sets, opts, flags);
    }

    private static String value(String command, String[] argv, int i, String option) {
        if (i >= argv.length) {
            throw new SpecException(command + ": option " + option + " needs a value");
        }
        return argv[i];
    }

    String option(String name) {
        return options.get(name);
    }
}
