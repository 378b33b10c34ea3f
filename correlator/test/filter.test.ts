import { describe, expect, it } from 'vitest';
import {
  FilterSyntaxError,
  MAX_DEPTH,
  MAX_FILTER_LENGTH,
  parseFilter,
  subjectOf,
  type FilterSubject,
} from '../src/filter/index.js';
import { settingsForReplay, settingsFromOptions } from '../src/cli/correlator-settings.js';
import { describeError, UsageError } from '../src/cli/errors.js';
import { caretLines } from '../src/cli/filter-option.js';
import { parseCommandLine } from '../src/cli/options.js';
import { parseTailSampling, samplingSummary, TailSampler } from '../src/cli/tail-sampling.js';
import type { TracedSpan } from '../src/cli/trace-assembler.js';
import type { SpanRecord } from '../src/model.js';
import { proc, span, syscall } from './ui-synthetic.js';

const MS = 1e6;

/** A request of service `api` (pid 4242) that fsyncs a file under /var/lib and fails to open one in /etc. */
function apiSpan(over: Partial<SpanRecord> = {}): SpanRecord {
  return span({
    name: 'GET /users/:id',
    kind: 'server',
    start: 0,
    end: 80 * MS,
    pid: 4242,
    status: 'ok',
    attributes: { 'http.route': '/users/:id', 'http.status_code': 200, cached: false, retries: '3' },
    syscalls: [
      syscall({ name: 'openat', ts: 1000, dur: 4000, errno: 'ENOENT', ret: -2, path: '/etc/app/missing.conf' }),
      syscall({ name: 'write', ts: 10_000, dur: 2000, path: '/var/lib/app/db.wal', target: '/var/lib/app/db.wal' }),
      syscall({ name: 'fsync', ts: 20_000, dur: 60 * MS, path: '/var/log/app.log', target: '/var/log/app.log' }),
      syscall({ name: 'fsync', ts: 61 * MS, dur: 2 * MS, path: '/var/lib/app/db.wal', target: '/var/lib/app/db.wal' }),
      syscall({
        name: 'sendto',
        ts: 70 * MS,
        dur: 30_000,
        target: '10.0.0.1:40100 -> 10.0.0.7:5432',
        peerAddress: '10.0.0.7',
        peerPort: 5432,
      }),
      // a merged run: 10 reads of 100 µs each
      syscall({ name: 'read', ts: 72 * MS, dur: 1 * MS, count: 10, path: '/srv/data.bin' }),
      syscall({ name: 'connect', ts: 75 * MS, dur: 10_000, peerAddress: '::1', peerPort: 8080 }),
    ],
    ...over,
  });
}

const API = subjectOf(apiSpan(), proc(4242, 'api'));

function matches(expr: string, subject: FilterSubject = API): boolean {
  return parseFilter(expr).test(subject);
}

function syntaxError(expr: string): FilterSyntaxError {
  try {
    parseFilter(expr);
  } catch (err) {
    expect(err).toBeInstanceOf(FilterSyntaxError);
    return err as FilterSyntaxError;
  }
  throw new Error(`${JSON.stringify(expr)} parsed`);
}

/** The message is one sentence: capital or quote first, one full stop at the end, no line break. */
function expectSentence(message: string): void {
  expect(message).toMatch(/^[A-Z'(][^\n]*[.]$/);
}

describe('filter expressions: fields and operators', () => {
  it("the issue's example: service, duration and one fsync whose path contains /var/lib", () => {
    expect(matches('service=api dur>50ms syscall.name=fsync path~/var/lib')).toBe(true);
    expect(matches('service=web dur>50ms syscall.name=fsync path~/var/lib')).toBe(false);
    expect(matches('service=api dur>90ms syscall.name=fsync path~/var/lib')).toBe(false);
  });

  it('name and service: = exact and case-sensitive, ~ substring in any case, != and !~ their negations', () => {
    expect(matches('name="GET /users/:id"')).toBe(true);
    expect(matches('name="get /users/:id"')).toBe(false);
    expect(matches('name~users')).toBe(true);
    expect(matches('name~USERS')).toBe(true);
    expect(matches('name~orders')).toBe(false);
    expect(matches('name!="GET /users/:id"')).toBe(false);
    expect(matches('name!=GET')).toBe(true);
    expect(matches('name!~users')).toBe(false);
    expect(matches('name!~orders')).toBe(true);
    expect(matches('service=api')).toBe(true);
    expect(matches('service=ap')).toBe(false);
    expect(matches('service~AP')).toBe(true);
  });

  it('kind and status: one of their values, in any case', () => {
    expect(matches('kind=server')).toBe(true);
    expect(matches('kind=SERVER')).toBe(true);
    expect(matches('kind!=server')).toBe(false);
    expect(matches('kind=client')).toBe(false);
    expect(matches('status=ok')).toBe(true);
    expect(matches('status=error')).toBe(false);
    expect(matches('status!=error')).toBe(true);
    expect(matches('status=unset', subjectOf(apiSpan({ status: 'unset' }), proc(1, 'api')))).toBe(true);
  });

  it('dur: every comparison, with ns, us, µs, ms and s', () => {
    expect(matches('dur=80ms')).toBe(true);
    expect(matches('dur!=80ms')).toBe(false);
    expect(matches('dur>=80ms')).toBe(true);
    expect(matches('dur>80ms')).toBe(false);
    expect(matches('dur<=80000us')).toBe(true);
    expect(matches('dur<80000µs')).toBe(false);
    expect(matches('dur<0.081s')).toBe(true);
    expect(matches('dur>79999999ns')).toBe(true);
    expect(matches('dur>1.5s')).toBe(false);
  });

  it('pid: whole numbers, every comparison', () => {
    expect(matches('pid=4242')).toBe(true);
    expect(matches('pid!=4242')).toBe(false);
    expect(matches('pid>4000 pid<5000')).toBe(true);
    expect(matches('pid>=4243')).toBe(false);
    expect(matches('pid<=4242')).toBe(true);
  });

  it('attributes: text, numbers compared as numbers, booleans as text, absent ones match only != and !~', () => {
    expect(matches('attr.http.route=/users/:id')).toBe(true);
    expect(matches('attr.http.route~USERS')).toBe(true);
    expect(matches('attr.http.status_code=200')).toBe(true);
    expect(matches('attr.http.status_code=200.0')).toBe(true);
    expect(matches('attr.http.status_code>=200 attr.http.status_code<300')).toBe(true);
    expect(matches('attr.http.status_code>200')).toBe(false);
    expect(matches('attr.http.status_code~20')).toBe(true);
    // a text value that is a number compares as one for < and >; = stays exact text
    expect(matches('attr.retries>2')).toBe(true);
    expect(matches('attr.retries=3')).toBe(true);
    expect(matches('attr.retries=3.0')).toBe(false);
    expect(matches('attr.cached=false')).toBe(true);
    expect(matches('attr.missing=x')).toBe(false);
    expect(matches('attr.missing~""')).toBe(false);
    expect(matches('attr.missing>1')).toBe(false);
    expect(matches('attr.missing!=x')).toBe(true);
    expect(matches('attr.missing!~x')).toBe(true);
    // an empty substring: the attribute is present
    expect(matches('attr.http.route~""')).toBe(true);
    // not ordered as text
    expect(matches('attr.http.route>1')).toBe(false);
  });

  it('attribute keys of the prototype are not attributes', () => {
    expect(matches('attr.constructor~""')).toBe(false);
    expect(matches('attr.__proto__~""')).toBe(false);
    expect(matches('attr.toString~function')).toBe(false);
    const own = subjectOf(apiSpan({ attributes: { constructor: 'mine' } }), proc(1, 'api'));
    expect(matches('attr.constructor=mine', own)).toBe(true);
  });

  it('syscall.name, path (the path or the target), peer, errno and syscall.dur', () => {
    expect(matches('syscall.name=fsync')).toBe(true);
    expect(matches('syscall.name=fdatasync')).toBe(false);
    expect(matches('syscall.name~SYNC')).toBe(true);
    expect(matches('path=/var/lib/app/db.wal')).toBe(true);
    expect(matches('path=/var/lib')).toBe(false);
    expect(matches('path~/ETC/app')).toBe(true);
    // a socket call's target is matched too
    expect(matches('path~"-> 10.0.0.7:5432"')).toBe(true);
    expect(matches('peer=10.0.0.7:5432')).toBe(true);
    expect(matches('peer~:5432')).toBe(true);
    expect(matches('peer="[::1]:8080"')).toBe(true);
    expect(matches('peer=10.0.0.7')).toBe(false);
    expect(matches('errno=ENOENT')).toBe(true);
    expect(matches('errno=enoent')).toBe(true);
    expect(matches('errno=EACCES')).toBe(false);
    expect(matches('syscall.dur>50ms')).toBe(true);
    expect(matches('syscall.dur>100ms')).toBe(false);
  });

  it('a merged run is count calls of its mean duration', () => {
    expect(matches('syscall.name=read syscall.dur=100us')).toBe(true);
    expect(matches('syscall.name=read syscall.dur>200us')).toBe(false);
  });

  it('!= on a call: the same call must differ (an fsync not on /var/log exists, a non-read call without a path too)', () => {
    expect(matches('syscall.name=fsync path!~/var/log')).toBe(true);
    expect(matches('syscall.name=fsync path!~/var')).toBe(false);
    // path != looks at path and target: the write's path and target are both the WAL
    expect(matches('syscall.name=write path!=/var/lib/app/db.wal')).toBe(false);
    expect(matches('syscall.name=openat errno!=ENOENT')).toBe(false);
  });
});

describe('filter expressions: syscall terms of one and-group describe the same call', () => {
  it('name, path and duration must hold for one call', () => {
    // the slow fsync is on /var/log, the one on /var/lib is fast
    expect(matches('syscall.name=fsync path~/var/lib syscall.dur>50ms')).toBe(false);
    expect(matches('syscall.name=fsync path~/var/log syscall.dur>50ms')).toBe(true);
    // openat failed on /etc, not on /var
    expect(matches('syscall.name=openat errno=ENOENT path~/var')).toBe(false);
    expect(matches('syscall.name=openat errno=ENOENT path~/etc')).toBe(true);
    // whatever the span terms in between
    expect(matches('syscall.name=fsync dur>1ms path~/var/lib and status=ok syscall.dur<5ms')).toBe(true);
  });

  it('parenthesized alternatives of syscall terms stay on the same call', () => {
    expect(matches('syscall.name=fsync (path~/var/lib or path~/tmp) syscall.dur>50ms')).toBe(false);
    expect(matches('syscall.name=fsync (path~/var/log or path~/tmp) syscall.dur>50ms')).toBe(true);
  });

  it('not, or and mixed groups start a call of their own', () => {
    // not: no call matches what follows
    expect(matches('not syscall.name=fsync')).toBe(false);
    expect(matches('not syscall.name=fdatasync')).toBe(true);
    expect(matches('not (syscall.name=fsync syscall.dur>1s)')).toBe(true);
    // or: each side is its own group
    expect(matches('syscall.name=fsync syscall.dur>1s or path~/etc')).toBe(true);
    // a group mixing span and syscall terms: its path term is another call than the slow fsync
    expect(matches('syscall.name=fsync syscall.dur>50ms (dur>1s or path~/var/lib)')).toBe(true);
  });

  it('spans without system calls match no syscall term', () => {
    const bare = subjectOf(apiSpan({ syscalls: [] }), proc(4242, 'api'));
    expect(matches('syscall.name!=fsync', bare)).toBe(false);
    expect(matches('not syscall.name=fsync', bare)).toBe(true);
    expect(parseFilter('path~x').usesSyscalls).toBe(true);
    expect(parseFilter('not (dur>1s or path~x)').usesSyscalls).toBe(true);
    expect(parseFilter('dur>1s name~x').usesSyscalls).toBe(false);
  });
});

describe('filter expressions: and, or, not, parentheses, quoting', () => {
  it('or binds looser than and; and and not are keywords in any case', () => {
    expect(matches('service=web dur>1s or kind=server')).toBe(true);
    expect(matches('service=web (dur>1s or kind=server)')).toBe(false);
    expect(matches('service=api AND kind=server')).toBe(true);
    expect(matches('NOT kind=server Or status=ok')).toBe(true);
    expect(matches('not not kind=server')).toBe(true);
    expect(matches('not(kind=client)')).toBe(true);
    expect(matches('((kind=server))')).toBe(true);
  });

  it('quoted values hold spaces, parentheses, keywords and escaped quotes and backslashes', () => {
    const s = subjectOf(apiSpan({ name: 'say "hi" (or not) \\o/' }), proc(1, 'api'));
    expect(matches('name="say \\"hi\\" (or not) \\\\o/"', s)).toBe(true);
    expect(matches('name~"(or not)"', s)).toBe(true);
    expect(matches('name=or', subjectOf(apiSpan({ name: 'or' }), proc(1, 'api')))).toBe(true);
    expect(matches('attr.http.route=""')).toBe(false);
    expect(matches('name~""')).toBe(true);
  });

  it('an empty expression matches every span', () => {
    expect(parseFilter('').test(API)).toBe(true);
    expect(parseFilter('   ').test(API)).toBe(true);
    expect(parseFilter('  ').usesSyscalls).toBe(false);
  });

  it('keeps the expression text', () => {
    expect(parseFilter('dur>1ms').text).toBe('dur>1ms');
  });
});

describe('filter expressions: errors are one sentence with the column', () => {
  const cases: [string, number, RegExp][] = [
    ['servce=api', 1, /Unknown field 'servce'; the fields are name, service, .* or attr\.KEY\./],
    ['dur>50ms http.route=/x', 10, /attr\.http\.route/],
    ['name', 5, /Expected an operator/],
    ['name=', 6, /Expected a value after '='/],
    ['dur>50', 5, /'dur' needs a duration with a unit/],
    ['syscall.dur<5', 13, /'syscall\.dur' needs a duration/],
    ['pid=12a', 5, /'pid' needs a whole number/],
    ['kind=serv', 6, /'kind' is one of server, client, internal, producer or consumer\./],
    ['status=failed', 8, /'status' is one of ok, error or unset\./],
    ['name<5', 5, /'name' takes =, !=, ~ or !~, not '<'\./],
    ['kind~serv', 5, /'kind' takes = or !=/],
    ['attr.code>abc', 11, /'>' compares numbers/],
    ['name="abc', 6, /The quoted value starting here has no closing/],
    ['name="a\\nb"', 8, /Only \\" and \\\\ are escapes/],
    ['name="a"b', 9, /Expected a space or '\)' after the quoted value/],
    ['name=a"b', 7, /A quote can only start a value/],
    ['(name=a', 1, /The '\(' here has no matching '\)'/],
    ['name=a)', 7, /Unmatched '\)'/],
    ['()', 2, /Expected a term .* before '\)'/],
    ['name=a or', 8, /'or' needs a term on its right/],
    ['or name=a', 1, /'or' needs a term on its left/],
    ['name=a and', 8, /'and' needs a term on each side/],
    ['and name=a', 1, /'and' needs a term on each side/],
    ['not', 4, /'not' needs a term after it/],
    ['=5', 1, /Expected a field such as name, service or dur before '='/],
    ['"GET"', 1, /Expected a field before the quoted value/],
    ['attr.=5', 1, /Unknown field 'attr\.'/],
  ];
  for (const [expr, column, message] of cases) {
    it(`${expr} → column ${column}`, () => {
      const err = syntaxError(expr);
      expect(err.message).toMatch(message);
      expectSentence(err.message);
      expect(err.column).toBe(column);
    });
  }

  it('columns count characters, not UTF-16 units', () => {
    // the emoji is one character: the unknown field starts at column 10
    const err = syntaxError('name="😀" bogus=1');
    expect(err.column).toBe(10);
    expect(syntaxError('name=µ dur>5').column).toBe(12);
  });

  it('echoed text is short and has no control characters', () => {
    const err = syntaxError(`\u001b[31m${'x'.repeat(500)}=1`);
    expect(err.message.length).toBeLessThan(300);
    expect(err.message).not.toMatch(/[\u0000-\u001f]/);
    expect(err.column).toBe(1);
  });
});

describe('filter expressions: hostile input is bounded', () => {
  it('nesting deeper than MAX_DEPTH is an error, not a stack overflow', () => {
    const ok = `${'('.repeat(MAX_DEPTH - 1)}kind=server${')'.repeat(MAX_DEPTH - 1)}`;
    expect(matches(ok)).toBe(true);
    const deep = `${'('.repeat(100_000)}kind=server${')'.repeat(100_000)}`.slice(0, MAX_FILTER_LENGTH);
    const err = syntaxError(deep);
    expect(err.message).toMatch(/nest deeper than 32 levels/);
    expect(err.column).toBe(MAX_DEPTH + 1);
    const nots = syntaxError(`${'not '.repeat(1000)}kind=server`);
    expect(nots.message).toMatch(/nest deeper/);
    expect(nots.column).toBe(MAX_DEPTH * 4 + 1);
  });

  it('an expression longer than MAX_FILTER_LENGTH is refused at that column', () => {
    const long = 'name~a '.repeat(1000);
    const err = syntaxError(long);
    expect(err.message).toBe(`The filter is longer than ${MAX_FILTER_LENGTH} characters.`);
    expect(err.column).toBe(MAX_FILTER_LENGTH + 1);
    // just under the bound: hundreds of terms parse and evaluate
    const many = 'name~a '.repeat(Math.floor(MAX_FILTER_LENGTH / 7));
    expect(many.length).toBeLessThanOrEqual(MAX_FILTER_LENGTH);
    expect(matches(many)).toBe(false);
    expect(matches(many.replaceAll('~a ', '~u '))).toBe(true);
  });

  it('long or-chains and many syscall terms stay flat', () => {
    const ors = Array.from({ length: 300 }, (_, i) => `pid=${i}`).join(' or ');
    expect(ors.length).toBeLessThan(MAX_FILTER_LENGTH);
    expect(matches(ors)).toBe(false);
    expect(matches(`${ors} or pid=4242`)).toBe(true);
  });

  it('odd characters are values, not syntax', () => {
    const odd = subjectOf(apiSpan({ name: '<img src=x onerror=alert(1)>\u202e' }), proc(1, 'api'));
    expect(matches('name~<img', odd)).toBe(true);
    expect(matches('name~"alert(1)"', odd)).toBe(true);
    expect(matches('name~\u202e', odd)).toBe(true);
    expect(matches('name~\u0000')).toBe(false);
    expect(syntaxError('name~alert(1)').message).toMatch(/Unknown field '1'|Expected/);
  });
});

describe('--filter on the command line', () => {
  const parse = (...args: string[]) => parseCommandLine(['replay', ...args, 'capture.nscap'], {}).options;

  function usageError(expr: string): UsageError {
    try {
      parse('--filter', expr);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return err as UsageError;
    }
    throw new Error('parsed');
  }

  it('refuses a bad expression as a usage error: the sentence with its column, the expression and a caret', () => {
    const err = usageError('service=api dur>50 syscall.name=fsync');
    const { message, exitCode, detail, fields } = describeError(err);
    expect(exitCode).toBe(2);
    expect(message).toBe(
      "--filter: 'dur' needs a duration with a unit, such as 50ms, 1.5s, 200us or 800ns (at column 17).",
    );
    expect(detail).toEqual(['service=api dur>50 syscall.name=fsync', '                ^']);
    expect(fields).toEqual({ column: 17 });
  });

  it('draws the caret under the right character of a long or hostile expression', () => {
    const long = `${'name~a '.repeat(30)}bogus=1 ${'name~b '.repeat(30)}`;
    const [line, caret] = caretLines(long, 211);
    expect(line.startsWith('…') && line.endsWith('…')).toBe(true);
    expect(line.length).toBeLessThan(90);
    expect(Array.from(line)[caret.length - 1]).toBe('b');
    expect(line.slice(caret.length - 1, caret.length + 6)).toBe('bogus=1');
    // control characters and bidi overrides become one '?' each, so the caret stays in place
    const [hostile, under] = caretLines('name=\u001b[2J\u202e x=1', 12);
    expect(hostile).toBe('name=?[2J? x=1');
    expect(hostile[under.length - 1]).toBe('x');
    // past the end (a missing value)
    expect(caretLines('name=', 6)).toEqual(['name=', '     ^']);
  });

  it('is recorded with the correlator settings; replay uses it unless --filter is given ("" clears it)', () => {
    const recorded = settingsFromOptions(parse('--filter', 'dur>1s'));
    expect(recorded.filter).toBe('dur>1s');
    expect(settingsForReplay(parse(), recorded).filter).toBe('dur>1s');
    expect(settingsForReplay(parse('--filter', 'status=error'), recorded).filter).toBe('status=error');
    expect(settingsForReplay(parse('--filter', ''), recorded).filter).toBe('');
    // a damaged or hostile header cannot make the replay fail
    expect(settingsForReplay(parse(), { ...recorded, filter: 'dur>((' }).filter).toBe('');
    expect(settingsForReplay(parse(), { ...recorded, filter: 7 }).filter).toBe('');
  });

  it('applies to run, attach, agent and replay, not to ui', () => {
    expect(() => parseCommandLine(['ui', '--filter', 'dur>1s'], {})).toThrow(
      /--filter does not apply to `nullspan ui`/,
    );
    expect(parseCommandLine(['agent', '--filter', 'dur>1s'], {}).options.filter).toBe('dur>1s');
  });
});

describe('--filter keeps whole traces with a matching span', () => {
  const P = proc(7, 'api');
  let seq = 0;
  /** A trace: a root and a child; the child makes an fsync on `path` when given. */
  function trace(rootMs: number, fsyncPath?: string): SpanRecord[] {
    const root = span({ name: `req${seq++}`, kind: 'server', start: 0, end: rootMs * MS });
    const child = span({
      traceId: root.traceId,
      parentSpanId: root.spanId,
      name: 'write',
      start: 0,
      end: MS,
      syscalls: fsyncPath ? [syscall({ name: 'fsync', ts: 10, dur: 1000, path: fsyncPath })] : [],
    });
    return [child, root];
  }

  function sample(policies: string, filter: string | undefined, traces: SpanRecord[][]) {
    const kept: TracedSpan[][] = [];
    const config = parseTailSampling(policies);
    const sampler = new TailSampler(config, (t) => kept.push(t), {}, filter ? parseFilter(filter) : undefined);
    for (const t of traces) for (const s of t) sampler.add(s, P);
    sampler.flush();
    return { kept: kept.map((t) => t.map(({ span }) => span.name).sort()), counts: sampler.counts(), config };
  }

  it('a trace goes out, with all its spans, when any span matches; the others are dropped and counted', () => {
    const traces = [trace(10, '/var/lib/db'), trace(200), trace(300, '/tmp/x'), trace(5, '/var/lib/wal')];
    const { kept, counts, config } = sample('none', 'syscall.name=fsync path~/var/lib', traces);
    expect(kept).toEqual([
      ['req0', 'write'],
      ['req3', 'write'],
    ]);
    expect(counts).toMatchObject({ decided: 4, kept: 2, dropped: 2, filterMatched: 2 });
    expect(samplingSummary(counts, config)).toBe('tail sampling: traces kept 2 (--filter), dropped 2.');
  });

  it('with --tail-sampling, a trace must match the filter and be kept by a policy', () => {
    const traces = [trace(10, '/var/lib/db'), trace(200), trace(300, '/var/lib/x'), trace(400, '/tmp/y')];
    const { kept, counts, config } = sample('latency=100ms', 'path~/var/lib', traces);
    expect(kept).toEqual([['req6', 'write']]);
    expect(counts).toMatchObject({ decided: 4, kept: 1, dropped: 3, filterMatched: 2, keptBy: [['latency=100ms', 1]] });
    expect(samplingSummary(counts, config)).toBe(
      'tail sampling: traces kept 1 (--filter matched 2; latency=100ms: 1), dropped 3.',
    );
  });

  it('without a filter the counts and text stay as tail sampling had them', () => {
    const { counts, config } = sample('latency=100ms', undefined, [trace(10), trace(200)]);
    expect(counts.filterMatched).toBeUndefined();
    expect(samplingSummary(counts, config)).toBe('tail sampling: traces kept 1 (latency=100ms: 1), dropped 1.');
  });
});
