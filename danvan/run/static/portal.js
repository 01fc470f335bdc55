/* danvan portal: search, filters and unit pages over window.DANVAN_PORTAL_DATA (portal-data.js).
   Everything is built with DOM calls and textContent: no string from the data is ever parsed as
   HTML. No network: the data comes from a <script>, links are relative paths. */
(function () {
  "use strict";

  var BUILD = (document.querySelector('meta[name="danvan-build"]') || {}).content;
  var DATA_VERSION = 2;        // danvan.run.portal.DATA_VERSION
  var PAGE = 25;               // results drawn at a time ("Xem thêm" draws the next ones)
  var SITE = document.title;
  var COLLATOR = new Intl.Collator("vi");

  // ---- search normalisation: the twin of danvan.run.portal.normalize() ----------------------------
  // NFD, drop every mark (general category M), đ/Đ -> d, lower case, collapse spaces.
  var MARKS = /\p{M}/gu;
  var SPACES = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+/g;
  function normalize(s) {
    return String(s).normalize("NFD").replace(MARKS, "").replace(/[đĐ]/g, "d").toLowerCase()
      .replace(SPACES, " ").replace(/^ +| +$/g, "");
  }

  // for tests and the benchmark: normalize(), change(), timings of updates, pending (an update is due)
  var api = window.danvanPortal = { normalize: normalize, timings: [], frames: [], recordTimings: false,
                                    pending: false };
  // A title from its kind's template: the twin of danvan.run.portal._fill() (same order).
  function fill(t, y, n, f) {
    return t.split("{n}").join(n).split("{y}").join(String(y)).split("{f}").join(String(f));
  }

  // ---- DOM helpers ------------------------------------------------------------------------------
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") el.className = v;
        else if (k === "text") el.textContent = v;
        else el.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) el.append(x); });
      else el.append(c);   // strings become text nodes
    }
    return el;
  }
  function $(id) { return document.getElementById(id); }
  function thousands(s) { return s.replace(/\B(?=(\d{3})+(?!\d))/g, "."); }
  function count(n) { return thousands(String(n)); }
  // A relative path of the outputs folder as an href (never a scheme: no javascript: etc.).
  function safeHref(p) {
    p = String(p);
    if (/^[a-z][a-z0-9+.\-]*:/i.test(p) || p.indexOf("//") === 0 || p.charAt(0) === "/") return null;
    return p.split("/").map(encodeURIComponent).join("/");
  }

  // ---- data ---------------------------------------------------------------------------------
  var D = window.DANVAN_PORTAL_DATA;
  var countEl = $("count");
  if (!D || D.v !== DATA_VERSION) {
    countEl.textContent = "Không tải được dữ liệu của trang (tệp portal-data.js thiếu hoặc khác phiên bản). " +
      "Hãy chạy lại bước tạo trang mục lục.";
    countEl.classList.add("notice");
    return;
  }
  if (D.build !== BUILD) {
    $("gen-info").textContent = "Trang và dữ liệu không cùng một lần tạo: hãy tải lại trang (Ctrl+F5).";
  }
  // unpack the columnar data (see danvan.run.portal.portal_data for the format)
  function undelta(a) {
    var out = new Int32Array(a.length), acc = 0;
    for (var j = 0; j < a.length; j++) { acc += a[j]; out[j] = acc; }
    return out;
  }
  var U = D.u, X = D.x || {}, IND = D.ind, PER = D.per || {};
  var R = { u: undelta(D.r.ud), y: new Uint8Array(D.r.ud.length), k: new Uint8Array(D.r.ud.length),
            s: new Uint8Array(D.r.ud.length), f: D.r.f };
  (function () {
    var at = 0;
    D.r.yc.forEach(function (n, yi) { R.y.fill(yi, at, at + n); at += n; });
    for (var j = 0; j < D.r.t.length; j++) { R.k[j] = D.r.t[j] >> 3; R.s[j] = D.r.t[j] & 7; }
  })();
  var F = { r: undelta(D.fig.rd), v: D.fig.v, pc: undelta(D.fig.pcd), pr: D.fig.pr, py: D.fig.py,
            pn: D.fig.pn, notes: D.fig.notes, w: D.fig.w || {}, wx: D.fig.wx || {} };
  var NI = D.fig.n;
  var nU = U.code.length, nR = R.u.length;
  var unitByCode = Object.create(null);
  for (var i = 0; i < nU; i++) unitByCode[U.code[i]] = i;
  var recsOfUnit = [], kidsOf = [];
  for (i = 0; i < nU; i++) { recsOfUnit.push([]); kidsOf.push([]); }
  for (i = 0; i < nR; i++) recsOfUnit[R.u[i]].push(i);
  for (i = 0; i < nU; i++) if (U.par[i] >= 0) kidsOf[U.par[i]].push(i);
  var figAt = new Int32Array(nR).fill(-1);
  for (i = 0; i < F.r.length; i++) figAt[F.r[i]] = i * NI;
  var priorSame = new Uint8Array(nR);
  for (i = 0; i < F.pc.length; i++) priorSame[F.pc[i]] = 1;
  var recKey = Object.create(null);   // "unit|kind|year" -> record index
  for (i = 0; i < nR; i++) recKey[R.u[i] + "|" + R.k[i] + "|" + D.years[R.y[i]]] = i;
  var hasRecords = new Uint8Array(nU);  // the unit or one of its descendants has a record
  var yearUnder = new Int32Array(nU);   // the latest year of such a record (names a parent as then)
  for (i = 0; i < nR; i++) {
    var ry = D.years[R.y[i]];
    hasRecords[R.u[i]] = 1;
    for (var a = parAt(R.u[i], ry), depth = 0; a >= 0 && depth < 8; a = parAt(a, ry), depth++) {
      hasRecords[a] = 1;
      if (ry > yearUnder[a]) yearUnder[a] = ry;
    }
  }
  for (i = 0; i < nU; i++) {  // a former parent lists its former children too
    (PER[i] || []).forEach(function (p) { if (p[2] >= 0 && kidsOf[p[2]].indexOf(i) < 0) kidsOf[p[2]].push(i); });
  }

  // Name and parent of a unit in a year (a code renamed, or reused after a merger).
  function periodAt(u, y) {
    var ps = PER[u];
    if (ps) for (var j = 0; j < ps.length; j++) if (ps[j][0] >= y) return ps[j];
    return null;
  }
  function nameAt(u, y) { var p = periodAt(u, y); return p ? p[1] : U.name[u]; }
  function parAt(u, y) { var p = periodAt(u, y); return p ? p[2] : U.par[u]; }
  function year(r) { return D.years[R.y[r]]; }
  function kindStem(r) { return D.kinds[R.k[r]][0]; }
  function kindName(r) { return D.kinds[R.k[r]][1]; }
  function status(r) { return R.s[r] & 3; }
  function illustrative(r) { return (R.s[r] & 4) !== 0; }
  function fmtsOf(r) {
    var out = [], ex = X[r] && X[r].p;
    for (var j = 0; j < D.fmts.length; j++) {
      if (R.f[r] & (1 << j)) {
        var f = D.fmts[j];
        out.push([f, ex && ex[f] ? ex[f] : year(r) + "/" + U.code[R.u[r]] + "/" + kindStem(r) + "." + f]);
      }
    }
    return out;
  }
  function title(r) {
    if (X[r] && X[r].t) return X[r].t;
    var y = year(r), t = D.kinds[R.k[r]][2];
    if (!t) return kindName(r) + " năm " + y + " – " + nameAt(R.u[r], y);
    return fill(t, y, nameAt(R.u[r], y), X[r] && X[r].fy !== undefined ? X[r].fy : "");
  }
  var FMT_LABEL = { html: "Xem", pdf: "PDF", docx: "Word", ipynb: "Sổ tay" };
  var STATUS_LABEL = ["Đã tạo", "Lỗi khi tạo", "Chưa có số liệu"];
  var STATUS_CLASS = ["ok", "failed", "no-data"];

  function badges(r) {
    var out = [h("span", { class: "badge " + STATUS_CLASS[status(r)], text: STATUS_LABEL[status(r)] })];
    if (illustrative(r)) out.push(h("span", { class: "badge ill", text: "Số liệu minh họa" }));
    return out;
  }
  function fileLinks(r, cls) {
    var ctx = " – " + kindName(r) + " năm " + year(r) + ", " + nameAt(R.u[r], year(r));
    return h("span", { class: cls }, fmtsOf(r).map(function (fp) {
      var href = safeHref(fp[1]);
      if (!href) return null;
      return h("a", { href: href }, FMT_LABEL[fp[0]] || fp[0].toUpperCase(), h("span", { class: "vh", text: ctx }));
    }));
  }

  (function hintExample() {  // an example from the data: the first commune listed
    for (var e = 0; e < nU; e++) {
      if (U.lvl[e] === 2 && recsOfUnit[e].length) {
        $("q-hint").textContent = "Tên hoặc mã đơn vị; gõ có dấu hay không dấu đều được (ví dụ: " +
          normalize(U.name[e]) + " hoặc " + U.code[e] + ").";
        return;
      }
    }
  })();

  // ---- filters --------------------------------------------------------------------------------
  var qEl = $("q"), yearEl = $("f-year"), parentEl = $("f-parent"), kindEl = $("f-kind"), statusEl = $("f-status");
  D.years.forEach(function (y) { yearEl.append(h("option", { value: y, text: "Năm " + y })); });
  D.kinds.forEach(function (k, j) {
    var used = false;
    for (var r = 0; r < nR && !used; r++) used = R.k[r] === j;
    if (used) kindEl.append(h("option", { value: k[0], text: k[1] }));
  });
  (function parentOptions() {
    var groups = [["Tỉnh, thành phố trực thuộc trung ương", []], ["Quận, huyện, thị xã, thành phố thuộc tỉnh", []],
                  ["Đơn vị khác", []]];
    for (var u = 0; u < nU; u++) {
      if (!hasRecords[u] || U.lvl[u] === 2) continue;
      var ok = kidsOf[u].some(function (c) { return hasRecords[c]; });
      for (var j = 0; !ok && j < recsOfUnit[u].length; j++) ok = kindStem(recsOfUnit[u][j]) === "summary";
      if (!ok) continue;
      var y = yearUnder[u] || 1e9, up = parAt(u, y);
      var label = nameAt(u, y) + (U.lvl[u] === 1 && up >= 0 ? " (" + nameAt(up, y) + ")" : "");
      groups[U.lvl[u] === 0 ? 0 : U.lvl[u] === 1 ? 1 : 2][1].push(h("option", { value: U.code[u], text: label }));
    }
    groups.forEach(function (g) { if (g[1].length) parentEl.append(h("optgroup", { label: g[0] }, g[1])); });
  })();
  (function () {
    var n0 = 0, nUnits = 0;
    for (var j = 0; j < nR; j++) if (status(j) === 0) n0++;
    for (j = 0; j < nU; j++) if (recsOfUnit[j].length) nUnits++;
    $("gen-info").textContent = (D.build !== BUILD ? $("gen-info").textContent + " " : "") +
      count(nR) + " báo cáo của " + count(nUnits) + " đơn vị (" + count(n0) + " đã tạo).";
  })();

  function state() {
    return { q: qEl.value, y: yearEl.value, p: parentEl.value, k: kindEl.value, s: statusEl.value };
  }
  var scoreCache = { q: null, score: null };
  // Per unit: 0 = the query is a phrase at a word start of a name or the code, 1 = the phrase
  // elsewhere, 2 = every word somewhere, -1 = no match (search form precomputed in Python).
  function unitScores(qn) {
    if (scoreCache.q === qn) return scoreCache.score;
    var score = new Int8Array(nU), toks = qn ? qn.split(" ") : [];
    if (toks.length) {
      for (var u = 0; u < nU; u++) {
        var key = U.key[u], p = key.indexOf(qn);
        if (p === 0 || (p > 0 && key.charCodeAt(p - 1) === 32)) score[u] = 0;
        else if (p > 0) score[u] = 1;
        else {
          score[u] = 2;
          for (var t = 0; t < toks.length; t++) if (key.indexOf(toks[t]) < 0) { score[u] = -1; break; }
        }
      }
    }
    scoreCache = { q: qn, score: score };
    return score;
  }
  function under(u, p, y) {  // u is p, or below p in year y (at most 8 levels: no endless loop)
    for (var a = u, depth = 0; a >= 0 && depth < 8; a = parAt(a, y), depth++) if (a === p) return true;
    return false;
  }
  function inParentMask(code) {  // 1: under the parent (latest placement); 2: ask per year
    var mask = new Uint8Array(nU), p = unitByCode[code];
    if (p === undefined) return mask;
    for (var u = 0; u < nU; u++) mask[u] = PER[u] ? 2 : (under(u, p, 1e9) ? 1 : 0);
    mask.parent = p;
    return mask;
  }
  var parentCache = { code: null, mask: null };
  function statusOk(r, s) {
    switch (s) {
      case "ok": return status(r) === 0;
      case "official": return R.s[r] === 0;
      case "ill": return illustrative(r);
      case "failed": return status(r) === 1;
      case "no-data": return status(r) === 2;
      default: return true;
    }
  }
  function filter(st) {
    var qn = normalize(st.q), score = unitScores(qn);
    var yi = st.y ? D.years.indexOf(+st.y) : -1;
    var ki = -1;
    if (st.k) D.kinds.forEach(function (k, j) { if (k[0] === st.k) ki = j; });
    var mask = null;
    if (st.p) {
      if (parentCache.code !== st.p) parentCache = { code: st.p, mask: inParentMask(st.p) };
      mask = parentCache.mask;
    }
    var buckets = qn ? [[], [], []] : [[]];
    for (var r = 0; r < nR; r++) {
      var u = R.u[r], sc = score[u];
      if (sc < 0) continue;
      if (st.y && R.y[r] !== yi) continue;
      if (st.k && R.k[r] !== ki) continue;
      if (mask && (mask[u] === 0 || (mask[u] === 2 && !under(u, mask.parent, D.years[R.y[r]])))) continue;
      if (st.s && !statusOk(r, st.s)) continue;
      buckets[qn ? sc : 0].push(r);
    }
    return buckets.length === 1 ? buckets[0] : buckets[0].concat(buckets[1], buckets[2]);
  }

  // ---- list view ------------------------------------------------------------------------------
  var resultsEl = $("results"), moreEl = $("more");
  var current = [], shown = 0;
  var rowCache = new Map();    // record index -> its <li> (rows are rebuilt only when new)
  function row(r) {
    var li = rowCache.get(r);
    if (li) return li;
    if (rowCache.size > 4000) rowCache.clear();
    li = buildRow(r);
    rowCache.set(r, li);
    return li;
  }
  function buildRow(r) {
    var u = R.u[r], y = year(r), par = parAt(u, y);
    return h("li", { class: "rec", "data-record": r, "data-unit": U.code[u] },
      h("div", null,
        h("h3", null, h("a", { href: "#/don-vi/" + encodeURIComponent(U.code[u]) }, nameAt(u, y))),
        h("p", { class: "meta" }, "Mã " + U.code[u] + (par >= 0 ? " · " + nameAt(par, y) : ""))),
      h("div", null,
        h("p", { class: "kind" }, kindName(r) + " · năm " + y),
        h("p", null, badges(r))),
      h("div", null,
        h("p", null, fileLinks(r, "files")),
        X[r] && X[r].e ? h("p", { class: "err", text: "Lỗi: " + X[r].e }) : null));
  }
  function drawMore(n) {
    var frag = document.createDocumentFragment(), start = shown;
    var end = Math.min(current.length, shown + n);
    for (var j = start; j < end; j++) frag.append(row(current[j]));
    resultsEl.append(frag);
    shown = end;
    moreEl.hidden = shown >= current.length;
    if (!moreEl.hidden) {
      moreEl.textContent = "Xem thêm " + count(Math.min(PAGE, current.length - shown)) + " báo cáo";
    }
    return start;
  }
  function countText() {
    if (!current.length) return "Không tìm thấy báo cáo nào phù hợp. Hãy thử bỏ bớt bộ lọc hoặc gõ ít chữ hơn.";
    var t = "Tìm thấy " + count(current.length) + " báo cáo";
    if (shown < current.length) t += ", đang hiện " + count(shown);
    return t + ".";
  }
  function sameStart(a, b, n) {
    if (a.length !== b.length) return false;
    for (var j = 0; j < n && j < a.length; j++) if (a[j] !== b[j]) return false;
    return true;
  }
  function update(fromUser) {
    var st = state();
    var next = filter(st);
    if (!sameStart(next, current, shown) || !shown) {  // unchanged results: keep the rows drawn
      current = next;
      shown = 0;
      resultsEl.replaceChildren();
      drawMore(current.length <= 2 * PAGE ? current.length : PAGE);  // a short list: all at once
    } else {
      current = next;
    }
    countEl.textContent = countText();
    if (fromUser) saveHash(st);
  }
  function saveHash(st) {
    var p = new URLSearchParams();
    if (st.q) p.set("q", st.q);
    if (st.y) p.set("nam", st.y);
    if (st.p) p.set("cap-tren", st.p);
    if (st.k) p.set("loai", st.k);
    if (st.s) p.set("trang-thai", st.s);
    var hash = "#/" + (p.toString() ? "?" + p.toString() : "");
    lastListHash = hash;
    try { history.replaceState(null, "", hash); } catch (e) { /* file:// in some browsers: keep going */ }
  }
  // Typing faster than the page can redraw must not queue redraws: every input asks for one
  // update at the next frame, which serves all the keystrokes since the last one.
  var pendingInputs = [];
  function onInput() {
    pendingInputs.push(performance.now());
    if (pendingInputs.length > 1) return;
    api.pending = true;
    requestAnimationFrame(function () {
      var waiting = pendingInputs;
      pendingInputs = [];
      var t0 = performance.now();
      update(true);
      var t1 = performance.now();
      api.pending = false;
      if (api.recordTimings) {
        api.timings.push(t1 - t0);
        // after the frame that shows the results: the latency of every keystroke it serves
        requestAnimationFrame(function () {
          setTimeout(function () {
            var now = performance.now();
            waiting.forEach(function (t) { api.frames.push(now - t); });
          }, 0);
        });
      }
    });
  }
  qEl.addEventListener("input", onInput);
  [yearEl, parentEl, kindEl, statusEl].forEach(function (el) { el.addEventListener("change", onInput); });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); onInput(); });
  $("filters").addEventListener("reset", function () { setTimeout(function () { onInput(); qEl.focus(); }, 0); });
  moreEl.addEventListener("click", function () {
    var first = drawMore(PAGE);
    countEl.textContent = countText();
    var li = resultsEl.children[first];
    if (li) li.querySelector("a").focus();
  });

  // ---- key figures: the report's ways of writing them (danvan.indicators.fig.Fig) ------------------
  // ind = [code, label, unit, decimals, is_rate, kind, signed, scale]; values are integers
  // value * 10**scale. Fixed decimals when the catalogue sets them, else as many as the value has
  // (danvan.core.vnformat.fmt_number).
  function digits(v, dec) {         // |v| / 10**dec with "." thousands and "," decimals, dec kept
    var s = String(v < 0 ? -v : v);
    if (dec <= 0) return thousands(s);
    while (s.length <= dec) s = "0" + s;
    return thousands(s.slice(0, -dec)) + "," + s.slice(-dec);
  }
  function trimmed(v, dec) {        // the same without trailing zero decimals
    return digits(v, dec).replace(/(,\d*?)0+$/, "$1").replace(/,$/, "");
  }
  function number(ind, v) {         // fmt_number(value, decimals), v >= 0
    return ind[3] !== null ? digits(v, ind[7]) : trimmed(v, ind[7]);
  }
  function fmtValue(ind, v, missing) {
    if (v === null || v === undefined) return missing;
    var t = (v < 0 ? "-" : "") + number(ind, v < 0 ? -v : v);
    return ind[4] ? t + "%" : t + " " + ind[2];
  }
  // Half-up rounding of a / b (non-negative integers) to `dec` decimals, as an integer of 10**-dec
  // units: exact (BigInt), like Decimal.quantize(ROUND_HALF_UP).
  function ratioHalfUp(a, b, dec) {
    var m = BigInt(Math.pow(10, dec));
    return Number((BigInt(a) * m * 2n + BigInt(b)) / (2n * BigInt(b)));
  }
  // The change from the prior year the way the report says it (Fig.yoy without "so với cùng kỳ
  // năm …"): amounts relative (Fig.growth), counts absolute and zero-padded, rates in percentage
  // points (Fig.delta); null when not comparable.
  function change(ind, cur, prev) {
    if (cur === null || prev === null || cur === undefined || prev === undefined || ind[6]) return null;
    if (cur === prev) return "không thay đổi";
    var d = cur - prev, word = d > 0 ? "tăng" : "giảm", a = Math.abs(d), sc = ind[7];
    if (ind[5] === "amount" && prev !== 0) {
      var b = Math.abs(prev), r = ratioHalfUp(a * 100, b, 1), dec = 1;
      if (r === 0) { r = ratioHalfUp(a * 100, b, 2); dec = 2; }
      return word + " " + trimmed(r, dec) + "%";
    }
    if (ind[4]) return word + " " + digits(a, sc) + " điểm phần trăm";
    var one = Math.pow(10, sc), amount;
    if (ind[5] === "count" && a % one === 0 && a < 10 * one) amount = "0" + (a / one);
    else amount = ind[5] === "count" ? trimmed(a, sc) : number(ind, a);
    return word + " " + amount + " " + ind[2];
  }
  api.change = change;
  api.fmtValue = fmtValue;
  function values(r) {
    var at = figAt[r];
    return at < 0 ? null : F.v.slice(at, at + NI);
  }
  function prior(r) {  // [values, year] of the comparable prior year, or null
    if (priorSame[r]) {
      var p = recKey[R.u[r] + "|" + R.k[r] + "|" + (year(r) - 1)];
      return p === undefined ? null : [values(p), year(r) - 1];
    }
    var pv = F.pr[r];
    return pv ? [pv, F.py[r] || year(r) - 1] : null;
  }

  // ---- unit view ------------------------------------------------------------------------------
  var listView = $("view-list"), unitView = $("view-unit");
  var lastListHash = "#/";
  function latest(recs, stem) {  // the most recent record of a kind with an HTML file
    for (var j = 0; j < recs.length; j++) {
      var r = recs[j];
      if (kindStem(r) === stem && status(r) === 0) return r;
    }
    return -1;
  }
  function figuresSection(u, recs) {
    var withFigs = recs.filter(function (r) { return figAt[r] >= 0; });
    var sec = h("section", { "aria-labelledby": "sec-figs" }, h("h2", { id: "sec-figs", text: "Số liệu chính" }));
    if (!withFigs.length) {
      sec.append(h("p", { class: "note", text: "Chưa có số liệu chính của đơn vị này trên trang." }));
      return sec;
    }
    var pick = h("select", { id: "fig-year" }, withFigs.map(function (r) {
      return h("option", { value: r, text: "Năm " + year(r) + (kindStem(r) === "summary" ? " (tổng hợp)" : "") });
    }));
    var holder = h("div", { class: "table-scroll", role: "region", tabindex: "0", "aria-labelledby": "fig-caption" });
    var note = h("p", { class: "note" });
    function draw() {
      var r = +pick.value, v = values(r), pr = prior(r), y = year(r);
      var py = pr ? pr[1] : y - 1;
      var summary = kindStem(r) === "summary";
      var w = F.w[r] || {}, wx = F.wx[r] || [];
      var body = IND.map(function (ind, j) {
        // this year's bound or range ("hơn 4,5 tỷ") is not compared (as in the report: Fig.has_yoy)
        var ch = pr && wx.indexOf(j) < 0 ? change(ind, v[j], pr[0][j]) : null;
        var shown = w[j] !== undefined ? w[j] : fmtValue(ind, v[j], summary ? "—" : "chưa có số liệu");
        return h("tr", null, h("th", { scope: "row", text: ind[1] }),
          h("td", { class: "num", text: shown }),
          h("td", { text: ch === null ? "—" : ch }));
      });
      holder.replaceChildren(h("table", { class: "figs" },
        h("caption", { id: "fig-caption", text: "Số liệu chính năm " + y + (illustrative(r) ? " (số liệu minh họa)" : "") }),
        h("thead", null, h("tr", null, h("th", { scope: "col", text: "Chỉ tiêu" }),
          h("th", { scope: "col", text: "Năm " + y }), h("th", { scope: "col", text: "So với năm " + py }))),
        h("tbody", null, body)));
      note.textContent = (F.pn[r] !== undefined ? F.notes[F.pn[r]] + " " : "") +
        "Số liệu như báo cáo ghi (tỷ lệ làm tròn theo danh mục chỉ tiêu). " + (summary ?
        "Số tổng hợp toàn địa bàn; “—”: không cộng được giữa các đơn vị (xem phân bố trong báo cáo tổng hợp)." :
        "“—”: không so sánh được (thiếu số liệu một trong hai năm, hoặc một năm là số liệu chính thức còn năm " +
        "kia là số liệu minh họa).");
    }
    pick.addEventListener("change", draw);
    draw();
    sec.append(h("p", { class: "year-pick" }, h("label", { for: "fig-year", text: "Năm" }), pick), holder, note);
    return sec;
  }
  function showUnit(code) {
    var u = unitByCode[code];
    listView.hidden = true;
    unitView.hidden = false;
    if (u === undefined) {
      unitView.replaceChildren(h("h1", { tabindex: "-1", text: "Không có đơn vị mã " + code }),
        h("p", null, h("a", { href: lastListHash, text: "Về danh sách báo cáo" })));
      document.title = "Không có đơn vị – " + SITE;
      unitView.querySelector("h1").focus();
      return;
    }
    var recs = recsOfUnit[u].slice().sort(function (a, b) { return year(b) - year(a) || R.k[a] - R.k[b]; });
    // breadcrumbs and parent as of the unit's latest report (a unit that ended keeps its own)
    var refYear = recs.length ? year(recs[0]) : (yearUnder[u] || 1e9);
    var chain = [];
    for (var a = parAt(u, refYear), depth = 0; a >= 0 && depth < 8; a = parAt(a, refYear), depth++) chain.unshift(a);
    var crumbs = h("nav", { "aria-label": "Đường dẫn" }, h("ol", { class: "crumbs" },
      h("li", null, h("a", { href: lastListHash, text: "Danh sách báo cáo" })),
      chain.map(function (c) { return h("li", null, h("a", { href: "#/don-vi/" + encodeURIComponent(U.code[c]), text: nameAt(c, refYear) })); }),
      h("li", { "aria-current": "page", text: nameAt(u, refYear) })));
    var par = parAt(u, refYear);
    var facts = "Mã đơn vị " + U.code[u] + (par >= 0 ? " · thuộc " + nameAt(par, refYear) : "");
    // a code renamed, placed elsewhere or reused after a merger: its names and parents over the years
    var pers = PER[u] || [], history = [];
    pers.forEach(function (p, j) {
      var from = j ? pers[j - 1][0] + 1 : null;
      var span = from === null ? "đến năm " + p[0] : from === p[0] ? "năm " + p[0] : "năm " + from + "–" + p[0];
      history.push(p[1] + " (" + span + (p[2] >= 0 ? ", thuộc " + nameAt(p[2], p[0]) : "") + ")");
    });
    if (pers.length) {
      var after = pers[pers.length - 1][0] + 1;
      history.push(U.name[u] + " (từ năm " + after + (U.par[u] >= 0 ? ", thuộc " + nameAt(U.par[u], after) : "") + ")");
    }
    var quick = h("ul", { class: "quick" });
    var tr = latest(recs, "trend");
    if (tr >= 0) {
      var trHtml = fmtsOf(tr).filter(function (f) { return f[0] === "html"; })[0];
      if (trHtml) quick.append(h("li", null, h("a", { href: safeHref(trHtml[1]), text: title(tr) })));
    }
    // the parent's summary of the latest year that has one (the parent of that year)
    for (var j = 0; j < recs.length; j++) {
      var ry = year(recs[j]), pa = parAt(u, ry);
      var ps = pa >= 0 ? recKey[pa + "|" + D.kinds.map(function (k) { return k[0]; }).indexOf("summary") + "|" + ry] : undefined;
      if (ps !== undefined && status(ps) === 0) {
        var psHtml = fmtsOf(ps).filter(function (f) { return f[0] === "html"; })[0];
        if (psHtml) { quick.append(h("li", null, h("a", { href: safeHref(psHtml[1]), text: title(ps) }))); break; }
      }
    }
    if (par >= 0) {
      quick.append(h("li", null, h("a", { href: "#/don-vi/" + encodeURIComponent(U.code[par]) },
        "Trang của " + nameAt(par, refYear))));
    }
    var byYear = h("ul", { class: "unit-years" });
    var years = [];
    recs.forEach(function (r) { if (years.indexOf(year(r)) < 0) years.push(year(r)); });
    years.forEach(function (y) {
      byYear.append(h("li", null, h("h3", { text: "Năm " + y }), h("ul", null,
        recs.filter(function (r) { return year(r) === y; }).map(function (r) {
          return h("li", { "data-record": r }, kindName(r), " ", badges(r), " ", fileLinks(r, "unit-files"),
            X[r] && X[r].e ? h("span", { class: "err", text: " Lỗi: " + X[r].e }) : null);
        }))));
    });
    var parts = [crumbs, h("h1", { tabindex: "-1", id: "unit-title", text: nameAt(u, refYear) }),
      h("p", { class: "lead", text: facts }),
      history.length ? h("p", { class: "note", text: "Qua các năm: " + history.join("; ") + "." }) : null];
    if (quick.children.length) {
      parts.push(h("section", { "aria-labelledby": "sec-links" }, h("h2", { id: "sec-links", text: "Xem thêm" }), quick));
    }
    parts.push(figuresSection(u, recs));
    parts.push(h("section", { "aria-labelledby": "sec-reports" }, h("h2", { id: "sec-reports", text: "Các báo cáo" }),
      recs.length ? byYear : h("p", { class: "note", text: "Đơn vị này chưa có báo cáo riêng." })));
    // the units under it as they were in its latest report's year, named as then
    var kids = kidsOf[u].filter(function (c) { return hasRecords[c] && parAt(c, refYear) === u; });
    if (!kids.length) kids = kidsOf[u].filter(function (c) { return hasRecords[c]; });
    kids.sort(function (a, b) { return COLLATOR.compare(nameAt(a, refYear), nameAt(b, refYear)) || a - b; });
    if (kids.length) {
      parts.push(h("section", { "aria-labelledby": "sec-kids" },
        h("h2", { id: "sec-kids", text: "Đơn vị trực thuộc (" + count(kids.length) + ")" }),
        h("ul", { class: "children" }, kids.map(function (c) {
          return h("li", null, h("a", { href: "#/don-vi/" + encodeURIComponent(U.code[c]), text: nameAt(c, refYear) }),
            " (" + U.code[c] + ")");
        }))));
    }
    unitView.replaceChildren.apply(unitView, parts.filter(Boolean));
    document.title = nameAt(u, refYear) + " – " + SITE;
    window.scrollTo(0, 0);
    $("unit-title").focus();
  }

  // ---- routes: #/don-vi/<code> is a unit page, #/?q=…&nam=… the list --------------------------
  function applyState(params) {
    qEl.value = params.get("q") || "";
    function set(el, v) {
      el.value = v || "";
      if (el.value !== (v || "")) el.value = "";  // an option that does not exist
    }
    set(yearEl, params.get("nam"));
    set(parentEl, params.get("cap-tren"));
    set(kindEl, params.get("loai"));
    set(statusEl, params.get("trang-thai"));
  }
  function route() {
    var hash = location.hash || "#/";
    var m = /^#\/don-vi\/([^/?#]+)/.exec(hash);
    if (m) {
      showUnit(decodeURIComponent(m[1]));
    } else {
      var wasUnit = !unitView.hidden;
      unitView.hidden = true;
      unitView.replaceChildren();
      listView.hidden = false;
      var qi = hash.indexOf("?");
      applyState(new URLSearchParams(qi >= 0 ? hash.slice(qi + 1) : ""));
      lastListHash = hash;
      document.title = SITE;
      update(false);
      if (wasUnit) $("list-title").focus();
    }
  }
  window.addEventListener("hashchange", route);
  route();
  api.readyAt = performance.now();
  api.ready = true;
})();
