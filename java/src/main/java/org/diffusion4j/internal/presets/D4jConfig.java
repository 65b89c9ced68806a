package org.diffusion4j.internal.presets;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP mapping of {@code native/include/d4j.h}: the parse goal reads it and generates
 * {@code org.diffusion4j.internal.D4jNative}; the build goal compiles the JNI glue against
 * {@code libd4j}. The header is plain C, so nothing needs mapping by hand.
 */
@Properties(
        target = "org.diffusion4j.internal.D4jNative",
        value = @Platform(include = "d4j.h", link = "d4j"))
public class D4jConfig implements InfoMapper {
    @Override
    public void map(InfoMap infoMap) {
        // d4j.h is plain C with fixed-width integers: the default mappings suffice.
    }
}
