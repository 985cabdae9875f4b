// The checkpoint page: verifies pass tokens in the browser (WebCrypto Ed25519) against the cached
// public keys and signed revocation list, so it works with no network; queues the logged checks
// in localStorage and sends them when the network returns. Reads tokens as passes/tokens.py does;
// the verdict is passes/verdict.py's decide, written again below and held to it by one table of cases.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("fk-config").textContent);
  const L = cfg.labels;
  // The business clock (core.clock): on a frozen story day (the demo) the page's "now" is the
  // phone's moment moved to that day, as the server's is; 0 in production.
  const OFFSET_MS = (cfg.business_offset || 0) * 1000;
  const businessNow = () => Date.now() + OFFSET_MS;
  const PREFIX = "FK1:";
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const KINDS = { 1: "staff", 2: "vehicle" };
  const store = {
    get(name, fallback) {
      try { const v = localStorage.getItem("fk." + name); return v === null ? fallback : JSON.parse(v); }
      catch (e) { return fallback; }
    },
    set(name, value) { localStorage.setItem("fk." + name, JSON.stringify(value)); },
  };
  const $ = (sel) => document.querySelector(sel);
  let keys = new Map();
  let list = null; // {version, issued_at, revoked:Set, suspended:Set, ended:Set, max_age}
  let current = null; // the last verification shown

  // ---- decoding ----------------------------------------------------------------------------
  function b45decode(text) {
    const out = [];
    for (let i = 0; i < text.length; i += 3) {
      const chunk = [];
      for (let j = i; j < Math.min(i + 3, text.length); j++) {
        const v = B45.indexOf(text[j]);
        if (v < 0) throw new Error("char");
        chunk.push(v);
      }
      if (chunk.length === 3) {
        const n = chunk[0] + chunk[1] * 45 + chunk[2] * 2025;
        if (n > 0xffff) throw new Error("range");
        out.push(n >> 8, n & 0xff);
      } else if (chunk.length === 2) {
        const n = chunk[0] + chunk[1] * 45;
        if (n > 0xff) throw new Error("range");
        out.push(n);
      } else throw new Error("length");
    }
    return new Uint8Array(out);
  }

  const utf8 = new TextDecoder("utf-8", { fatal: true });

  function parse(text) {
    text = (text || "").trim();
    if (text.toUpperCase().indexOf(PREFIX) !== 0) throw new Error("prefix");
    const raw = b45decode(text.slice(PREFIX.length).toUpperCase());
    if (raw.length < 20 + 3 + 64) throw new Error("short");
    const body = raw.slice(0, raw.length - 64);
    const sig = raw.slice(raw.length - 64);
    const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    if (dv.getUint8(0) !== 1 || !KINDS[dv.getUint8(1)]) throw new Error("version");
    let pos = 20;
    const texts = [];
    for (let k = 0; k < 2; k++) {
      const n = body[pos];
      if (n === undefined || pos + 1 + n > body.length) throw new Error("text");
      texts.push(utf8.decode(body.slice(pos + 1, pos + 1 + n)));
      pos += 1 + n;
    }
    const count = body[pos];
    if (count === undefined || pos + 1 + 4 * count !== body.length) throw new Error("zones");
    const zones = [];
    for (let k = 0; k < count; k++) zones.push(dv.getUint32(pos + 1 + 4 * k));
    return {
      body, sig,
      claims: {
        kid: dv.getUint16(2), pass_id: dv.getUint32(4), valid_from: dv.getUint32(8), valid_until: dv.getUint32(12),
        unit_id: dv.getUint32(16), kind: KINDS[dv.getUint8(1)], holder: texts[0], unit: texts[1], zones,
      },
    };
  }

  function b64bytes(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // A request that failed on the server's side (5xx) is tried again twice; offline fails at once.
  async function request(url, options) {
    for (let attempt = 0; ; attempt++) {
      const r = await fetch(url, Object.assign({ credentials: "same-origin" }, options || {}));
      if (r.status < 500 || attempt >= 2) return r;
      await new Promise((done) => setTimeout(done, 200 * (attempt + 1)));
    }
  }

  // ---- keys and the revocation list --------------------------------------------------------
  async function loadKeys(doc) {
    const next = new Map();
    for (const k of doc.keys) {
      next.set(k.kid, await crypto.subtle.importKey("raw", b64bytes(k.public_key), { name: "Ed25519" }, false, ["verify"]));
    }
    keys = next;
  }

  async function loadList(doc) {
    const key = keys.get(doc.kid);
    if (!key) throw new Error("list key");
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, b64bytes(doc.sig), new TextEncoder().encode(doc.payload));
    if (!ok) throw new Error("list signature");
    const p = JSON.parse(doc.payload);
    if (list && p.version < list.version) throw new Error("older list");
    list = {
      version: p.version, issued_at: p.issued_at, max_age: p.max_age,
      revoked: new Set(p.revoked), suspended: new Set(p.suspended), ended: new Set(p.ended || []),
    };
  }

  async function refresh() {
    try {
      // One after the other: the list is signed by a key the first answer brings.
      const k = await request(cfg.urls.keys, { cache: "no-store" });
      const r = await request(cfg.urls.revocations, { cache: "no-store" });
      if (!k.ok || !r.ok) throw new Error("http");
      const keyDoc = await k.json();
      const listDoc = await r.json();
      await loadKeys(keyDoc);
      await loadList(listDoc);
      // Only a list that verified is kept for offline use.
      store.set("keys", keyDoc);
      store.set("revocations", listDoc);
    } catch (e) {
      // Offline or the server is unreachable: keep what we have.
    }
    showAge();
  }

  async function restore() {
    const keyDoc = store.get("keys", null);
    const listDoc = store.get("revocations", null);
    try {
      if (keyDoc) await loadKeys(keyDoc);
      if (listDoc) await loadList(listDoc);
    } catch (e) { list = null; }
  }

  function ageText(seconds) {
    const m = Math.floor(seconds / 60);
    if (m < 1) return "不到1分钟";
    if (m < 60) return m + "分钟";
    const h = Math.floor(m / 60);
    if (h < 48) return h + "小时" + (m % 60 ? (m % 60) + "分钟" : "");
    return Math.floor(h / 24) + "天" + (h % 24 ? (h % 24) + "小时" : "");
  }

  function listAge() { return list ? Math.max(0, businessNow() / 1000 - list.issued_at) : null; }

  function showAge() {
    const el = $("#list-age");
    const age = listAge();
    if (age === null) {
      el.className = "stale";
      el.textContent = "没有吊销名单：请联网后刷新，否则无法判定有效";
    } else if (age > list.max_age) {
      el.className = "stale";
      el.textContent = "吊销名单已过时" + ageText(age) + "（第" + list.version + "版），请尽快联网刷新";
    } else {
      el.className = "";
      el.textContent = "吊销名单第" + list.version + "版，" + ageText(age) + "前更新";
    }
    $("#net").textContent = navigator.onLine ? "在线" : "离线";
  }

  // ---- verification ------------------------------------------------------------------------
  // The verdict on the facts, in the one order of passes/verdict.py (decide), line by line; the
  // table fangkong/passes/data/verdict_cases.json runs through both (tests/passes/test_browser.py).
  function decide(f) {
    if (f.token !== "signed") return f.token; // unreadable, unknown_key, forged
    if (f.online && !f.on_record) return "not_found";
    if (f.status === "revoked") return "revoked";
    if (f.status === "suspended") return "suspended";
    if (f.secondment_ended) return "secondment_ended";
    if (f.now < f.valid_from) return "not_yet_valid";
    if (f.now >= f.valid_until) return "expired";
    if (f.checkpoint_zones !== null && f.pass_zones.length && !f.pass_zones.some((z) => f.checkpoint_zones.includes(z))) {
      return "wrong_zone";
    }
    if (!f.online && (f.list_age === null || f.list_age > f.max_list_age)) return "stale_list";
    return "valid";
  }
  window.fkDecide = decide; // used by the browser test

  async function verify(text) {
    let parsed;
    try { parsed = parse(text); } catch (e) { return judge(null, "unreadable"); }
    const c = parsed.claims;
    const key = keys.get(c.kid);
    if (!key) return judge(c, "unknown_key");
    let ok = false;
    try { ok = await crypto.subtle.verify({ name: "Ed25519" }, key, parsed.sig, parsed.body); } catch (e) { ok = false; }
    return judge(c, ok ? "signed" : "forged");
  }
  window.fkVerify = verify; // used by the browser test and the in-browser benchmark

  // The verdict on claims, offline: what the token's reading found (``token``; "signed" for claims
  // the server vouched for, a typed number), the cached revocation list, this checkpoint's zones.
  function judge(c, token) {
    const age = listAge();
    const verdict = decide(c === null ? { token } : {
      token, online: false, on_record: true,
      status: list && list.revoked.has(c.pass_id) ? "revoked" : list && list.suspended.has(c.pass_id) ? "suspended" : "issued",
      secondment_ended: !!(list && list.ended.has(c.pass_id)),
      now: businessNow() / 1000, valid_from: c.valid_from, valid_until: c.valid_until,
      pass_zones: c.zones, checkpoint_zones: cfg.checkpoint.zones,
      list_age: age, max_list_age: list ? list.max_age : 0,
    });
    return c === null ? { verdict } : { verdict, claims: c, age };
  }

  // The period of validity as people read it, like the pass pages (passes/templatetags/pass_dates.py):
  // 2020年2月1日–2月29日 for whole days (a window ends at the midnight after its last day), with
  // times when it does not run from midnight to midnight; in the platform's time zone, whatever
  // the phone's.
  const zoned = new Intl.DateTimeFormat("en-GB", {
    timeZone: cfg.time_zone || undefined, year: "numeric", month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  function parts(ts) {
    const out = {};
    for (const part of zoned.formatToParts(new Date(ts * 1000))) out[part.type] = part.value;
    return { y: +out.year, m: +out.month, d: +out.day, time: out.hour + ":" + out.minute };
  }
  function rangeZh(from, until) {
    const a = parts(from);
    const b = parts(until);
    const day = (p, year) => (year ? p.y + "年" : "") + p.m + "月" + p.d + "日";
    const same = (p, q) => p.y === q.y && p.m === q.m && p.d === q.d;
    if (a.time === "00:00" && b.time === "00:00") {
      const last = parts(until - 1);
      if (until - from <= 86400) return day(a, true);
      return day(a, true) + "–" + day(last, last.y !== a.y);
    }
    if (same(a, b)) return day(a, true) + " " + a.time + "–" + b.time;
    return day(a, true) + " " + a.time + "–" + day(b, b.y !== a.y) + " " + b.time;
  }
  window.fkRangeZh = rangeZh; // used by the browser test

  function show(result, number, token) {
    current = Object.assign({ number: number || "" }, result);
    const box = $("#verdict");
    box.style.display = "block";
    box.className = result.verdict === "valid" ? "ok" : result.verdict === "stale_list" ? "warn" : "bad";
    box.dataset.verdict = result.verdict;
    box.querySelector(".word").textContent = L[result.verdict] || result.verdict;
    let why = "";
    if (result.verdict === "stale_list") why = "吊销名单已过时" + (result.age != null ? ageText(result.age) : "") + "，不能判定有效，请联网刷新或人工核实";
    else if (result.verdict === "wrong_zone") why = "此证不含本卡点所在区域";
    else if (result.verdict === "forged") why = "签名不符：此码被改动或伪造";
    else if (result.verdict === "unknown_key") why = "签发密钥未知：请刷新吊销名单与公钥后重试";
    else if (result.verdict === "unreadable") why = "无法识别：请重新扫码或输入编号";
    else if (result.verdict === "not_found") why = "查无此证件编号";
    else if (result.verdict === "expired") why = "此证已过有效期";
    else if (result.verdict === "not_yet_valid") why = "此证尚未生效";
    else if (result.verdict === "revoked") why = "此证已被吊销";
    else if (result.verdict === "suspended") why = "此证已暂停使用";
    else if (result.verdict === "secondment_ended") why = "持证人的下沉任务已结束";
    if (result.why) why = result.why;
    box.querySelector(".why").textContent = why;
    const c = result.claims;
    const holder = $("#holder");
    const photo = $("#photo");
    photo.hidden = true;
    $("#toast").textContent = "";
    $("#confirm").hidden = true;
    $("#refuse").hidden = true;
    if (!c) { holder.style.display = "none"; return; }
    holder.style.display = "block";
    holder.querySelector(".name").textContent = c.holder;
    holder.querySelector(".unit").textContent = c.unit;
    holder.querySelector(".number").textContent = (c.kind === "vehicle" ? "车辆通行证 " : "出入证 ") + (number || "#" + c.pass_id);
    const dates = holder.querySelector(".dates");
    dates.textContent = rangeZh(c.valid_from, c.valid_until);
    dates.className = result.verdict === "expired" || result.verdict === "not_yet_valid" ? "dates bad" : "dates";
    // Letting someone through is offered for a valid pass only; any other verdict offers the refusal.
    $("#confirm").hidden = result.verdict !== "valid";
    $("#refuse").hidden = result.verdict === "valid";
    if (c.kind === "staff" && navigator.onLine && (token || number)) {
      // The photo is handed out only against the card itself: its scanned code or its number.
      request(cfg.urls.photo.replace("/0/", "/" + c.pass_id + "/"), {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(token ? { token: token } : { number: number }),
      }).then((r) => (r.ok ? r.blob() : null)).then((blob) => {
        if (!blob || !current || current.claims !== c) return;
        const reader = new FileReader();
        reader.onload = () => { photo.src = reader.result; photo.hidden = false; };
        reader.readAsDataURL(blob);
      }).catch(() => {});
    }
    $("#roster").hidden = true;
    if (c.kind === "staff" && result.verdict === "valid" && navigator.onLine) {
      // Offer check-in/out only to a holder rostered here now.
      request(cfg.urls.shift + "?checkpoint=" + encodeURIComponent(cfg.checkpoint.code) + "&pass_id=" + c.pass_id)
        .then((r) => r.json()).then((d) => { if (current && current.claims === c) $("#roster").hidden = !d.shift; })
        .catch(() => {});
    }
  }

  // A typed number as stored: upper case, grouped S4KX-7M2Q-9T (the server checks it properly).
  function canonical(text) {
    const compact = text.toUpperCase().replace(/[\s\-_.·]+/g, "");
    return compact.length === 10 ? compact.slice(0, 4) + "-" + compact.slice(4, 8) + "-" + compact.slice(8) : compact;
  }

  function csrf() { return document.querySelector("[name=csrfmiddlewaretoken]").value; }

  async function check(text) {
    text = (text || "").trim();
    if (!text) return;
    if (text.toUpperCase().indexOf(PREFIX) === 0) { show(await verify(text), "", text); return; }
    // A typed number: the server verifies it here (it never hands out the pass's token) and says
    // what the pass claims only when it is valid in this checkpoint's zone. Those claims are kept
    // so the same number is answered offline against the cached revocation list.
    const number = canonical(text);
    const known = store.get("numbers", {});
    if (navigator.onLine) {
      try {
        const r = await request(cfg.urls.lookup, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
          body: JSON.stringify({ number: text, checkpoint: cfg.checkpoint.code }),
        });
        const data = await r.json();
        if (r.ok) {
          if (data.claims) { known[data.number] = data.claims; store.set("numbers", known); }
          show({ verdict: data.verdict, claims: data.claims }, data.number);
          return;
        }
        if (r.status === 400 || r.status === 429) { show({ verdict: "unreadable", why: data.detail }, number); return; }
      } catch (e) { /* offline: answered below */ }
    }
    const claims = known[number];
    if (claims) { show(judge(claims, "signed"), number); return; }
    show({ verdict: "unreadable", why: "离线时只能核验此前联网查过的编号，请扫码" }, number);
  }

  // ---- the passage log, queued offline -----------------------------------------------------
  function queue() { return store.get("queue", []); }

  function showQueue() {
    const n = queue().length;
    $("#queue").textContent = n ? "待上传记录 " + n + " 条（联网后自动上传）" : "记录已全部上传";
  }

  async function sync() {
    const items = queue();
    if (!items.length || !navigator.onLine) { showQueue(); return; }
    try {
      const r = await request(cfg.urls.log, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": document.querySelector("[name=csrfmiddlewaretoken]").value },
        body: JSON.stringify({ checks: items }),
      });
      if (r.ok) {
        const stored = new Set((await r.json()).stored);
        store.set("queue", queue().filter((e) => !stored.has(e.id)));
      }
    } catch (e) { /* still offline */ }
    showQueue();
  }

  function enqueue(entry) {
    const items = queue();
    items.push(Object.assign({
      id: (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()),
      checkpoint: cfg.checkpoint.code, at: new Date(businessNow()).toISOString(), offline: !navigator.onLine,
      list_version: list ? list.version : null,
    }, entry));
    store.set("queue", items);
    showQueue();
    sync();
  }

  // A passage is recorded for a valid pass only (the server stores any other as a refusal).
  function confirmCheck(direction) {
    if (!current || current.verdict !== "valid") return;
    const c = current.claims || {};
    enqueue({ pass_id: c.pass_id || null, holder: c.holder || "", verdict: current.verdict, direction, confirmed: true });
    $("#toast").textContent = (direction === "in" ? "已登记进入：" : "已登记离开：") + (c.holder || current.number || "");
  }

  function refuse() {
    if (!current || current.verdict === "valid") return;
    const c = current.claims || {};
    enqueue({ pass_id: c.pass_id || null, holder: c.holder || "", verdict: current.verdict, direction: "", confirmed: false });
    $("#refuse").hidden = true;
    $("#toast").textContent = "已登记拒绝通行：" + (c.holder || current.number || "");
  }

  async function roster(direction) {
    if (!current || !current.claims) return;
    try {
      const r = await request(cfg.urls.checkin, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": document.querySelector("[name=csrfmiddlewaretoken]").value },
        body: JSON.stringify({ checkpoint: cfg.checkpoint.code, pass_id: current.claims.pass_id, direction }),
      });
      const data = await r.json();
      $("#toast").textContent = r.ok ? (direction === "in" ? "已签到" : "已签退") : (data.detail || "签到失败");
    } catch (e) { $("#toast").textContent = "离线时不能签到"; }
  }

  // ---- camera ------------------------------------------------------------------------------
  let stream = null;
  async function scan() {
    const video = $("#camera");
    if (stream) { stopScan(); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (e) { $("#toast").textContent = "无法打开摄像头，请输入编号"; return; }
    video.srcObject = stream;
    video.style.display = "block";
    await video.play();
    const canvas = $("#frame");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const tick = () => {
      if (!stream) return;
      if (video.readyState === video.HAVE_ENOUGH_DATA) {
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const code = window.jsQR && window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        if (code && code.data) { stopScan(); check(code.data); return; }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }
  function stopScan() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    $("#camera").style.display = "none";
  }

  // ---- wiring ------------------------------------------------------------------------------
  $("#entry").addEventListener("submit", (e) => { e.preventDefault(); check($("#code").value); });
  $("#scan").addEventListener("click", scan);
  $("#refresh").addEventListener("click", () => refresh());
  document.querySelectorAll("#confirm button").forEach((b) => b.addEventListener("click", () => confirmCheck(b.dataset.direction)));
  $("#refuse-button").addEventListener("click", refuse);
  document.querySelectorAll("#roster button").forEach((b) => b.addEventListener("click", () => roster(b.dataset.roster)));
  window.addEventListener("online", () => { refresh().then(sync); });
  window.addEventListener("offline", showAge);
  setInterval(showAge, 15000);
  setInterval(() => { if (navigator.onLine) refresh().then(sync); }, 5 * 60 * 1000);

  function cachePage() {
    // The first visit is not yet served through the worker: put the page in its cache directly.
    if (!window.caches || !navigator.onLine) return Promise.resolve();
    return caches.open(cfg.cache).then((cache) => cache.add(location.href)).catch(() => {});
  }
  // Requests one at a time: a phone on a weak network, and a server that need not take parallel writes.
  function registerWorker() {
    if (!("serviceWorker" in navigator)) return Promise.resolve();
    return navigator.serviceWorker.register(cfg.urls.sw).catch(() => {});
  }
  localStorage.removeItem("fk.tokens"); // earlier versions kept looked-up tokens here
  window.fkReady = restore().then(refresh).then(cachePage).then(registerWorker).then(sync)
    .then(() => { showQueue(); document.body.dataset.ready = "1"; });
})();
