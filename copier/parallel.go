package copier

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/doppel-dev/doppel/schema"
)

// job is one planned chunk; seq numbers chunks in key order from 0, gen is
// the sizer generation its size came from.
type job struct {
	seq   uint64
	chunk Chunk
	gen   uint64
}

// copyAll copies the chunks from first up to hi. One planner walks the key
// in order, finding each chunk's end with the current size, and hands the
// chunks over one at a time to Threads workers; so the planner is at most
// one chunk ahead of the slowest free worker and sizes adapt promptly. The
// first error cancels everything else and is the one returned.
func (c *Copier) copyAll(ctx context.Context, first Chunk, hi []any) error {
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan job)
	// A worker waiting to be admitted is let go once planning ends: every
	// chunk has then been taken by a worker that is copying it.
	admitCtx, planned := context.WithCancel(ctx)
	g.Go(func() error {
		defer planned()
		defer close(jobs)
		return c.plan(ctx, first, hi, jobs)
	})
	for w := range max(c.cfg.Threads, 1) {
		g.Go(func() error {
			for {
				if c.cfg.Admit != nil {
					if err := c.cfg.Admit(admitCtx, w); err != nil && ctx.Err() != nil {
						return err
					}
				}
				j, ok := <-jobs
				if !ok {
					return nil
				}
				if err := c.copyJob(ctx, j); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// plan sends the chunks from ch up to hi to jobs, in key order.
func (c *Copier) plan(ctx context.Context, ch Chunk, hi []any, jobs chan<- job) error {
	for seq := uint64(0); ; seq++ {
		// Planning reads the original too: it pauses with the copy.
		if err := c.wait(ctx); err != nil {
			return err
		}
		size, gen := c.size.get()
		ch.Rows = size
		end, last, err := c.chunkEnd(ctx, ch, hi)
		if err != nil {
			return err
		}
		ch.High = end
		select {
		case jobs <- job{seq: seq, chunk: ch, gen: gen}:
		case <-ctx.Done():
			return ctx.Err()
		}
		if last {
			return nil
		}
		ch = Chunk{Low: end}
	}
}

// copyJob copies one planned chunk, then records it for the watermark and
// feeds its time back into the chunk size.
func (c *Copier) copyJob(ctx context.Context, j job) error {
	if err := c.wait(ctx); err != nil {
		return err
	}
	took, err := c.copyChunk(ctx, j.chunk)
	if err != nil {
		return err
	}
	c.chunks.Add(1)
	high, err := schema.EncodeKey(j.chunk.High)
	if err != nil {
		high = "" // the watermark stays lower; a resume copies more again
	}
	c.finished.finish(j.seq, high)
	if target := c.cfg.TargetChunkTime; target > 0 {
		target = c.aim(ctx, target)
		if before, after := c.size.observe(j.gen, j.chunk.Rows, took, target); after != before {
			c.cfg.Logger.Debug().Int64("from", before).Int64("to", after).Int64("planned", j.chunk.Rows).
				Dur("took", took).Dur("target", target).Msg("chunk size adapted")
		}
	}
	if c.cfg.Nice != nil {
		return c.cfg.Nice(ctx, took)
	}
	return nil
}

// aim is the chunk time to aim for after a chunk, shortened while the
// server reports row lock waits. A counter that cannot be read leaves the
// aim as it was: the copy does not stop for it.
func (c *Copier) aim(ctx context.Context, configured time.Duration) time.Duration {
	if c.cfg.LockWaits == nil {
		return configured
	}
	waits, err := c.cfg.LockWaits(ctx)
	if err != nil {
		c.cfg.Logger.Debug().Err(err).Msg("row lock waits unreadable; chunk time aim unchanged")
		return c.contention.current(configured)
	}
	aim, before := c.contention.target(configured, waits, time.Now())
	switch {
	case aim < before:
		ev := c.cfg.Logger.Debug()
		if !c.contention.logged() {
			ev = c.cfg.Logger.Info() // the first time only
		}
		ev.Dur("aim", aim).Dur("target", configured).Msg("chunks shortened: sessions waited on row locks during the copy")
	case aim > before:
		c.cfg.Logger.Debug().Dur("aim", aim).Dur("target", configured).Msg("chunks lengthened: no row lock waits for a while")
	}
	return aim
}

func (c *Copier) wait(ctx context.Context) error {
	if c.cfg.Wait == nil {
		return nil
	}
	return c.cfg.Wait(ctx)
}
