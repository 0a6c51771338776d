/**
 * Bad input against the simulator's GraphQL endpoint: malformed JSON, wrong content types, huge
 * and deeply nested queries, batch arrays, GET with query parameters, odd methods. Starts its own
 * simulator (or hits `--url`), prints one line per case, and exits 1 when any answer is a 5xx,
 * a request gets no answer, or the simulator stops answering a plain query afterwards.
 *
 *   node --conditions=source --import tsx bench/fuzz/graphql-requests.ts [--url http://127.0.0.1:4000/graphql]
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { startSimulator, type Simulator } from '../../packages/simulator/src/index.js';

const { values } = parseArgs({ options: { url: { type: 'string' } } });
let sim: Simulator | null = null;
if (!values.url) sim = await startSimulator({ port: 0, stateDurationMs: 0 });
const url = new URL(values.url ?? sim!.url);

interface Case {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

const json = { 'content-type': 'application/json' };
const q = (query: string, extra: Record<string, unknown> = {}) => JSON.stringify({ query, ...extra });
const nested = (depth: number) => `{ ${'stacks { id '.repeat(depth)}${'}'.repeat(depth)} }`;
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;

const cases: Case[] = [
  { name: 'valid __typename', headers: json, body: q('{ __typename }') },
  { name: 'malformed JSON', headers: json, body: '{"query": ' },
  { name: 'empty body', headers: json, body: '' },
  { name: 'JSON null', headers: json, body: 'null' },
  { name: 'JSON number', headers: json, body: '42' },
  { name: 'JSON string', headers: json, body: '"{ __typename }"' },
  { name: 'query is a number', headers: json, body: '{"query": 1}' },
  { name: 'query is an object', headers: json, body: '{"query": {"a": 1}}' },
  { name: 'variables is a string', headers: json, body: q('{ __typename }', { variables: 'x' }) },
  { name: 'variables is an array', headers: json, body: q('{ __typename }', { variables: [1] }) },
  { name: 'operationName is a number', headers: json, body: q('{ __typename }', { operationName: 5 }) },
  { name: 'unknown operationName', headers: json, body: q('query A { __typename }', { operationName: 'B' }) },
  { name: 'extensions is a string', headers: json, body: q('{ __typename }', { extensions: 'x' }) },
  { name: 'no query', headers: json, body: '{}' },
  { name: 'syntax error', headers: json, body: q('{ stacks { ') },
  { name: 'unknown field', headers: json, body: q('{ nope }') },
  { name: 'text/plain', headers: { 'content-type': 'text/plain' }, body: q('{ __typename }') },
  { name: 'no Content-Type', headers: {}, body: q('{ __typename }') },
  {
    name: 'form body',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'query=%7B__typename%7D',
  },
  { name: 'multipart without boundary', headers: { 'content-type': 'multipart/form-data' }, body: 'x' },
  {
    name: 'multipart garbage',
    headers: { 'content-type': 'multipart/form-data; boundary=zz' },
    body: '--zz\r\nbad\r\n--zz--',
  },
  { name: 'application/graphql', headers: { 'content-type': 'application/graphql' }, body: '{ __typename }' },
  {
    name: 'charset=latin1',
    headers: { 'content-type': 'application/json; charset=latin1' },
    body: q('{ __typename }'),
  },
  { name: 'invalid UTF-8', headers: json, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
  { name: 'batch array', headers: json, body: `[${q('{ __typename }')},${q('{ __typename }')}]` },
  { name: 'empty batch', headers: json, body: '[]' },
  {
    name: '10k batch',
    headers: json,
    body: `[${Array.from({ length: 10_000 }, () => q('{ __typename }')).join(',')}]`,
  },
  { name: '1 MiB query string', headers: json, body: q(`{ __typename ${' '.repeat(2 ** 20)}}`) },
  { name: '20 MiB body', headers: json, body: q(`{ __typename } #${'x'.repeat(20 * 2 ** 20)}`) },
  { name: '10k aliases', headers: json, body: q(aliases(10_000)) },
  { name: 'nested selection x500', headers: json, body: q(nested(500)) },
  {
    name: 'nested braces x100k',
    headers: json,
    body: q(`{ a ${'{ a '.repeat(100_000)}${'}'.repeat(100_001)}`),
  },
  {
    name: 'nested list value x100k',
    headers: json,
    body: q(`{ stack(id: ${'['.repeat(100_000)}${']'.repeat(100_000)}) { id } }`),
  },
  {
    name: 'deep variables JSON',
    headers: json,
    body: `{"query":"query($v: ID!){ stack(id: $v) { id } }","variables":{"v":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`,
  },
  { name: 'introspection', headers: json, body: q('{ __schema { types { name fields { name } } } }') },
  { name: 'two anonymous operations', headers: json, body: q('{ __typename } { __typename }') },
  { name: 'subscription', headers: json, body: q('subscription { __typename }') },
  {
    name: 'mutation over GET',
    method: 'GET',
    path: `?query=${encodeURIComponent('mutation { apiKeyUser(id: "a", secret: "b") { jwt } }')}`,
  },
  { name: 'GET query', method: 'GET', path: `?query=${encodeURIComponent('{ __typename }')}` },
  {
    name: 'GET bad variables',
    method: 'GET',
    path: `?query=${encodeURIComponent('{ __typename }')}&variables=%7B`,
  },
  { name: 'GET no query', method: 'GET', path: '' },
  { name: 'GET bad percent', method: 'GET', path: '?query=%E0%A4%A' },
  { name: 'GET repeated query', method: 'GET', path: '?query=%7B__typename%7D&query=%7B__typename%7D' },
  { name: 'PUT', method: 'PUT', headers: json, body: q('{ __typename }') },
  { name: 'DELETE', method: 'DELETE' },
  { name: 'OPTIONS', method: 'OPTIONS' },
  { name: 'HEAD', method: 'HEAD' },
  {
    name: 'gzip header, plain body',
    headers: { ...json, 'content-encoding': 'gzip' },
    body: q('{ __typename }'),
  },
  {
    name: 'Bearer garbage',
    headers: { ...json, authorization: 'Bearer \u00e9\u00e9.x.y' },
    body: q('{ stacks { id } }'),
  },
  {
    name: 'Bearer with 3 dots',
    headers: { ...json, authorization: 'Bearer a.b.c.d' },
    body: q('{ stacks { id } }'),
  },
  {
    name: 'Bearer bad base64 JSON',
    headers: {
      ...json,
      authorization: `Bearer ${Buffer.from('{').toString('base64url')}.${Buffer.from('[').toString('base64url')}.x`,
    },
    body: q('{ stacks { id } }'),
  },
  {
    name: 'Bearer header null',
    headers: {
      ...json,
      authorization: `Bearer ${Buffer.from('null').toString('base64url')}.${Buffer.from('null').toString('base64url')}.x`,
    },
    body: q('{ stacks { id } }'),
  },
  { name: 'other path', path: '/../graphql', headers: json, body: q('{ __typename }') },
];

/** Writes the request as raw bytes (any header value, any body) and reads the status line. */
function send(c: Case): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer in 10 s');
    }, 10_000);
    const done = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text) return resolve('closed without an answer');
      const start = text.indexOf('\r\n\r\n') + 4;
      resolve(`${text.split('\r\n')[0]}  ${text.slice(start, start + 140).replace(/\s+/g, ' ')}`);
    };
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => {
      const body = c.body === undefined ? undefined : Buffer.from(c.body);
      const target = c.path?.startsWith('/') ? c.path : `${url.pathname}${c.path ?? ''}`;
      const head = [`${c.method ?? 'POST'} ${target} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
      for (const [k, v] of Object.entries(c.headers ?? {})) head.push(`${k}: ${v}`);
      if (body) head.push(`Content-Length: ${body.length}`);
      socket.write(Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'));
      if (body) socket.write(body);
    });
  });
}

let failures = 0;
for (const c of cases) {
  const answer = await send(c);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0);
  const bad = status === 0 || status >= 500;
  if (bad) failures++;
  console.log(`${bad ? 'FAIL' : 'ok  '} ${c.name.padEnd(30)} ${answer}`);
}
const after = await fetch(url, { method: 'POST', headers: json, body: q('{ __typename }') }).then(
  (r) => r.status,
  (err: Error) => err.message,
);
if (after !== 200) failures++;
console.log(
  `plain query after the run: ${after}; peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
);
console.log(`${cases.length} cases, ${failures} failures`);
await sim?.close();
process.exit(failures ? 1 : 0);
