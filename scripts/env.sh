# Shared by the scripts: project paths, build-on-demand and the JVM command line.
# Source it; it defines SYNCBN_ROOT, syncbn_build and syncbn_java_cmd.
SYNCBN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

# Compiles the project and writes its runtime classpath when any source is newer than the last build.
syncbn_build() {
  local stamp="$SYNCBN_ROOT/target/classpath.txt"
  if [[ ! -f "$stamp" || -n "$(find "$SYNCBN_ROOT/src/main" "$SYNCBN_ROOT/pom.xml" "$SYNCBN_ROOT/conf/defaults.conf" -newer "$stamp" -print -quit)" ]]; then
    echo "syncbn: building (mvn compile) ..." >&2
    local log
    log="$(mktemp)"
    if ! (cd "$SYNCBN_ROOT" && mvn -B -q -DskipTests compile dependency:build-classpath \
        -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime) > "$log" 2>&1; then
      # Maven 3.8 prints colour resets even in batch mode: strip them from its error report
      sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^[[:space:]]*$' >&2 || true
      rm -f "$log"
      echo "syncbn: build failed" >&2
      return 1
    fi
    rm -f "$log"
    touch "$stamp"
  fi
}

# The Java 17 options of conf/spark-defaults.conf (spark.driver.extraJavaOptions): one source of truth.
syncbn_java_opts() {
  sed -n 's/^spark\.driver\.extraJavaOptions[[:space:]]\+//p' "$SYNCBN_ROOT/conf/spark-defaults.conf"
}

# The ND4J native build. By default each JVM chooses it itself from /proc/cpuinfo
# (org.syncbn.natives.NativeBuildChoice: the oneDNN/AVX2 build on CPUs with AVX2, else the generic
# one); SYNCBN_NATIVE=generic or a classifier extension (-onednn-avx2, -avx2, ...) forces one.
syncbn_native_opts() {
  case "${SYNCBN_NATIVE:-}" in
    "") ;;
    generic) echo "-Dorg.bytedeco.javacpp.platform.extension=" ;;
    -*) echo "-Dorg.bytedeco.javacpp.platform.extension=$SYNCBN_NATIVE" ;;
    *) echo "syncbn: SYNCBN_NATIVE must be 'generic' or a classifier extension such as -onednn-avx2, got '$SYNCBN_NATIVE'" >&2
       return 2 ;;
  esac
}

# The JVM heap: SYNCBN_HEAP (a -Xmx size: 6g, 12000m) when set, else 40% of the machine's memory (of
# the container's limit where there is one: the JVM reads the cgroup). ND4J keeps its arrays off the
# heap, and JavaCPP caps the whole process at twice the heap, so the default stays within 80% of it.
syncbn_heap_opts() {
  if [[ -z "${SYNCBN_HEAP:-}" ]]; then
    echo "-XX:MaxRAMPercentage=40"
  elif [[ "$SYNCBN_HEAP" =~ ^[0-9]+[kKmMgGtT]?$ ]]; then
    echo "-Xmx$SYNCBN_HEAP"
  else
    echo "syncbn: SYNCBN_HEAP must be a heap size such as 6g or 12000m, got '$SYNCBN_HEAP'" >&2
    return 2
  fi
}

# Prints nothing; fills the array SYNCBN_JAVA with the java command line for main class $1.
syncbn_java_cmd() {
  local main="$1"
  local heap
  heap="$(syncbn_heap_opts)" || exit 2
  local commit
  commit="$(git -C "$SYNCBN_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  if [[ -n "$(git -C "$SYNCBN_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then commit="$commit-dirty"; fi
  # shellcheck disable=SC2207
  local native
  native="$(syncbn_native_opts)" || exit 2
  SYNCBN_JAVA=(java "$heap" $(syncbn_java_opts) $native
    -Dlog4j2.configurationFile="$SYNCBN_ROOT/conf/log4j2.properties"
    -Dsyncbn.gitCommit="$commit"
    -cp "$SYNCBN_ROOT/target/classes:$(cat "$SYNCBN_ROOT/target/classpath.txt")" "$main")
}
