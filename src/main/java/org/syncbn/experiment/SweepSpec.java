package org.syncbn.experiment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sweep: a job file (the cells' common spec), the preset applied to every cell, and the axes
 * whose cartesian product gives the cells, in the order written (first axis slowest).
 *
 * @param name         the sweep's name (the job's)
 * @param jobFile      the file holding the job and its {@code sweep} section
 * @param commonSets   job overrides for every cell: the preset's, then the command line's
 * @param axes         the grid
 * @param preset       the preset's name ("" when the file has none)
 * @param preciseExamples PreciseBN over this many training examples in every cell whose job does not
 *                     set {@code bn.precise.examples} itself, so each cell is evaluated with both its
 *                     running (EMA) and its population statistics; 0 = running statistics only
 */
public record SweepSpec(String name, Path jobFile, List<String> commonSets, List<Axis> axes, String preset,
                        int preciseExamples) {

    /** One job key and the values it takes (each as HOCON, as {@code --set key=value} takes it). */
    public record Axis(String key, List<String> values) {
        public Axis {
            values = List.copyOf(values);
        }
    }

    /**
     * One point of the grid.
     *
     * @param index      0-based position in the sweep
     * @param assignment axis key → value (HOCON), in axis order
     */
    public record Cell(int index, Map<String, String> assignment) {
        public Cell {
            assignment = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(assignment));
        }

        /** {@code key=value} overrides for this cell. */
        public List<String> sets() {
            List<String> sets = new ArrayList<>();
            assignment.forEach((k, v) -> sets.add(k + "=" + v));
            return sets;
        }

        /** A stable name: the assignment, e.g. {@code train.workers=4,bn.mode=sync}. */
        public String key() {
            return String.join(",", sets());
        }

        /** A directory name for the cell: its position and a file-system-safe form of its key. */
        public String dirName() {
            return String.format(java.util.Locale.ROOT, "cell-%03d-%s", index,
                    key().replaceAll("[^A-Za-z0-9.=,-]", "_").replace(',', '_'));
        }
    }

    public SweepSpec {
        commonSets = List.copyOf(commonSets);
        axes = List.copyOf(axes);
    }

    /** The cartesian product of the axes. */
    public List<Cell> cells() {
        List<Map<String, String>> points = new ArrayList<>();
        points.add(new LinkedHashMap<>());
        for (Axis axis : axes) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> p : points) {
                for (String v : axis.values()) {
                    Map<String, String> q = new LinkedHashMap<>(p);
                    q.put(axis.key(), v);
                    next.add(q);
                }
            }
            points = next;
        }
        List<Cell> cells = new ArrayList<>(points.size());
        for (int i = 0; i < points.size(); i++) {
            cells.add(new Cell(i, points.get(i)));
        }
        return cells;
    }
}
