package org.diffusion4j.train;

import java.nio.file.Path;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.nn.UNet;

/**
 * Run in a fresh JVM by {@link TrainerTest}: loads args[0] into a new model and trainer, trains
 * with {@link Trainer#fit} until step args[1], saves to args[2].
 */
public final class ResumeChild {
    private ResumeChild() {}

    public static void main(String[] args) throws Exception {
        try (Context ctx = Context.create(Device.cpu(), 12345); UNet net = new UNet(ctx, TrainerTest.TINY);
                Trainer trainer = new Trainer(ctx, net, TrainerTest.DIFFUSION, TrainerTest.CONFIG)) {
            trainer.load(Path.of(args[0]));
            trainer.fit(new Patterns(TrainerTest.DATA_SIZE), Fit.steps(Long.parseLong(args[1])), null);
            trainer.save(Path.of(args[2]));
        }
    }
}
