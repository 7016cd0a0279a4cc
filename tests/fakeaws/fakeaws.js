'use strict';
// Node (18+) helper for tests: spawns the python fakeaws server and talks to its control API.
//   const { start } = require('.../tests/fakeaws/fakeaws.js');
//   const fake = await start();            // fake.url, fake.port, fake.env()
//   await fake.configure({ sts: { error_code: 'Throttling' } });
//   (await fake.counts()).sts_AssumeRole; await fake.stop();
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const SERVER = path.join(__dirname, 'fakeaws.py');

async function start({ python = process.env.PYTHON || 'python3', args = [] } = {}) {
  // stdin is a pipe on purpose: if this process dies, the server sees EOF and exits too.
  const child = spawn(python, [SERVER, '--port', '0', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const first = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('fakeaws did not start within 10 s')), 10000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      rl.close();
      resolve(line);
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fakeaws exited early (${code})`));
    });
  });
  child.removeAllListeners('exit');
  child.removeAllListeners('error');
  const { port, url } = JSON.parse(first);
  return new FakeAws(child, port, url);
}

class FakeAws {
  constructor(child, port, url) {
    this.child = child;
    this.port = port;
    this.url = url;
  }

  async #call(method, p, body) {
    const res = await fetch(this.url + p, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`fakeaws ${method} ${p}: ${res.status} ${text}`);
    return JSON.parse(text);
  }

  /** Recorded requests, oldest first; optional filter by service and action. */
  async calls(service, action) {
    const all = await this.#call('GET', '/_fake/calls');
    return all.filter(
      (c) => (!service || c.service === service) && (!action || c.action === action),
    );
  }

  counts() {
    return this.#call('GET', '/_fake/counts');
  }

  /** Merge per-service behaviour, e.g. { imds: { delay_ms: 500 } }; null clears a service. */
  configure(obj) {
    return this.#call('POST', '/_fake/config', obj);
  }

  /** Back to the startup state: no calls, serials from 1, no injected behaviour. */
  reset() {
    return this.#call('POST', '/_fake/reset', {});
  }

  /** Env vars that point the AWS SDKs here; container vars are opt-in (they outrank IMDS). */
  env({ ecs = false, ecsToken = 'fakeaws-container-token' } = {}) {
    const env = {
      AWS_EC2_METADATA_SERVICE_ENDPOINT: this.url,
      AWS_ENDPOINT_URL_STS: this.url,
      AWS_ENDPOINT_URL_SSO: this.url,
    };
    if (ecs) {
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${this.url}/ecs/creds`;
      env.AWS_CONTAINER_AUTHORIZATION_TOKEN = ecsToken;
    }
    return env;
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

module.exports = { start, FakeAws, SERVER };
