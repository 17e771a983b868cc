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
}
