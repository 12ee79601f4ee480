package io.vicinity.udfs.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Bit-exact agreement with Pillow's Image.resize on the fixture images (sources are Pillow-decoded RGB). */
class PillowResizeParityTest {

    @TestFactory
    List<DynamicTest> matchesPillowBitForBit() {
        if (!PreprocessFixtures.present()) {
            return PreprocessFixtures.skippedBecauseAbsent();
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : PreprocessFixtures.manifest().get("resize")) {
            String expected = c.get("expected").asText();
            tests.add(DynamicTest.dynamicTest(expected, () -> {
                RgbImage source = PreprocessFixtures.rgbNpy(c.get("source").asText());
                ResampleFilter filter = ResampleFilter.fromPillowCode(c.get("pillow_code").asInt());
                RgbImage actual = PillowResize.resize(source, c.get("width").asInt(), c.get("height").asInt(), filter);
                RgbAssertions.assertSameRgb(PreprocessFixtures.rgbNpy(expected), actual, expected);
            }));
        }
        return tests;
    }

    @Test
    void fixturesCoverEveryFilterUpAndDown() {
        Set<ResampleFilter> up = EnumSet.noneOf(ResampleFilter.class);
        Set<ResampleFilter> down = EnumSet.noneOf(ResampleFilter.class);
        for (JsonNode c : PreprocessFixtures.manifest().get("resize")) {
            RgbImage source = PreprocessFixtures.rgbNpy(c.get("source").asText());
            ResampleFilter filter = ResampleFilter.fromPillowCode(c.get("pillow_code").asInt());
            (c.get("width").asInt() > source.width() ? up : down).add(filter);
        }
        assertEquals(EnumSet.allOf(ResampleFilter.class), up, "filters with an upsampling fixture");
        assertEquals(EnumSet.allOf(ResampleFilter.class), down, "filters with a downsampling fixture");
    }
}
