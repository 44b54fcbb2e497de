import { describe, expect, it } from 'vitest';
import { captureIo } from '../io';
import { Progress } from '../progress';

/** A clock the test moves by hand: no test here waits on real time. */
function fakeClock() {
  let t = 0;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('Progress', () => {
  it('stays silent for work under a second', () => {
    const io = captureIo({ tty: true });
    const clock = fakeClock();
    const p = new Progress(io, 'bench', 10, clock.now);
    for (let i = 0; i < 10; i++) {
      clock.advance(90);
      p.tick();
    }
    p.finish();
    expect(io.progress).toEqual([]);
  });

  it('on a terminal, rewrites one line and clears it at the end', () => {
    const io = captureIo({ tty: true });
    const clock = fakeClock();
    const p = new Progress(io, 'bench', 4, clock.now);
    clock.advance(1500);
    p.tick(1, 'warm-up');
    clock.advance(50); // under the redraw interval: no new frame
    p.tick();
    clock.advance(550);
    p.tick();
    p.finish();
    expect(io.progress).toEqual([
      '\r\x1b[2Kbench: 1/4 (25%) 1.5s warm-up',
      '\r\x1b[2Kbench: 3/4 (75%) 2.1s',
      '\r\x1b[2K',
    ]);
  });

  it('elsewhere, prints plain lines, a few seconds apart, and always the last step', () => {
    const io = captureIo({ tty: false });
    const clock = fakeClock();
    const p = new Progress(io, 'check', 3, clock.now);
    clock.advance(1200);
    p.tick();
    clock.advance(1000);
    p.tick();
    clock.advance(1000);
    p.tick();
    p.finish();
    expect(io.progress).toEqual(['check: 1/3 (33%) 1.2s\n', 'check: 3/3 (100%) 3.2s\n']);
  });
});
