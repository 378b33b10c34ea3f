// The parsed tree → one predicate. The rule that makes `syscall.name=fsync path~/var/lib` mean "one fsync on a
// path under /var/lib" lives here: within an and-group, the syscall terms (and parenthesized groups made only of
// syscall terms) are tested together on each call; `not` and groups that mix span and syscall terms are tests of
// the span, whose syscall terms describe a call of their own. Recursion follows the tree, whose depth the parser
// bounds.

import type { CallTest, SpanTest } from './fields.js';
import type { FilterNode } from './parser.js';
import type { FilterSubject } from './subject.js';

export function compileSpan(node: FilterNode): SpanTest {
  switch (node.kind) {
    case 'term':
      return node.term.level === 'span' ? node.term.test : hasCall(node.term.test);
    case 'not': {
      const inner = compileSpan(node.item);
      return (s) => !inner(s);
    }
    case 'or':
      return any(node.items.map(compileSpan));
    case 'and': {
      const spanParts = node.items.filter((n) => !callOnly(n)).map(compileSpan);
      const callParts = node.items.filter(callOnly).map(compileCall);
      // span tests first: they are cheaper than a pass over the calls
      if (callParts.length > 0) spanParts.push(hasCall(all(callParts)));
      return all(spanParts);
    }
  }
}

export function usesSyscalls(node: FilterNode): boolean {
  switch (node.kind) {
    case 'term':
      return node.term.level === 'call';
    case 'not':
      return usesSyscalls(node.item);
    default:
      return node.items.some(usesSyscalls);
  }
}

/** Made only of syscall terms joined by and/or: it describes one call. */
function callOnly(node: FilterNode): boolean {
  if (node.kind === 'term') return node.term.level === 'call';
  if (node.kind === 'not') return false;
  return node.items.every(callOnly);
}

function compileCall(node: FilterNode): CallTest {
  switch (node.kind) {
    case 'term':
      if (node.term.level !== 'call') throw new Error('compileCall: a span term');
      return node.term.test;
    case 'and':
      return all(node.items.map(compileCall));
    case 'or':
      return any(node.items.map(compileCall));
    case 'not':
      throw new Error('compileCall: not');
  }
}

function hasCall(test: CallTest): SpanTest {
  return (s: FilterSubject) => {
    for (const c of s.syscalls()) if (test(c)) return true;
    return false;
  };
}

function all<T>(tests: ((x: T) => boolean)[]): (x: T) => boolean {
  if (tests.length === 1) return tests[0];
  return (x) => {
    for (const t of tests) if (!t(x)) return false;
    return true;
  };
}

function any<T>(tests: ((x: T) => boolean)[]): (x: T) => boolean {
  if (tests.length === 1) return tests[0];
  return (x) => {
    for (const t of tests) if (t(x)) return true;
    return false;
  };
}
