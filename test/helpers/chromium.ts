// Headless Chromium (Debian's package) driven over the DevTools protocol on a pipe (--remote-debugging-pipe: no
// port opened): opens one local file, records console errors, exceptions and every request the page makes, reads
// values out of the DOM and takes a full-page screenshot.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export interface PageVisit {
  /** Console messages of level error, uncaught exceptions and browser log errors (CSP violations among them). */
  readonly errors: readonly string[];
  /** Every URL the page requested, the page itself included. */
  readonly requests: readonly string[];
  /** The value of `expression`, evaluated in the page once loaded. */
  readonly value: unknown;
  /** PNG of the whole page. */
  readonly screenshot: Buffer;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** Every flag keeps the browser off the network and out of the user's profile: a test run talks to nothing. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-features=Translate,MediaRouter,OptimizationHints',
  '--remote-debugging-pipe',
];

export async function visitPage(file: string, expression: string, timeoutMs = 60_000): Promise<PageVisit> {
  const profile = mkdtempSync(join(tmpdir(), 'dnsward-chromium-'));
  const browser = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  browser.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const toBrowser = browser.stdio[3] as Writable;
  const fromBrowser = browser.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let buffered = '';
  fromBrowser.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let end: number;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined) {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(message.error.message));
        else waiter?.resolve(message);
      } else for (const listen of listeners) listen(message);
    }
  });
  let nextId = 1;
  const send = async (method: string, params: object = {}, sessionId?: string): Promise<Message> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) })}\0`);
    });
  const exited = new Promise<never>((_, reject) =>
    browser.once('exit', (code) => reject(new Error(`chromium exited (${code}):\n${stderr}`))),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`chromium: no result in ${timeoutMs} ms:\n${stderr}`)),
      timeoutMs,
    );
  });
  const visit = async (): Promise<PageVisit> => {
    const errors: string[] = [];
    const requests: string[] = [];
    let loaded: () => void = () => undefined;
    const load = new Promise<void>((resolve) => (loaded = resolve));
    listeners.push((m) => {
      const p = m.params ?? {};
      if (m.method === 'Network.requestWillBeSent') requests.push((p.request as { url: string }).url);
      if (m.method === 'Runtime.exceptionThrown') errors.push(JSON.stringify(p.exceptionDetails));
      if (m.method === 'Runtime.consoleAPICalled' && p.type === 'error') errors.push(JSON.stringify(p.args));
      if (m.method === 'Log.entryAdded' && (p.entry as { level: string }).level === 'error')
        errors.push((p.entry as { text: string }).text);
      if (m.method === 'Page.loadEventFired') loaded();
    });
    const target = await send('Target.createTarget', { url: 'about:blank' });
    const attached = await send('Target.attachToTarget', {
      targetId: target.result?.targetId,
      flatten: true,
    });
    const session = String(attached.result?.sessionId);
    for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await send(`${domain}.enable`, {}, session);
    await send(
      'Emulation.setDeviceMetricsOverride',
      { width: 1200, height: 900, deviceScaleFactor: 1, mobile: false },
      session,
    );
    await send('Page.navigate', { url: pathToFileURL(file).href }, session);
    await load;
    const evaluated = await send('Runtime.evaluate', { expression, returnByValue: true }, session);
    const metrics = await send('Page.getLayoutMetrics', {}, session);
    const size = metrics.result?.cssContentSize as { width: number; height: number };
    const shot = await send(
      'Page.captureScreenshot',
      {
        format: 'png',
        captureBeyondViewport: true,
        clip: { x: 0, y: 0, width: Math.ceil(size.width), height: Math.ceil(size.height), scale: 1 },
      },
      session,
    );
    return {
      errors,
      requests,
      value: (evaluated.result?.result as { value: unknown }).value,
      screenshot: Buffer.from(String(shot.result?.data), 'base64'),
    };
  };
  try {
    return await Promise.race([visit(), exited, timeout]);
  } finally {
    clearTimeout(timer);
    if (browser.exitCode === null) {
      const gone = new Promise((resolve) => browser.once('exit', resolve));
      browser.kill('SIGKILL');
      await gone;
    }
    rmSync(profile, { recursive: true, force: true });
  }
}
