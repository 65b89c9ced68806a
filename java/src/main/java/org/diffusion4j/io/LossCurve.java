package org.diffusion4j.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Writes a training loss curve as CSV (step,loss) and as a PNG line chart (log-scaled loss). */
public final class LossCurve {
    private LossCurve() {}

    /** One logged point. */
    public record Point(long step, double loss) {}

    public static void writeCsv(Path file, List<Point> points) throws IOException {
        StringBuilder b = new StringBuilder("step,loss\n");
        for (Point p : points) {
            b.append(p.step()).append(',').append(p.loss()).append('\n');
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, b.toString());
    }

    public static void writePng(Path file, List<Point> points) throws IOException {
        int w = 640;
        int h = 360;
        int pad = 40;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.GRAY);
        g.drawRect(pad, pad / 2, w - pad - pad / 2, h - pad - pad / 2);
        if (points.size() >= 2) {
            double lo = Double.MAX_VALUE;
            double hi = -Double.MAX_VALUE;
            for (Point p : points) {
                double y = Math.log10(Math.max(p.loss(), 1e-12));
                lo = Math.min(lo, y);
                hi = Math.max(hi, y);
            }
            if (hi - lo < 1e-9) {
                hi = lo + 1;
            }
            long s0 = points.get(0).step();
            long s1 = points.get(points.size() - 1).step();
            double spanX = Math.max(1, s1 - s0);
            g.setColor(new Color(0x1f77b4));
            g.setStroke(new BasicStroke(1.5f));
            int px = -1;
            int py = -1;
            for (Point p : points) {
                int x = pad + (int) ((p.step() - s0) / spanX * (w - 1.5 * pad));
                int y = pad / 2 + (int) ((hi - Math.log10(Math.max(p.loss(), 1e-12))) / (hi - lo) * (h - 1.5 * pad));
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.setColor(Color.BLACK);
            g.drawString(String.format("loss %.3g", Math.pow(10, hi)), 4, pad / 2 + 12);
            g.drawString(String.format("%.3g", Math.pow(10, lo)), 4, h - pad);
            g.drawString("step " + s0, pad, h - 8);
            g.drawString("step " + s1, w - pad - 60, h - 8);
        }
        g.dispose();
        Files.createDirectories(file.toAbsolutePath().getParent());
        ImageIO.write(img, "png", file.toFile());
    }
}
