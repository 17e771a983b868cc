package org.syncbn.config;

/**
 * Bad user input (job spec, command line, data file): its message is one line naming the
 * key/file/value and what was expected. The CLI prints it and exits with code 2.
 */
public class SpecException extends RuntimeException {
    public SpecException(String message) {
        super(message);
    }

    public SpecException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The bad-input error behind {@code e}, also when Spark wrapped it in a task failure (where
     * only its text survives), or null when {@code e} is not about bad input.
     */
    public static SpecException findIn(Throwable e) {
        String marker = SpecException.class.getName() + ": ";
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SpecException s) {
                return s;
            }
            String msg = t.getMessage();
            int at = msg == null ? -1 : msg.indexOf(marker);
            if (at >= 0) {
                return new SpecException(msg.substring(at + marker.length()).lines().findFirst().orElse(""));
            }
        }
        return null;
    }
}
