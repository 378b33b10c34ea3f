// Notices quote traced processes (a probe notice names the executable it could not put uprobes on): a hostile
// path must reach the terminal escaped, never as live control sequences.

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Terminal } from '../src/cli/terminal.js';
import { sanitize } from '../src/cli/terminal-text.js';

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

// ESC sequences that clear the screen, set the window title and recolor; a bidi override that would show
// "gpj.exe" reversed as "exe.jpg"; a newline that would forge a second notice.
const HOSTILE = '/tmp/\x1b[2J\x1b]0;owned\x07\x1b[31mnode\u202egpj.exe\u2066x\u2069\nnullspan: forged';

describe('terminal notices', () => {
  it('escape control characters and bidirectional overrides in what traced processes named', () => {
    const out = sink();
    const err = sink();
    const term = new Terminal(out.stream, err.stream);
    term.notice(`libuv uprobes are unavailable for ${HOSTILE}`);
    const line = err.text();
    expect(line).toBe(
      'nullspan: libuv uprobes are unavailable for /tmp/\\x1b[2J\\x1b]0;owned\\x07\\x1b[31mnode\\u202egpj.exe\\u2066x\\u2069\\nnullspan: forged\n',
    );
    // eslint-disable-next-line no-control-regex
    expect(line.slice(0, -1)).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
  });

  it('sanitize is the one escaping used for span trees and notices alike', () => {
    expect(sanitize('a\tb\x9bc\u200fd')).toBe('a\\tb\\x9bc\\u200fd');
  });
});
