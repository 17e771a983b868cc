package org.syncbn.config;

import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderClasspath;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigIncluderURL;
import com.typesafe.config.ConfigObject;

import java.io.File;
import java.net.URL;

/**
 * The includer of HOCON that comes from somewhere other than a job file the user wrote: a checkpoint's
 * or a provenance record's resolved spec, {@code --spec-base64}, {@code --set}. Any {@code include}
 * there would read a file, a classpath resource or a URL that the text names, so every form of it is
 * refused. Typesafe Config falls back to its own file, URL and classpath includers for whatever an
 * includer does not implement, hence all four interfaces.
 */
final class NoIncludes implements ConfigIncluder, ConfigIncluderFile, ConfigIncluderURL, ConfigIncluderClasspath {
    private final String where;

    /** @param where what the text is, for the message ("--set", "resolved spec") */
    NoIncludes(String where) {
        this.where = where;
    }

    @Override
    public ConfigIncluder withFallback(ConfigIncluder fallback) {
        return this;   // no fallback: nothing is included, ever
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
        throw refused("\"" + what + "\"");
    }

    @Override
    public ConfigObject includeFile(ConfigIncludeContext context, File what) {
        throw refused("file(" + what + ")");
    }

    @Override
    public ConfigObject includeURL(ConfigIncludeContext context, URL what) {
        throw refused("url(" + what + ")");
    }

    @Override
    public ConfigObject includeResources(ConfigIncludeContext context, String what) {
        throw refused("classpath(" + what + ")");
    }

    private SpecException refused(String what) {
        return new SpecException(where + ": include " + what + " is not allowed here (only a job file may include"
                + " other files)");
    }
}
