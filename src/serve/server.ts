/**
 * The studio server behind `gantry serve`: a JSON API over a runs folder, live run events (SSE), the
 * runs' sample images and exported generators, translation runs' test images, and the built web app
 * (web/dist) at `/`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { RunEventStream } from './run_events.ts';
import { EXPORT_FILE_PATTERN, HttpError, openRegular, RunStore, SAMPLE_FILE_PATTERN } from './run_store.ts';
import { SweepStore } from './sweep_store.ts';
import { parseTestImageCount, TestImageCache } from './test_images.ts';
import { REVERSE_EXPORT_DIR } from '../train/run_format.ts';

const METRIC_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

export interface ServerOptions {
  runsDir: string;
  port: number;
  /** Interface to bind; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** The built web app; default web/dist in this repository. */
  webDir?: string;
  /** How often live event streams look at the run folder. */
  pollMs?: number;
}

export const DEFAULT_WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');
/** Most event streams open at once (each polls the disk). */
const MAX_EVENT_STREAMS = 64;
/** Largest file served from a run folder (sample images, exported weights). */
const MAX_SERVED_FILE_BYTES = 512 << 20;

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>Gantry studio</title>
<p>The studio web app is not built. Run <code>npm run build:web</code>, then reload.
The JSON API is available at <a href="/api/runs">/api/runs</a>.</p>`;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function hostnameOf(hostHeader: string): string {
  return hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]!;
}

/** Builds the Fastify app without listening (tests use `app.inject`). */
export async function buildServer(opts: Omit<ServerOptions, 'port'>): Promise<FastifyInstance> {
  const store = new RunStore(opts.runsDir);
  const sweeps = new SweepStore(opts.runsDir);
  const testImages = new TestImageCache();
  const webDir = path.resolve(opts.webDir ?? DEFAULT_WEB_DIR);
  const pollMs = opts.pollMs ?? 500;
  const streams = new Set<RunEventStream>();

  const app = Fastify({
    logger: false,
    bodyLimit: 16 << 10, // the API takes no request bodies
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.message });
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return reply.code(code).send({ error: code === 500 ? `internal error: ${err.message}` : err.message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `not found: ${req.method} ${req.url.slice(0, 200)}` }));

  // Bound to loopback, the studio answers only requests addressed to a loopback name: a web page on
  // another site cannot read it through DNS rebinding.
  const loopbackOnly = LOOPBACK_HOSTS.has(opts.host ?? '127.0.0.1');
  app.addHook('onRequest', async (req, reply) => {
    if (loopbackOnly && !LOOPBACK_HOSTS.has(hostnameOf(req.headers.host ?? ''))) {
      return reply.code(403).send({ error: `host ${JSON.stringify((req.headers.host ?? '').slice(0, 100))} is not allowed: the studio is bound to loopback` });
    }
  });

  // Refuse traversal attempts outright, whatever route they would reach: '..' segments (also encoded),
  // backslashes and NUL bytes in the path.
  app.addHook('onRequest', async (req, reply) => {
    const rawPath = req.url.split('?')[0]!;
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return reply.code(400).send({ error: 'malformed percent-encoding in the URL path' });
    }
    if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').some((seg) => seg === '..' || seg === '.')) {
      return reply.code(400).send({ error: 'path traversal is not allowed' });
    }
  });

  // Ends open event streams so that close() does not wait on them.
  app.addHook('preClose', async () => {
    for (const s of streams) s.close();
  });

  app.get('/api/runs', async () => ({ runsDir: store.root, runs: await store.listRuns() }));

  app.get<{ Params: { name: string } }>('/api/runs/:name', async (req) => store.detail(req.params.name));

  app.get<{ Params: { name: string }; Querystring: { since?: string } }>('/api/runs/:name/events', async (req, reply) => {
    const dir = await store.resolve(req.params.name);
    const since = parseSince(req.query.since ?? (req.headers['last-event-id'] as string | undefined));
    if (streams.size >= MAX_EVENT_STREAMS) throw new HttpError(503, `too many open event streams (limit ${MAX_EVENT_STREAMS})`);
    reply.hijack();
    const stream = new RunEventStream(reply.raw, { dir, since, pollMs });
    streams.add(stream);
    stream.whenClosed(() => streams.delete(stream));
    await stream.start();
  });

  app.get('/api/sweeps', async () => ({ sweepsDir: path.join(store.root, 'sweeps'), sweeps: await sweeps.list() }));

  app.get<{ Params: { name: string } }>('/api/sweeps/:name', async (req) => sweeps.detail(req.params.name));

  app.get<{ Params: { name: string; metric: string } }>('/sweeps/:name/plots/:metric', async (req, reply) => {
    const metric = req.params.metric.replace(/\.svg$/, '');
    if (!METRIC_NAME_PATTERN.test(metric)) throw new HttpError(400, `bad metric name: ${metric.slice(0, 100)}`);
    // Our own SVG (labels escaped); no scripts, and the header keeps it that way if opened directly.
    return reply.type('image/svg+xml').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(await sweeps.plot(req.params.name, metric));
  });

  app.get<{ Params: { name: string; file: string } }>('/runs/:name/samples/:file', async (req, reply) => {
    checkFile(req.params.file, SAMPLE_FILE_PATTERN, 'sample file');
    const file = await store.resolveFile(req.params.name, 'samples', req.params.file);
    return sendFile(reply, file, 'image/png');
  });

  const exportRoute = (sub: string[]) => async (req: FastifyRequest<{ Params: { name: string; file: string } }>, reply: FastifyReply) => {
    checkFile(req.params.file, EXPORT_FILE_PATTERN, 'export file');
    const file = await store.resolveFile(req.params.name, 'export', ...sub, req.params.file);
    return sendFile(reply, file, req.params.file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
  };
  app.get('/runs/:name/export/:file', exportRoute([]));
  // A two-way translator's reverse generator (CycleGAN's G_BA), exported beside the forward one.
  app.get(`/runs/:name/export/${REVERSE_EXPORT_DIR}/:file`, exportRoute([REVERSE_EXPORT_DIR]));

  app.get<{ Params: { name: string }; Querystring: { n?: string } }>('/api/runs/:name/test-images', async (req) => {
    const n = parseTestImageCount(req.query.n);
    return testImages.get(await store.resolve(req.params.name), req.params.name, n);
  });

  if (fs.existsSync(path.join(webDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: true, dotfiles: 'deny', index: 'index.html' });
  } else {
    app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT_PAGE));
  }
  return app;
}

/** Starts the studio server; `close()` ends live event streams and stops listening. */
export async function startServer(opts: ServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Error(`startServer: port must be an integer in 0..65535, got ${opts.port}`);
  }
  const host = opts.host ?? '127.0.0.1';
  const app = await buildServer({ ...opts, host });
  await app.listen({ port: opts.port, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return { url: `http://${urlHost}:${port}`, close: () => app.close() };
}

function parseSince(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new HttpError(400, `since: expected a non-negative integer, got ${JSON.stringify(value.slice(0, 40))}`);
  return Number(value);
}

function checkFile(file: string, pattern: RegExp, what: string): void {
  if (!pattern.test(file)) throw new HttpError(400, `invalid ${what} name: expected ${pattern.source}, got ${JSON.stringify(file.slice(0, 200))}`);
}

async function sendFile(reply: FastifyReply, file: string, type: string): Promise<FastifyReply> {
  // Opened without following a symlink or blocking on a FIFO, then checked on the open descriptor itself.
  const opened = await openRegular(file);
  if ('error' in opened) throw new HttpError(opened.missing ? 404 : 403, opened.error);
  const { handle, size } = opened;
  if (size > MAX_SERVED_FILE_BYTES) {
    await handle.close();
    throw new HttpError(413, `${path.basename(file)} is ${size} bytes, over the ${MAX_SERVED_FILE_BYTES}-byte limit`);
  }
  const { mtime } = await handle.stat();
  return reply
    .type(type)
    .header('content-length', size)
    .header('cache-control', 'no-cache')
    .header('last-modified', mtime.toUTCString())
    .send(handle.createReadStream());
}
