/**
 * Hand-made HTTP edge cases schemathesis cannot send (it only varies what the OpenAPI document
 * describes): odd Content-Types, duplicated or huge signature headers, non-ASCII bytes, chunked
 * and gzip bodies, lying Content-Lengths, smuggling-shaped framing. Each is written as raw bytes
 * over a socket to a running receiver (see serve-receiver.ts); prints one line per case and exits
 * 1 when any answer is a 5xx other than 503, or the receiver stops answering /healthz.
 *
 *   node --conditions=source --import tsx bench/fuzz/raw-requests.ts http://127.0.0.1:8123 [--signed]
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { signWebhookBody } from 'spacelift-client';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { signed: { type: 'boolean', default: false } },
});
const base = new URL(positionals[0] ?? 'http://127.0.0.1:8123');
const SECRET = 'fuzz-secret';

const body = readFileSync(
  new URL('../../spacelift-api/webhooks/run-finished-tracked.json', import.meta.url),
  'utf8',
);
const sig = signWebhookBody(SECRET, body);

interface Case {
  name: string;
  /** Raw request bytes; `Host` and `Connection: close` are added unless `raw` is set. */
  head: string[];
  payload?: Buffer | string;
  raw?: boolean;
}

const post = (headers: string[], payload: Buffer | string = body, path = '/webhook'): Omit<Case, 'name'> => ({
  head: [`POST ${path} HTTP/1.1`, ...headers],
  payload,
});
const len = (p: Buffer | string) => `Content-Length: ${Buffer.byteLength(p)}`;
const json = 'Content-Type: application/json';
const signed = `X-Signature-256: ${sig}`;

const chunked = (p: string) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n0\r\n\r\n`;
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

const cases: Case[] = [
  { name: 'valid signed delivery', ...post([json, signed, len(body)]) },
  { name: 'no Content-Type', ...post([signed, len(body)]) },
  { name: 'empty Content-Type', ...post(['Content-Type: ', signed, len(body)]) },
  { name: 'text/plain', ...post(['Content-Type: text/plain', signed, len(body)]) },
  { name: 'APPLICATION/JSON', ...post(['Content-Type: APPLICATION/JSON', signed, len(body)]) },
  { name: 'application/jsonx', ...post(['Content-Type: application/jsonx', signed, len(body)]) },
  { name: 'application/json;;;', ...post(['Content-Type: application/json;;;', signed, len(body)]) },
  { name: 'charset=latin1', ...post(['Content-Type: application/json; charset=latin1', signed, len(body)]) },
  { name: 'two Content-Types', ...post([json, 'Content-Type: text/plain', signed, len(body)]) },
  { name: 'multipart', ...post(['Content-Type: multipart/form-data; boundary=x', signed, len(body)]) },
  { name: 'form', ...post(['Content-Type: application/x-www-form-urlencoded', signed, len(body)]) },
  {
    name: 'non-ASCII Content-Type',
    ...post([
      `Content-Type: application/json; x=${Buffer.from('é☃', 'utf8').toString('latin1')}`,
      signed,
      len(body),
    ]),
  },
  { name: 'missing signature', ...post([json, len(body)]) },
  {
    name: 'duplicated signature (good, bad)',
    ...post([json, signed, 'X-Signature-256: sha256=00', len(body)]),
  },
  {
    name: 'duplicated signature (bad, good)',
    ...post([json, 'X-Signature-256: sha256=00', signed, len(body)]),
  },
  { name: 'duplicated signature (good, good)', ...post([json, signed, signed, len(body)]) },
  { name: 'empty signature', ...post([json, 'X-Signature-256: ', len(body)]) },
  { name: 'sha1 signature', ...post([json, `X-Signature-256: sha1=${'a'.repeat(40)}`, len(body)]) },
  { name: 'upper-case hex signature', ...post([json, `X-Signature-256: ${sig.toUpperCase()}`, len(body)]) },
  {
    name: 'non-ASCII signature',
    ...post([json, `X-Signature-256: sha256=${'\u00e9'.repeat(64)}`, len(body)]),
  },
  { name: '60 KB signature', ...post([json, `X-Signature-256: sha256=${'a'.repeat(60_000)}`, len(body)]) },
  {
    name: '200 headers',
    ...post([json, signed, ...Array.from({ length: 200 }, (_, i) => `X-Pad-${i}: ${i}`), len(body)]),
  },
  { name: 'empty body, Content-Length 0', ...post([json, signed, 'Content-Length: 0'], '') },
  { name: 'empty body, no Content-Length', ...post([json, signed], '') },
  { name: 'chunked body', ...post([json, signed, 'Transfer-Encoding: chunked'], chunked(body)) },
  {
    name: 'chunked, bad framing',
    ...post([json, signed, 'Transfer-Encoding: chunked'], 'zz\r\nxx\r\n0\r\n\r\n'),
  },
  {
    name: 'Content-Length and chunked',
    ...post([json, signed, len(body), 'Transfer-Encoding: chunked'], chunked(body)),
  },
  { name: 'two Content-Lengths', ...post([json, signed, len(body), 'Content-Length: 3']) },
  { name: 'negative Content-Length', ...post([json, signed, 'Content-Length: -1']) },
  { name: 'Content-Length too small', ...post([json, signed, 'Content-Length: 10']) },
  {
    name: 'gzip body',
    ...post([json, signed, 'Content-Encoding: gzip', len(gzipSync(body))], gzipSync(body)),
  },
  { name: 'Content-Encoding: identity', ...post([json, signed, 'Content-Encoding: identity', len(body)]) },
  { name: 'unknown Content-Encoding', ...post([json, signed, 'Content-Encoding: br, zz', len(body)]) },
  { name: 'Expect: 100-continue', ...post([json, signed, 'Expect: 100-continue', len(body)]) },
  {
    name: 'invalid UTF-8 body',
    ...post([json, len(Buffer.from([0xff, 0xfe, 0x7b]))], Buffer.from([0xff, 0xfe, 0x7b])),
  },
  { name: 'BOM + JSON', ...post([json, len(`\ufeff${body}`)], `\ufeff${body}`) },
  { name: 'JSON null', ...post([json, len('null')], 'null') },
  { name: 'JSON string', ...post([json, len('"x"')], '"x"') },
  { name: 'JSON array', ...post([json, len('[]')], '[]') },
  { name: '__proto__ body', ...post([json, len('{"__proto__":{"x":1}}')], '{"__proto__":{"x":1}}') },
  { name: '100k nested arrays', ...post([json, len(deep(100_000))], deep(100_000)) },
  {
    name: 'nested in run.id',
    ...post(
      [
        json,
        len(
          `{"state":"FINISHED","timestamp":1,"run":{"id":${deep(50_000)},"type":"TRACKED"},"stack":{"id":"s"}}`,
        ),
      ],
      `{"state":"FINISHED","timestamp":1,"run":{"id":${deep(50_000)},"type":"TRACKED"},"stack":{"id":"s"}}`,
    ),
  },
  { name: '2 MiB body', ...post([json, signed, `Content-Length: ${2 * 2 ** 20}`], 'x'.repeat(2 * 2 ** 20)) },
  { name: 'query string', ...post([json, signed, len(body)], body, '/webhook?x=%ff&x=1') },
  { name: 'bad percent path', ...post([json, signed, len(body)], body, '/webhook%') },
  { name: 'trailing slash', ...post([json, signed, len(body)], body, '/webhook/') },
  { name: '8 KB path', head: [`GET /${'a'.repeat(8_000)} HTTP/1.1`] },
  { name: 'GET /webhook', head: ['GET /webhook HTTP/1.1'] },
  { name: 'OPTIONS /webhook', head: ['OPTIONS /webhook HTTP/1.1'] },
  { name: 'TRACE /healthz', head: ['TRACE /healthz HTTP/1.1'] },
  { name: 'HEAD /healthz', head: ['HEAD /healthz HTTP/1.1'] },
  { name: 'HTTP/1.0 POST', head: ['POST /webhook HTTP/1.0', json, signed, len(body)], payload: body },
  { name: 'absolute-form target', ...post([json, signed, len(body)], body, `http://example.com/webhook`) },
  { name: 'GET /docs/..%2f..%2fetc%2fpasswd', head: ['GET /docs/..%2f..%2fetc%2fpasswd HTTP/1.1'] },
  {
    name: 'GET /openapi.json?x=\u00e9',
    head: [`GET /openapi.json?x=${Buffer.from('é').toString('latin1')} HTTP/1.1`],
  },
  { name: 'garbage request line', head: ['\u0000\u0001 / HTTP/1.1'], raw: true },
  { name: 'no Host (HTTP/1.1)', head: ['GET /healthz HTTP/1.1', 'Connection: close'], raw: true },
];

/** Sends raw bytes; resolves to the status line (or what happened instead). */
function send(c: Case): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(base.port), base.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer in 5 s');
    }, 5_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve(chunks.length ? firstLine(chunks) : `socket error ${err.message}`);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(chunks.length ? firstLine(chunks) : 'closed without an answer');
    });
    socket.on('connect', () => {
      const head = c.raw ? c.head : [...c.head, `Host: ${base.host}`, 'Connection: close'];
      socket.write(Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'));
      // Not half-closed: Node drops the answer of a request whose client ended the socket.
      if (c.payload !== undefined) socket.write(c.payload);
    });
  });
}

const firstLine = (chunks: Buffer[]): string => {
  const text = Buffer.concat(chunks).toString('utf8');
  const [status = ''] = text.split('\r\n');
  const bodyStart = text.indexOf('\r\n\r\n');
  return `${status}  ${text.slice(bodyStart + 4, bodyStart + 4 + 160).replace(/\s+/g, ' ')}`;
};

let failures = 0;
for (const c of cases) {
  const answer = await send(c);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0);
  const bad = status >= 500 && status !== 503;
  // In signed mode nothing without a valid signature may be accepted.
  const unsignedAccepted =
    values.signed && status === 202 && !c.head.includes(signed) && c.name !== 'upper-case hex signature';
  if (bad || unsignedAccepted) failures++;
  console.log(`${bad || unsignedAccepted ? 'FAIL' : 'ok  '} ${c.name.padEnd(36)} ${answer}`);
}
const health = await fetch(new URL('/healthz', base)).then(
  (r) => r.status,
  (err: Error) => err.message,
);
if (health !== 200) failures++;
console.log(`/healthz after the run: ${health}`);
console.log(`${cases.length} cases, ${failures} failures`);
process.exit(failures ? 1 : 0);
