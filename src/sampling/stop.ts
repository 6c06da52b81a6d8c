/**
 * Stop strings over streamed text. Text arrives in pieces (one detokenized token at a time); a stop string
 * may span several pieces. `push` emits only text that can no longer become part of a stop string and
 * holds back the longest tail that could still start one, so a stop never reaches the client, even in part.
 * With several stops, the first to complete ends the text, cut where it starts: the result is the same
 * however the text is split into pieces.
 *
 *   const m = new StopMatcher(['\n\nUser:']);
 *   for each piece: const { emit, stopped } = m.push(piece); send(emit); if (stopped) finish 'stop'
 *   at the end (max_tokens, EOS): send(m.flush())
 */

export interface StopPush {
  readonly emit: string; // safe to send now
  readonly stopped: boolean; // a stop string matched: `emit` ends right before it and nothing follows
}

export class StopMatcher {
  private readonly stops: readonly string[];
  private readonly longest: number; // length of the longest stop string
  private held = ''; // tail that is a proper prefix of some stop string
  private hit: string | undefined;

  /** Empty stop strings are ignored. */
  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
    this.longest = this.stops.reduce((n, s) => Math.max(n, s.length), 0);
  }

  get stopped(): boolean {
    return this.hit !== undefined;
  }

  /** The stop string that ended the text (the first to complete), once stopped. */
  get matched(): string | undefined {
    return this.hit;
  }

  /** Text held back so far (a possible start of a stop string); for tests and debugging. */
  get pending(): string {
    return this.held;
  }

  push(text: string): StopPush {
    if (this.hit !== undefined) return { emit: '', stopped: true };
    const buf = this.held + text;
    // The stop that COMPLETES first wins (ties: the one starting first), as if the text came one character
    // at a time, so the result does not depend on how the text was split into pieces. Emitted text holds no
    // complete stop and no start of an incomplete one (that would have been held), so searching `buf` suffices.
    let cut = -1;
    let end = Infinity;
    for (const s of this.stops) {
      const at = buf.indexOf(s);
      if (at < 0) continue;
      if (at + s.length < end || (at + s.length === end && at < cut)) {
        cut = at;
        end = at + s.length;
        this.hit = s;
      }
    }
    if (cut >= 0) {
      this.held = '';
      return { emit: buf.slice(0, cut), stopped: true };
    }
    const keep = this.partialTail(buf);
    this.held = buf.slice(buf.length - keep);
    return { emit: buf.slice(0, buf.length - keep), stopped: false };
  }

  /** Releases held text at the end of generation (no stop can complete any more). '' once stopped. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** Length of the longest tail of buf that is a proper prefix of some stop string (0 if none). */
  private partialTail(buf: string): number {
    for (let start = Math.max(0, buf.length - this.longest + 1); start < buf.length; start++) {
      const tail = buf.slice(start);
      if (this.stops.some((s) => s.startsWith(tail))) return buf.length - start;
    }
    return 0;
  }
}
