package org.diffusion4j.io;

import java.nio.file.Path;
import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A writer to kill: saves two tensors to args[0] and, once the header is on disk and the first
 * tensor's data is being written, prints MID-WRITE and hangs, so that the parent test can kill
 * it with SIGKILL in the middle of a save.
 */
public final class KilledSaveChild {
    private KilledSaveChild() {}

    public static void main(String[] args) throws Exception {
        Safetensors.Entry a = new Safetensors.Entry(new long[] {(1 << 18) + 1024}, new float[(1 << 18) + 1024]);
        Safetensors.Entry b = new Safetensors.Entry(new long[] {4}, new float[4]);
        Map<String, Safetensors.Entry> tensors = new AbstractMap<>() {
            @Override
            public Set<Entry<String, Safetensors.Entry>> entrySet() {
                return Map.of("a", a, "b", b).entrySet();
            }

            @Override
            public Collection<Safetensors.Entry> values() {
                return new AbstractCollection<>() {
                    @Override
                    public Iterator<Safetensors.Entry> iterator() {
                        Iterator<Safetensors.Entry> it = List.of(a, b).iterator();
                        return new Iterator<>() {
                            int given;

                            @Override
                            public boolean hasNext() {
                                return it.hasNext();
                            }

                            @Override
                            public Safetensors.Entry next() {
                                if (given++ == 1) { // a megabyte of a is on disk, the rest still buffered: half done
                                    System.out.println("MID-WRITE");
                                    System.out.flush();
                                    try {
                                        Thread.sleep(600_000);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                }
                                return it.next();
                            }
                        };
                    }

                    @Override
                    public int size() {
                        return 2;
                    }
                };
            }
        };
        Safetensors.write(Path.of(args[0]), tensors, Map.of("step", "killed"));
    }
}
