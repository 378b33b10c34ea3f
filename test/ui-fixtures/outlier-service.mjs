// A small instrumented HTTP service for the UI's end-to-end captures (test/ui-fixtures/make-captures.mjs):
// `GET /item` is fast (one server span reading /etc/hostname); `GET /report` is the slow outlier: a run of tiny
// calls (20 failed accesses of config files in a row, then stats), a write + fsync of a file whose path the
// find-in-trace step looks for, then a ~250 ms blocking wait inside a system call (futex); `GET /hostile` makes a
// server span and a child span whose names (and the child's attribute) are markup; `GET /quit` ends the process once its response is sent.
// Prints `listening PORT` on stdout when ready. Binds loopback only.
// Usage: node outlier-service.mjs WORK_DIR
import { accessSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { span } from '@nullspan/sdk';
import { traceRequests } from '@nullspan/sdk/http';

const [workDir] = process.argv.slice(2);
if (!workDir) {
  console.error('usage: node outlier-service.mjs WORK_DIR');
  process.exit(2);
}
mkdirSync(workDir, { recursive: true });
span.configure({ serviceName: 'outlier-shop' });

const HOSTILE = '<img src=x onerror=alert(1)>';
const LEDGER = join(workDir, 'ledger-2026.wal');
const blocker = new Int32Array(new SharedArrayBuffer(4));

function report() {
  span.trace('config.scan', { files: 40 }, () => {
    // 20 failed lookups in a row: the same call with the same outcome, so the waterfall folds them whatever they
    // took on a loaded machine (failed calls never merge in the correlator); then successful stats, which do
    for (let i = 0; i < 20; i++) {
      try {
        accessSync(join(workDir, `override-${i}.conf`));
      } catch {
        // absent: the failed access is the point (an errno in the waterfall)
      }
    }
    for (let i = 0; i < 20; i++) statSync('/etc/hostname');
  });
  span.trace('ledger.append', { path: LEDGER }, () => {
    const fd = openSync(LEDGER, 'a', 0o600);
    try {
      writeSync(fd, Buffer.alloc(64 * 1024, 1));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
  // blocks the thread inside futex(2): the slow part is a system call the waterfall shows
  span.trace('lock.wait', { ms: 250 }, () => Atomics.wait(blocker, 0, 0, 250));
}

const traced = traceRequests(
  (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/item') {
      res.end(readFileSync('/etc/hostname'));
    } else if (path === '/report') {
      report();
      res.end('report\n');
    } else if (path === '/hostile') {
      span.trace(HOSTILE, { [HOSTILE]: '"><script>alert(2)</script>' }, () => statSync('/etc/hostname'));
      res.end('hostile\n');
    } else {
      res.statusCode = 404;
      res.end();
    }
  },
  // the hostile request's own (root) span is named with markup too, so it shows among the requests
  { spanName: (req) => (req.url === '/hostile' ? HOSTILE : `GET ${(req.url ?? '/').split('?')[0]}`) },
);
// `/quit` is not traced: the process exits right after it, and its span would be cut short
const server = createServer((req, res) => {
  if (req.url !== '/quit') return traced(req, res);
  res.end('bye\n', () => server.close(() => process.exit(0)));
  server.closeIdleConnections();
});
server.keepAliveTimeout = 1000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
