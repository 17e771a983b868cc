# Reads the output of DNNL_VERBOSE=1 ... org.syncbn.bench.ConvOpCoverage; prints one markdown row per configuration.
/^NATIVE/ { print "native build: " substr($0, 8) }
/^CONFIG/ { cfg = substr($0, 8); f = 0; b = 0; ph = 1; fe = ""; be = "" }
/dnnl_verbose.exec.cpu.convolution/ { if (ph == 1) f++; else b++ }
/^FWD_DONE/ { ph = 2; if ($2 == "FAILED") fe = " (throws: " substr($0, 17) ")" }
/^BWD_DONE/ {
  if ($2 == "FAILED") be = " (throws: " substr($0, 17) ")"
  printf "| %s | %s%s | %s%s |\n", cfg, (f > 0 ? "oneDNN" : "libnd4j"), fe, (b > 0 ? "oneDNN" : "libnd4j"), be
}
