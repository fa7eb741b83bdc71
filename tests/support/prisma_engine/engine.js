#!/usr/bin/env node
// Test-only stand-in for Prisma's native query engine (5.17.0), for LiteLLM's DB mode offline.
// prisma-client-py starts `<engine> <schema> -p <port>` and speaks GraphQL-shaped queries over HTTP; this process
// serves that interface and runs each query on Prisma's own engine compiled to WebAssembly (npm @prisma/client 5.17.0)
// through its JSON protocol and the pg driver adapter.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const { parse, Kind } = require('graphql');
const { Pool } = require('pg');
const { PrismaPg } = require('@prisma/adapter-pg');
const { bindAdapter } = require('@prisma/driver-adapter-utils');

const RUNTIME = path.dirname(require.resolve('@prisma/client/runtime/library.js'));
const VERSION = '393aa359c9ad4a4bb28630fb5613f9c281cde053';

if (process.argv.includes('--version') || process.argv.includes('-V')) {
  process.stdout.write(`query-engine ${VERSION}\n`);
  process.exit(0);
}

const ACTIONS = [
  'findUnique', 'findFirst', 'findMany', 'createOne', 'createMany', 'updateOne', 'updateMany', 'upsertOne',
  'deleteOne', 'deleteMany', 'aggregate', 'groupBy',
];

function value(node) {
  switch (node.kind) {
    case Kind.OBJECT: return Object.fromEntries(node.fields.map((f) => [f.name.value, value(f.value)]));
    case Kind.LIST: return node.values.map(value);
    case Kind.INT: case Kind.FLOAT: return Number(node.value);
    case Kind.BOOLEAN: return node.value;
    case Kind.NULL: return null;
    default: return node.value; // strings and enums
  }
}

function args(field) {
  return Object.fromEntries((field.arguments || []).map((a) => [a.name.value, value(a.value)]));
}

function selection(set) {
  const out = {};
  for (const f of set.selections) {
    if (!f.selectionSet && !(f.arguments || []).length) { out[f.name.value] = true; continue; }
    const sub = {};
    if ((f.arguments || []).length) sub.arguments = args(f);
    sub.selection = f.selectionSet ? selection(f.selectionSet) : { $scalars: true };
    out[f.name.value] = sub;
  }
  return out;
}

/** Names of the schema's Json fields: prisma-client-py sends their values as GraphQL strings, which the JSON
 * protocol would store as JSON string literals unless tagged. */
let JSON_FIELDS = new Set();
function jsonFields(datamodel) {
  return new Set([...datamodel.matchAll(/^\s+(\w+)\s+Json\??\b/gm)].map((m) => m[1]));
}

function tagJson(v) {
  if (Array.isArray(v)) return v.map(tagJson);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => {
    if (JSON_FIELDS.has(k) && typeof x === 'string') return [k, { $type: 'Json', value: x }];
    if (JSON_FIELDS.has(k) && x && typeof x.set === 'string') return [k, { set: { $type: 'Json', value: x.set } }];
    return [k, tagJson(x)];
  }));
}

/** One GraphQL operation of prisma-client-py -> one JSON-protocol query. */
function translate(graphql) {
  const op = parse(graphql).definitions[0];
  const field = op.selectionSet.selections[0];
  const name = field.name.value;
  const a = args(field);
  if (name === 'executeRaw' || name === 'queryRaw') {
    // The pg driver adapter cannot decode Postgres `name[]`; LiteLLM's start-up view check aggregates `viewname`.
    if (typeof a.query === 'string') a.query = a.query.replace(/ARRAY_AGG\((\w+)\)/g, 'ARRAY_AGG($1::text)');
    return { action: name, query: { arguments: a, selection: {} } };
  }
  for (const action of ACTIONS) {
    if (name.startsWith(action)) {
      let model = name.slice(action.length);
      let act = action;
      if (model.endsWith('OrThrow')) { model = model.slice(0, -'OrThrow'.length); act += 'OrThrow'; }
      const sel = field.selectionSet ? selection(field.selectionSet) : { $scalars: true };
      const { where, ...rest } = a;
      const tagged = where === undefined ? tagJson(rest) : { where, ...tagJson(rest) };
      return { modelName: model, action: act, query: { arguments: tagged, selection: sel } };
    }
  }
  throw new Error(`unsupported operation ${name}`);
}

/** JSON protocol tags values ({$type, value}); the GraphQL protocol answered plain values. */
function untag(v) {
  if (Array.isArray(v)) return v.map(untag);
  if (v && typeof v === 'object') {
    if (typeof v.$type === 'string' && 'value' in v && Object.keys(v).length === 2) {
      return untag(v.value);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, untag(x)]));
  }
  return v;
}

function answer(raw) {
  const r = JSON.parse(raw);
  if (r.errors) return r;
  const data = r.data || {};
  const key = Object.keys(data)[0];
  const result = data[key];
  // Raw queries keep their typed {columns, types, rows} shape, which prisma-client-py deserializes itself.
  if (key === 'queryRaw' || key === 'executeRaw') return { data: { result } };
  return { data: { result: untag(result) } };
}

async function loadEngine(schemaPath) {
  const runtime = require(path.join(RUNTIME, 'query_engine_bg.postgresql.js'));
  const bytes = fs.readFileSync(path.join(RUNTIME, 'query_engine_bg.postgresql.wasm'));
  const mod = await WebAssembly.compile(bytes);
  const inst = new WebAssembly.Instance(mod, { './query_engine_bg.js': runtime });
  runtime.__wbg_set_wasm(inst.exports);
  const url = process.env.DATABASE_URL;
  const pool = new Pool({ connectionString: url });
  const adapter = bindAdapter(new PrismaPg(pool));
  const datamodel = fs.readFileSync(schemaPath, 'utf8');
  JSON_FIELDS = jsonFields(datamodel);
  const engine = new runtime.QueryEngine({
    datamodel, env: process.env, logQueries: false, ignoreEnvVarErrors: true, datasourceOverrides: {},
    logLevel: 'error', configDir: path.dirname(schemaPath), engineProtocol: 'json',
  }, (line) => { if (process.env.BRIDGE_DEBUG) process.stderr.write(`${line}\n`); }, adapter);
  await engine.connect('{}');
  return engine;
}

function body(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

async function handle(engine, req) {
  const url = req.url.split('?')[0];
  if (req.method === 'GET' && url === '/status') return { status: 'ok' };
  if (req.method === 'GET' && url === '/metrics') return {};
  const text = await body(req);
  const tx = req.headers['x-transaction-id'];
  if (url === '/transaction/start') {
    const o = JSON.parse(text || '{}');
    return JSON.parse(await engine.startTransaction(JSON.stringify({ max_wait: o.max_wait, timeout: o.timeout }), '{}'));
  }
  const m = url.match(/^\/transaction\/([^/]+)\/(commit|rollback)$/);
  if (m) {
    const fn = m[2] === 'commit' ? 'commitTransaction' : 'rollbackTransaction';
    return JSON.parse(await engine[fn](m[1], '{}'));
  }
  const q = JSON.parse(text);
  if (q.batch) {
    const batch = { batch: q.batch.map((b) => translate(b.query)) };
    if (q.transaction) batch.transaction = { isolationLevel: null };
    const r = JSON.parse(await engine.query(JSON.stringify(batch), '{}', tx));
    if (r.errors) return r;
    return { batchResult: r.batchResult.map((x) => answer(JSON.stringify(x))) };
  }
  return answer(await engine.query(JSON.stringify(translate(q.query)), '{}', tx));
}

async function main() {
  const argv = process.argv.slice(2);
  const port = Number(argv[argv.indexOf('-p') + 1]);
  const schema = process.env.PRISMA_DML_PATH || argv[0];
  const engine = await loadEngine(schema);
  http.createServer((req, res) => {
    handle(engine, req).then((out) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    }, (err) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ error: String(err && err.message), user_facing_error: { message: String(err && err.message) } }] }));
    });
  }).listen(port, '127.0.0.1');
}

main().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
