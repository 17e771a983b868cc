package org.syncbn.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The rules a job key's value must keep, written on the record component that holds it
 * ({@link JobSpec}); {@link SpecBinder} checks them and words the "expected ..." of every error
 * from them, so a key's rule is stated once, beside its type.
 */
public final class Rule {
    private Rule() {
    }

    /** A whole number (or each element of a list of them) in [min, max]. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface Bounds {
        long min() default Long.MIN_VALUE;

        long max() default Integer.MAX_VALUE;
    }

    /** A finite number (or each element of a list of them) between lo and hi, each end open or closed. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface Interval {
        double lo() default Double.NEGATIVE_INFINITY;

        double hi() default Double.POSITIVE_INFINITY;

        boolean loOpen() default false;

        boolean hiOpen() default false;
    }

    /** A string or list that must not be empty. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface NonEmpty {
    }

    /** A string matching {@code regex} as a whole; {@code expected} says so in an error. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface Matching {
        String regex();

        String expected();
    }

    /** A list whose length is one of {@code value} (e.g. [] or exactly three numbers). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface Sizes {
        int[] value();
    }

    /** The wording of "expected ..." where the generated one would not say enough (lists, examples). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface Expected {
        String value();
    }
}
