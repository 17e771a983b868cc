package org.syncbn.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A stream that writes a header line to its target just before the first thing written to it, and
 * nothing if nothing ever is. A command's banner goes out with its first progress line, so input that
 * turns out bad while the run starts (a data file, a table's columns) is reported as one line alone.
 */
final class HeaderFirst extends OutputStream {
    private final PrintStream target;
    private final String header;
    private boolean started;

    private HeaderFirst(PrintStream target, String header) {
        this.target = target;
        this.header = header;
    }

    /** A print stream onto {@code target} that begins with {@code header} once something is printed. */
    static PrintStream onto(PrintStream target, String header) {
        return new PrintStream(new HeaderFirst(target, header), true, StandardCharsets.UTF_8);
    }

    private void start() {
        if (!started) {
            started = true;
            target.println(header);
        }
    }

    @Override
    public synchronized void write(int b) {
        start();
        target.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        if (len > 0) {
            start();
            target.write(b, off, len);
        }
    }

    @Override
    public void flush() {
        target.flush();
    }
}
