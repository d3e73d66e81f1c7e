// Talking to the API: the bearer token (kept in sessionStorage, so it
// goes when the tab closes), JSON calls, the upload with its progress, and
// file downloads. Every error answer is {error, message}; it becomes an
// ApiError carrying both. A 401 anywhere signs the page out.

const KEY = 'leadger.token';

export const session = {
  token: () => sessionStorage.getItem(KEY),
  save: (token) => sessionStorage.setItem(KEY, token),
  clear: () => sessionStorage.removeItem(KEY),
  /** {name, role} once signed in. */
  who: null,
  isAdmin() {
    return this.who !== null && this.who.role === 'admin';
  },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function authHeaders(token) {
  return { Authorization: `Bearer ${token || session.token() || ''}` };
}

/** Tells main.js the token it signed in with is no longer good. */
function unauthorized(error) {
  if (error.status === 401 && session.who !== null) {
    window.dispatchEvent(new CustomEvent('leadger:unauthorized', { detail: error.message }));
  }
  return error;
}

function errorFrom(status, text) {
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === 'string') {
      return new ApiError(status, String(body.error || 'error'), body.message);
    }
  } catch (_) {
    // Not our JSON: a proxy's page, say. Fall through.
  }
  return new ApiError(status, 'error', `the server answered ${status}`);
}

async function call(method, path, token) {
  let resp;
  try {
    resp = await fetch(path, { method, headers: authHeaders(token) });
  } catch (e) {
    throw new ApiError(0, 'network', `the server could not be reached (${e.message})`);
  }
  if (!resp.ok) throw unauthorized(errorFrom(resp.status, await resp.text()));
  return resp;
}

/** GET a JSON answer. `token` overrides the saved one (to sign in). */
export async function getJson(path, token) {
  return (await call('GET', path, token)).json();
}

/** POST without a body, e.g. a commit. */
export async function postJson(path) {
  return (await call('POST', path)).json();
}

/**
 * POSTs `file` as the multipart field `file`. onProgress(fraction) while
 * the bytes go up, then onProgress(null) while the server works on them.
 */
export function upload(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Authorization', authHeaders().Authorization);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.upload.onload = () => onProgress(null);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch (e) {
          reject(new ApiError(xhr.status, 'bad_answer', `the answer was not JSON: ${e.message}`));
        }
      } else {
        reject(unauthorized(errorFrom(xhr.status, xhr.responseText)));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'the upload failed: the server could not be reached'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/**
 * Polls GET /api/progress while the server works on a preview or a commit
 * and hands each answer {phase, done, total} to onProgress. Returns the
 * function that stops it. A failed poll is skipped: the bar just waits.
 */
export function watchProgress(onProgress) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    try {
      const view = await getJson('/api/progress');
      if (!stopped) onProgress(view);
    } catch (_) {
      // The answer to the long request itself reports any real failure.
    }
    if (!stopped) timer = setTimeout(tick, 400);
  };
  timer = setTimeout(tick, 200);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** The file name in a Content-Disposition header (RFC 6266 form first). */
export function fileName(disposition, fallback) {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition || '');
  if (star) {
    try {
      return decodeURIComponent(star[1]);
    } catch (_) {
      // A malformed escape: use the plain form.
    }
  }
  const plain = /filename="([^"]*)"/i.exec(disposition || '');
  return plain ? plain[1] : fallback;
}

/** Fetches a file with the token; answers {blob, name}. */
export async function fetchFile(path, fallbackName) {
  const resp = await call('GET', path);
  const blob = await resp.blob();
  return { blob, name: fileName(resp.headers.get('Content-Disposition'), fallbackName) };
}

/** Hands a blob to the browser as a download named `name`. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the object URL; free it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
