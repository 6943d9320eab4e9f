/*
 * take-store.js — the browser's copy of every take until the server confirms it.
 *
 * A take is written to IndexedDB BEFORE any upload and deleted ONLY when the
 * server answers 2xx with JSON whose sha256 equals the local one (or rejects it
 * for good with a 4xx JSON error, which the page is told about). Everything
 * still queued is uploaded again after a reload, a crash or a lost connection.
 *
 *   const store = new TakeStore({upload = uploadTake, target = window});
 *   store.start()                    resume uploading everything pending (call on page load)
 *   await store.add({taskId, sectionId, kind, blob, uploadUrl, fields?, meta?}) -> record
 *       kind: "take" | "consent" | "roomtone"; fields: extra form fields for the POST;
 *       meta: anything the page wants back later (sampleRate, durationS, ...).
 *       Computes sha256 (crypto.subtle) and a clientId (uuid). Rejects (and stores
 *       nothing) if IndexedDB is full or unavailable: the page must keep the blob and
 *       tell the user.
 *   await store.get(clientId) / store.list({taskId}) / store.pendingCount({taskId})
 *   await store.discard(clientId)    the user deleted a take that is still queued
 *   store.retryNow()                 forget the backoff and try everything now
 *   store.stop()
 *
 * Record: {clientId, taskId, sectionId, kind, blob, sha256, size, uploadUrl, fields, meta,
 *          createdAt, attempts, state: "pending"|"uploading", nextAttemptAt, lastError,
 *          uploadId (a finished tus upload not yet claimed)}
 *
 * Events, dispatched on `target` (window by default), detail in brackets:
 *   takestore:changed  {pending}                 count changed or a take changed state
 *   takestore:uploaded {take, response}          confirmed by the server; removed locally
 *   takestore:rejected {take, httpStatus, error: {code, message}}   refused for good; removed
 *   takestore:retry    {take, attempts, delayMs, error}    will try again after delayMs
 *   takestore:progress {take, loaded, total}
 * `take` in details is the record without its blob.
 *
 * Uploads run one at a time, oldest first. Failures back off exponentially
 * (1 s, 2 s, 4 s ... capped at 30 s) with jitter; nothing is tried while
 * navigator.onLine is false, and everything is tried at once on "online".
 * With several tabs open, one holds a Web Lock and uploads; the others see the
 * same counter through a BroadcastChannel and take over when it closes.
 */

import { uploadTake } from "./uploader.js";

const DB_NAME = "voice-booth";
const DB_VERSION = 1;
const STORE = "takes";
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
const LOCK_NAME = "voice-booth-take-uploader";

export class TakeStore {
  constructor({ upload = uploadTake, target = globalThis, dbName = DB_NAME, baseDelayMs = BASE_DELAY_MS, maxDelayMs = MAX_DELAY_MS } = {}) {
    this.upload = upload;
    this.target = target;
    this.dbName = dbName;
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
    this._db = null;
    this._wake = null;
    this._stopped = true;
    this._running = false;
    this._channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(`${dbName}-takes`) : null;
    if (this._channel) {
      this._channel.onmessage = () => {
        this.wake();
        this._emitChanged(false);
      };
    }
    this._onOnline = () => this.retryNow();
    this._onOffline = () => this._emitChanged(false);
  }

  /* ---- queue API ------------------------------------------------------- */

  async add({ taskId, sectionId = null, kind = "take", blob, uploadUrl, fields = {}, meta = {} }) {
    if (!(blob instanceof Blob) || blob.size === 0) throw new Error("A take needs a non-empty Blob");
    if (!uploadUrl) throw new Error("A take needs its uploadUrl");
    const record = {
      clientId: newClientId(),
      taskId,
      sectionId,
      kind,
      blob,
      sha256: await sha256Hex(blob),
      size: blob.size,
      uploadUrl,
      fields,
      meta,
      createdAt: Date.now(),
      attempts: 0,
      state: "pending",
      nextAttemptAt: 0,
      lastError: null,
      uploadId: null,
    };
    await this._put(record);
    this._emitChanged();
    this.wake();
    return record;
  }

  async get(clientId) {
    const rec = await this._tx("readonly", (s) => s.get(clientId));
    return rec ? fromStored(rec) : null;
  }

  async list({ taskId = null } = {}) {
    const all = (await this._tx("readonly", (s) => s.getAll())).map(fromStored);
    return all.filter((r) => taskId === null || r.taskId === taskId).sort((a, b) => a.createdAt - b.createdAt);
  }

  async pendingCount({ taskId = null } = {}) {
    if (taskId === null) return await this._tx("readonly", (s) => s.count());
    return (await this.list({ taskId })).length;
  }

  async discard(clientId) {
    await this._tx("readwrite", (s) => s.delete(clientId));
    this._emitChanged();
  }

  /* ---- upload loop ----------------------------------------------------- */

  start() {
    if (!this._stopped) return this;
    this._stopped = false;
    addEventListener("online", this._onOnline);
    addEventListener("offline", this._onOffline);
    navigator.storage?.persist?.().catch(() => {}); // ask the browser not to evict queued takes
    const run = () => this._run();
    if (navigator.locks?.request) {
      navigator.locks.request(LOCK_NAME, run).catch((err) => console.error("take upload loop", err));
    } else {
      run();
    }
    this._emitChanged(false);
    return this;
  }

  stop() {
    this._stopped = true;
    removeEventListener("online", this._onOnline);
    removeEventListener("offline", this._onOffline);
    this.wake();
  }

  wake() {
    const w = this._wake;
    this._wake = null;
    if (w) w();
    else this._wokenEarly = true; // the loop is busy: make its next sleep return at once
  }

  async retryNow() {
    const all = await this._tx("readonly", (s) => s.getAll());
    for (const rec of all) {
      if (rec.nextAttemptAt > Date.now()) await this._patch(rec.clientId, { nextAttemptAt: 0 });
    }
    this.wake();
    this._emitChanged(); // broadcast, so the tab that holds the upload lock wakes too
  }

  async _run() {
    if (this._running) return;
    this._running = true;
    try {
      while (!this._stopped) {
        if (navigator.onLine === false) {
          await this._sleep(null); // the "online" event wakes us
          continue;
        }
        this._wokenEarly = false;
        const queued = (await this._tx("readonly", (s) => s.getAll())).sort((a, b) => a.createdAt - b.createdAt);
        if (queued.length === 0) {
          await this._sleep(null);
          continue;
        }
        const now = Date.now();
        const due = queued.find((r) => (r.nextAttemptAt || 0) <= now);
        if (!due) {
          await this._sleep(Math.min(...queued.map((r) => r.nextAttemptAt)) - now);
          continue;
        }
        await this._attempt(fromStored(due));
      }
    } finally {
      this._running = false;
    }
  }

  _sleep(ms) {
    if (this._wokenEarly) {
      this._wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = ms === null ? null : setTimeout(() => this.wake(), Math.max(0, ms));
      this._wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async _attempt(take) {
    const attempts = (take.attempts || 0) + 1;
    if (!(await this._patch(take.clientId, { state: "uploading", attempts }))) return; // discarded meanwhile
    this._emitChanged(false);
    const summary = withoutBlob({ ...take, attempts });
    let result;
    try {
      result = await this.upload(take, {
        onProgress: (loaded, total) => this._emit("progress", { take: summary, loaded, total }),
        onUploadId: (uploadId) => this._patch(take.clientId, { uploadId }),
      });
    } catch (err) {
      result = { status: "retry", error: { code: "client_error", message: String(err?.message || err) } };
    }

    if (result.status === "stored") {
      if (result.body?.sha256?.toLowerCase() === take.sha256) {
        await this.discard(take.clientId);
        this._emit("uploaded", { take: summary, response: result.body });
        return;
      }
      result = {
        status: "retry",
        error: { code: "checksum_mismatch", message: "The server stored different bytes; sending the take again." },
        patch: { uploadId: null },
      };
    }
    if (result.status === "rejected") {
      await this.discard(take.clientId);
      this._emit("rejected", { take: summary, httpStatus: result.httpStatus, error: result.error });
      return;
    }
    const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(attempts - 1, 20));
    const delayMs = Math.max(result.retryAfterMs || 0, Math.round(backoff / 2 + (Math.random() * backoff) / 2));
    await this._patch(take.clientId, {
      ...(result.patch || {}),
      state: "pending",
      nextAttemptAt: Date.now() + delayMs,
      lastError: result.error || null,
    });
    this._emit("retry", { take: summary, attempts, delayMs, error: result.error });
    this._emitChanged(false);
  }

  /* ---- IndexedDB ------------------------------------------------------- */

  _open() {
    if (!this._db) {
      this._db = new Promise((resolve, reject) => {
        const req = indexedDB.open(this.dbName, DB_VERSION);
        req.onupgradeneeded = () => {
          const os = req.result.createObjectStore(STORE, { keyPath: "clientId" });
          os.createIndex("taskId", "taskId");
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => {
          this._db = null;
          reject(req.error);
        };
      });
    }
    return this._db;
  }

  async _tx(mode, fn) {
    const db = await this._open();
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      let value;
      if (req) req.onsuccess = () => (value = req.result);
      tx.oncomplete = () => resolve(value); // durable only once the transaction completes
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("IndexedDB transaction aborted"));
    });
  }

  async _put(record) {
    try {
      await this._tx("readwrite", (s) => s.put(record));
    } catch (err) {
      if (err?.name !== "DataCloneError") throw err;
      // Some browsers cannot store Blobs in IndexedDB (private modes): keep the bytes.
      const { blob, ...rest } = record;
      const bytes = await blob.arrayBuffer(); // read first: a transaction closes on await
      await this._tx("readwrite", (s) => s.put({ ...rest, bytes, blobType: blob.type }));
    }
  }

  async _patch(clientId, changes) {
    const db = await this._open();
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, "readwrite");
      const s = tx.objectStore(STORE);
      let found = false;
      const req = s.get(clientId);
      req.onsuccess = () => {
        if (req.result) {
          found = true;
          s.put({ ...req.result, ...changes });
        }
      };
      tx.oncomplete = () => resolve(found);
      tx.onerror = () => reject(tx.error);
    });
  }

  /* ---- events ---------------------------------------------------------- */

  _emit(name, detail) {
    this.target?.dispatchEvent?.(new CustomEvent(`takestore:${name}`, { detail }));
  }

  async _emitChanged(broadcast = true) {
    if (broadcast) this._channel?.postMessage("changed");
    try {
      this._emit("changed", { pending: await this.pendingCount(), online: navigator.onLine !== false });
    } catch (err) {
      console.error("take store", err);
    }
  }
}

/* ---- helpers ------------------------------------------------------------ */

export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function fromStored(rec) {
  if (rec.blob || !rec.bytes) return rec;
  const { bytes, blobType, ...rest } = rec;
  return { ...rest, blob: new Blob([bytes], { type: blobType }) };
}

function withoutBlob(rec) {
  const { blob, bytes, ...rest } = rec;
  return rest;
}
