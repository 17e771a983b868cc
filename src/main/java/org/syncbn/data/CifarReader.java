package org.syncbn.data;

import org.syncbn.config.SpecException;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Reads CIFAR-10 / CIFAR-100 binary files: fixed-length records of label byte(s) then 3072 pixel
 * bytes (1024 red, 1024 green, 1024 blue, each 32x32 row-major), no header. The pixels are kept
 * as they are, which is already CHW order, so the images are [3, 32, 32]; {@link LabeledImages}
 * scales them to [0, 1] exactly as it does IDX pixels.
 *
 * <p>Every defect (missing file, a length that is no whole number of records, an empty file, a
 * label outside [0, numClasses), a file that changed length while read) is a one-line
 * {@link SpecException} naming the file. Array sizes come from the file system's lengths, checked
 * before anything is allocated.
 */
public final class CifarReader {

    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;
    /** Records read per chunk: about 3 MB, whatever the file's size. */
    private static final int CHUNK_RECORDS = 1024;

    private CifarReader() {
    }

    /**
     * The records of {@code names} (inside {@code files.dir()}), concatenated in that order.
     *
     * @param numClasses every chosen label must lie in [0, numClasses)
     */
    public static LabeledImages read(CifarFiles files, List<String> names, int numClasses) {
        int recordBytes = files.recordBytes();
        long[] records = new long[names.size()];
        long total = 0;
        for (int f = 0; f < names.size(); f++) {
            String path = path(files, names.get(f));
            long length = DataFiles.length(files.dir(), names.get(f));
            if (length == 0 || length % recordBytes != 0) {
                throw new SpecException(path + " is " + length + " bytes: expected a positive multiple of "
                        + recordBytes + " (" + files.edition().title() + " records of " + files.edition().labelBytes()
                        + " label byte" + (files.edition().labelBytes() == 1 ? "" : "s") + " + "
                        + CifarFiles.PIXEL_BYTES + " pixel bytes)" + gzipHint(files, names.get(f)));
            }
            records[f] = length / recordBytes;
            total += records[f];
        }
        if (total * CifarFiles.PIXEL_BYTES > MAX_ARRAY) {
            throw new SpecException(path(files, names.get(0)) + " and the other " + (names.size() - 1) + " files hold "
                    + total + " records: expected at most " + MAX_ARRAY / CifarFiles.PIXEL_BYTES + " (one Java array)");
        }
        byte[] pixels = new byte[Math.toIntExact(total * CifarFiles.PIXEL_BYTES)];
        byte[] labels = new byte[Math.toIntExact(total)];
        int at = 0;
        for (int f = 0; f < names.size(); f++) {
            readFile(files, names.get(f), records[f], numClasses, pixels, labels, at);
            at += (int) records[f];
        }
        return LabeledImages.wrap(labels.length, ImageShape.CIFAR, pixels, labels);
    }

    /** Copies {@code records} records of one file into the arrays from example {@code first} on. */
    private static void readFile(CifarFiles files, String name, long records, int numClasses, byte[] pixels,
                                 byte[] labels, int first) {
        String path = path(files, name);
        int recordBytes = files.recordBytes();
        byte[] chunk = new byte[CHUNK_RECORDS * recordBytes];
        try (InputStream in = DataFiles.open(files.dir(), name)) {
            long done = 0;
            while (done < records) {
                int n = (int) Math.min(CHUNK_RECORDS, records - done);
                int got = in.readNBytes(chunk, 0, n * recordBytes);
                if (got < n * recordBytes) {
                    throw new SpecException(path + " is truncated: it ended at byte " + (done * recordBytes + got)
                            + " of the " + records * recordBytes + " its length announced (changed while read?)");
                }
                for (int r = 0; r < n; r++) {
                    long record = done + r;
                    int base = r * recordBytes;
                    int label = chunk[base + files.labelOffset()] & 0xFF;
                    if (label >= numClasses) {
                        throw labelError(files, name, record, label, numClasses);
                    }
                    int example = first + (int) record;
                    labels[example] = (byte) label;
                    System.arraycopy(chunk, base + files.edition().labelBytes(), pixels,
                            example * CifarFiles.PIXEL_BYTES, CifarFiles.PIXEL_BYTES);
                }
                done += n;
            }
            if (in.read() >= 0) {
                throw new SpecException(path + " grew while read: expected " + records * recordBytes + " bytes");
            }
        } catch (IOException e) {
            throw new SpecException("cannot read data file " + path + ": " + DataFiles.describe(e), e);
        }
    }

    private static SpecException labelError(CifarFiles files, String name, long record, int label, int numClasses) {
        String hint = numClasses < files.publishedClasses()
                ? "; " + files.edition().title() + " has " + files.publishedClasses() + " classes by its "
                        + files.labelName() + ": set data.numClasses = " + files.publishedClasses()
                : "";
        return new SpecException(path(files, name) + ": record " + record + " (at byte " + record * files.recordBytes()
                + ") has " + files.labelName() + " " + label + ", expected 0.." + (numClasses - 1)
                + " (data.numClasses = " + numClasses + ")" + hint + gzipHint(files, name));
    }

    /** Names the likely cause when a file starts with the gzip magic: the archive was not unpacked. */
    private static String gzipHint(CifarFiles files, String name) {
        try (InputStream in = DataFiles.open(files.dir(), name)) {
            byte[] magic = in.readNBytes(2);
            return magic.length == 2 && (magic[0] & 0xFF) == 0x1f && (magic[1] & 0xFF) == 0x8b
                    ? "; it starts with the gzip magic 1f 8b: unpack the archive first (tar xzf ...)" : "";
        } catch (IOException | SpecException e) {
            return "";   // only a hint for a message already being made
        }
    }

    private static String path(CifarFiles files, String name) {
        return DataFiles.oneLine(DataFiles.resolve(files.dir(), name));
    }
}
