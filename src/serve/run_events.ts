/**
 * Server-sent events for one run: new metrics lines, status changes and new sample images, found by
 * polling the run folder (cheap, and works where fs.watch does not: network drives, atomic renames).
 *
 * Events: `metrics` (one parsed line; its SSE id is the line's 1-based index, so a reconnecting
 * EventSource resumes with Last-Event-ID), `status` (the parsed status.json), `sample` ({file, step}),
 * `reset` (metrics.jsonl shrank: the client should reload).
 */
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { listSamples, openRegular, parseMetricLines, readSmallFile } from './run_store.ts';

/** Most bytes of metrics.jsonl read per poll; a larger backlog is sent over the following polls. */
const MAX_READ_BYTES = 4 << 20;
const HEARTBEAT_MS = 15_000;

export interface RunEventStreamOptions {
  /** The run's real folder (already validated). */
  dir: string;
  /** Metric lines the client already has; lines after them are sent. Default: all lines now in the file. */
  since?: number;
  pollMs: number;
}

export class RunEventStream {
  private offset = 0;
  private lineCount = 0;
  private statusText: string | null = null;
  private sampleFiles = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private polling = false;
  private closed = false;
  private readonly onClosed: Array<() => void> = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: RunEventStreamOptions,
  ) {}

  async start(): Promise<void> {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.res.write('retry: 2000\n\n');
    this.res.on('close', () => this.close());
    // Skip the lines the client already has (all of them when it did not say).
    const skip = this.opts.since;
    await this.readMetrics(skip ?? Infinity, true);
    this.statusText = await readText(path.join(this.opts.dir, 'status.json'));
    for (const s of await listSamples(this.opts.dir)) this.sampleFiles.add(s.file);
    if (this.closed) return;
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs);
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), HEARTBEAT_MS);
  }

  /** Runs `fn` once the stream has ended (client gone or server closing). */
  whenClosed(fn: () => void): void {
    if (this.closed) fn();
    else this.onClosed.push(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (!this.res.writableEnded) this.res.end();
    for (const fn of this.onClosed.splice(0)) fn();
  }

  private write(chunk: string): void {
    if (!this.closed && !this.res.writableEnded) this.res.write(chunk);
  }

  private send(event: string, data: unknown, id?: number): void {
    this.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return; // a slow disk: skip a tick rather than overlap
    this.polling = true;
    try {
      await this.readMetrics(0, false);
      const status = await readText(path.join(this.opts.dir, 'status.json'));
      if (status !== null && status !== this.statusText) {
        this.statusText = status;
        try {
          this.send('status', JSON.parse(status));
        } catch {
          // status.json mid-write by a writer that does not rename atomically: read it next tick
          this.statusText = null;
        }
      }
      for (const s of await listSamples(this.opts.dir)) {
        if (this.sampleFiles.has(s.file)) continue;
        this.sampleFiles.add(s.file);
        this.send('sample', s);
      }
    } catch {
      // the run folder vanished or is unreadable for a moment; keep polling until the client leaves
    } finally {
      this.polling = false;
    }
  }

  /**
   * Reads new complete lines and sends those past the first `skip` lines of the file. `drain` reads to
   * the end of the file; otherwise one poll reads at most MAX_READ_BYTES.
   */
  private async readMetrics(skip: number, drain: boolean): Promise<void> {
    const file = path.join(this.opts.dir, 'metrics.jsonl');
    // Only a regular file that is not a symlink, opened without blocking (a FIFO would hang the poll).
    const opened = await openRegular(file);
    if ('error' in opened) return;
    const { handle } = opened;
    try {
      for (;;) {
        const { size } = await handle.stat();
        if (size < this.offset) {
          // rewritten from scratch (a restarted run): start over and tell the client
          this.offset = 0;
          this.lineCount = 0;
          this.send('reset', { reason: 'metrics.jsonl was truncated' });
        }
        if (size === this.offset) return;
        const length = Math.min(size - this.offset, MAX_READ_BYTES);
        const buf = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buf, 0, length, this.offset);
        const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (end < 0) return; // only a partial line so far
        this.offset += end + 1;
        for (const line of parseMetricLines(buf.subarray(0, end).toString('utf8'))) {
          this.lineCount++;
          if (this.lineCount > skip) this.send('metrics', line, this.lineCount);
        }
        if (!drain || length < MAX_READ_BYTES) return;
      }
    } finally {
      await handle.close();
    }
  }
}

async function readText(file: string): Promise<string | null> {
  const r = await readSmallFile(file);
  return 'text' in r ? r.text : null;
}
