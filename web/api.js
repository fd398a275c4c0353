// The REST API with the token the user signed in with (kept in
// sessionStorage: gone when the tab closes), and server-sent event streams
// read with fetch (EventSource cannot send an Authorization header).

const KEY = 'vend.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

// An RFC 9457 problem from the server (or a network failure, status 0).
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `the server answered ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

let unauthorized = () => {};
export function onUnauthorized(fn) { unauthorized = fn; }

function headers(extra) {
  return Object.assign({ Authorization: `Bearer ${token.get() || ''}` }, extra);
}

export async function api(path, { method = 'GET', body, signal } = {}) {
  const h = headers({ Accept: 'application/json' });
  if (body !== undefined) h['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method, headers: h, signal, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'Network', detail: `cannot reach the vend server (${e.message}); is it running?` });
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const err = new ApiError(res.status, data || { detail: text });
    if (res.status === 401) unauthorized(err);
    throw err;
  }
  return data;
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

// Follows a text/event-stream: onEvent(type, data) for each event; it may
// return 'stop'. Reconnects (with Last-Event-ID) after a dropped
// connection; gives up on a 4xx. Returns a function that stops it.
export function stream(path, onEvent, { onError, onOpen } = {}) {
  const ctrl = new AbortController();
  let lastId = null;
  let stopped = false;
  const stop = () => { stopped = true; ctrl.abort(); };

  (async () => {
    while (!stopped) {
      try {
        const h = headers({ Accept: 'text/event-stream' });
        if (lastId) h['Last-Event-ID'] = lastId;
        const res = await fetch(path, { headers: h, signal: ctrl.signal, cache: 'no-store' });
        if (!res.ok) {
          const p = await res.json().catch(() => null);
          throw new ApiError(res.status, p);
        }
        if (onOpen) onOpen();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let type = 'message', data = '', id = null;
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) type = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
              else if (line.startsWith('id: ')) id = line.slice(4);
            }
            if (!data) continue;
            if (id) lastId = id;
            let parsed;
            try { parsed = JSON.parse(data); } catch { continue; }
            if (onEvent(type, parsed) === 'stop') { stop(); return; }
          }
        }
      } catch (e) {
        if (stopped) return;
        if (onError) onError(e);
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) return;
      }
      await sleep(1500, ctrl.signal);
    }
  })();
  return stop;
}
