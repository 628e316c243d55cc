// Shared by the dashboard's pages: escaping, links, the JSON API client, the loading state.

export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
export const short = (h, n = 16) => (typeof h === "string" && h.length > n ? h.slice(0, n) + "…" : String(h));
export const link = (href, text) => `<a href="${esc(href)}">${esc(text)}</a>`;
export const blockLink = (key, text = key) => link(`#/block/${key}`, short(text));
export const txLink = (id) => link(`#/tx/${id}`, short(id));
export const addrLink = (a) => (a === "0" || a === "MODEL" ? esc(a) : link(`#/address/${encodeURIComponent(a)}`, short(a, 24)));
export const when = (ms) => (ms ? new Date(ms).toLocaleString() : "—");

export async function api(path, options = {}) {
  const r = await fetch(path, { headers: { "Content-Type": "application/json" }, ...options });
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = { error: { message: text.slice(0, 200) } }; }
  if (!r.ok) {
    const err = new Error(body && body.error ? body.error.message : `HTTP ${r.status}`);
    err.status = r.status;
    err.code = body && body.error ? body.error.code : null;
    throw err;
  }
  return body;
}

export const post = (path, body) => api(path, { method: "POST", body: JSON.stringify(body) });

export function problem(e) { return `<p class="error" role="alert">${esc(e.message || e)}</p>`; }

// What a page or a part of one shows while its data is on the way (never a blank space).
export function loading(what = "Loading") {
  return `<div class="loading" data-testid="loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${esc(what)}…</div>`;
}

// Every item of a paged list endpoint: follows `next` until the last page (or `maxPages`).
export async function allPages(path, key, { limit = 1000, maxPages = 1000 } = {}) {
  const sep = path.includes("?") ? "&" : "?";
  let from = 0, first = null;
  const items = [];
  for (let i = 0; i < maxPages; i++) {
    const page = await api(`${path}${sep}from=${from}&limit=${limit}`);
    first = first || page;
    items.push(...page[key]);
    if (typeof page.next !== "number" || page.next <= from) break;
    from = page.next;
  }
  return { ...first, [key]: items };
}
