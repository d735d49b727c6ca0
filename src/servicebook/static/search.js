/* servicebook: search, loaded by site.js when a reader goes to a search box (and on the search
   page). No framework, no requests to other hosts, no inline HTML (results are built with
   textContent, so catalog text can never become markup). The index is the package site/search/'s. */
(function () {
  "use strict";

  var root = document.body.getAttribute("data-root") || "./";
  var KINDS = { offering: "Offering", slo: "SLO", tool: "Tool", policy: "Policy", page: "Page" };
  var KIND_WEIGHT = { tool: 4, offering: 4, policy: 2, page: 2, slo: 1 };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function norm(text) {
    return String(text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  // a site path, or the address of another team's record on the organisation site (federating.md)
  function link(path, text) { return el("a", { href: /^https?:\/\//.test(path) ? path : root + path }, [text]); }
  // What to use instead, with its member team on an organisation site and whether it is an
  // offering, as the pages name it: "PgBouncer (Database Team)", "CI pipelines (offering)".
  function instead(parent, a) {
    parent.appendChild(link(a.u, a.t));
    var notes = [a.tm, a.k === "offering" ? "offering" : null];
    for (var i = 0; i < notes.length; i++) {
      if (!notes[i]) continue;
      parent.appendChild(document.createTextNode(" "));
      parent.appendChild(el("span", { "class": "muted small" }, ["(" + notes[i] + ")"]));
    }
  }

  /* ---------- the index: a manifest and fragments, fetched as a query needs them ---------- */

  var WORD = /[\p{L}\p{N}]+/gu, LETTER = /[\p{L}\p{N}]/u;
  function words(text) { return norm(text).match(WORD) || []; }

  // The words fragments that may hold words beginning with `term` (one letter: only the word
  // itself): the one whose range it falls in, and those after it whose first word begins with it.
  function fragmentsFor(first, term) {
    var lo = 0, hi = first.length - 1;
    while (lo < hi) {  // the last range whose first word is not after the term
      var mid = (lo + hi + 1) >> 1;
      if (first[mid] <= term) lo = mid; else hi = mid - 1;
    }
    var found = [lo];
    for (var n = lo + 1; term.length > 1 && n < first.length && first[n].lastIndexOf(term, 0) === 0; n++) found.push(n);
    return found;
  }

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("search index: HTTP " + response.status);
      return response.json();
    });
  }

  var indexes = {};
  function loadIndex(url) {
    if (!indexes[url]) {
      var base = url.slice(0, url.lastIndexOf("/") + 1), files = {};
      var get = function (path) {
        if (!files[path]) {
          files[path] = fetchJSON(base + path);
          files[path].catch(function () { delete files[path]; });  // tried again next time
        }
        return files[path];
      };
      var early = (window.servicebookSearchIndex || {})[url];  // site.js's fetch, started with this script's
      if (early) delete window.servicebookSearchIndex[url];
      var manifest = early ? early.then(function (response) {
        if (!response.ok) throw new Error("search index: HTTP " + response.status);
        return response.json();
      }).catch(function () { return fetchJSON(url); }) : fetchJSON(url);
      indexes[url] = manifest.then(function (m) {
        if (m.servicebook_search !== 2) throw new Error("search index: unknown version");
        return {
          m: m,
          words: function (term) {  // the words of every fragment that may hold words beginning with `term`, merged
            if (!m.words.length) return Promise.resolve({});
            return Promise.all(fragmentsFor(m.words, term).map(function (n) { return get("w/" + n + ".json"); }))
              .then(function (parts) { return parts.length === 1 ? parts[0] : Object.assign.apply(null, [{}].concat(parts)); });
          },
          record: function (id) {
            return get("r/" + Math.floor(id / m.chunk) + ".json").then(function (c) { return c.records[id % m.chunk]; });
          },
          text: function (id) { return get("t/" + id + ".json"); },
          kind: function (id) {
            var kind = "page";
            m.kinds.forEach(function (k) { if (id >= k[1]) kind = k[0]; });
            return kind;
          }
        };
      });
      indexes[url].catch(function () { delete indexes[url]; });
    }
    return indexes[url];
  }

  // Where `term` occurs, as arrays over record ids (typed arrays: a common word's postings are
  // thousands of records, and an object per record was most of a query's time): `f[id]` where
  // (title 1, keys 2, summary 4, body 8; 16 when a word it begins is the title's first, and from
  // bit 5 how many words the title has), `s[id]` the section of the page it is first found in,
  // `m[id]` 1 when found at all, | 2 when the title has it as a whole word, | 4 as its first;
  // `ids` the records found, each once. A term finds the words it begins (one letter: only
  // itself); `vocab` is its fragment's words.
  function lookup(index, term) {
    return index.words(term).then(function (bucket) {
      var n = index.m.records, f = new Uint8Array(n), s = new Int32Array(n), m = new Uint8Array(n), ids = [];
      var vocab = Object.keys(bucket);
      vocab.forEach(function (w) {
        if (w !== term && (term.length < 2 || w.lastIndexOf(term, 0) !== 0)) return;
        var p = bucket[w], id = 0, exact = w === term;
        for (var i = 0; i < p.length; i += 3) {
          id += p[i];
          if (id < 0 || id >= n) continue;  // not a record of this index
          var bits = p[i + 1];
          if (!m[id]) { m[id] = 1; ids.push(id); }
          f[id] |= bits;
          if (!s[id]) s[id] = p[i + 2];
          if (exact && (bits & 1)) m[id] |= 2;
          if (exact && (bits & 16)) m[id] |= 4;
        }
      });
      return { f: f, s: s, m: m, ids: ids, vocab: vocab, any: ids.length > 0 };
    });
  }

  // `optional` words (a question's "how", "get" …) are not needed to match, but a record whose
  // title has them as words comes first: "how do i get help" finds "Support: how to get help".
  // The hits, best first, equal ones in the order of their ids: `length` of them, `hit(hits, i)`
  // the i-th ({id, f: where its words are, s: the section, final: its rank}). Kept as numbers in
  // typed arrays, not an object per record: a common word is in thousands of records, and its
  // first query runs this before the JIT has compiled it.
  function rank(index, found, terms, needed, optional) {
    var n = index.m.records, seen = new Uint8Array(n), total = 0, i, j, id;
    for (i = 0; i < terms.length; i++) total += found[i].ids.length;
    var candidates = new Int32Array(total), count = 0;
    var matched = new Int32Array(n), asked = new Int32Array(n), score = new Int32Array(n);
    var where = new Uint8Array(n), section = new Int32Array(n);
    for (i = 0; i < terms.length; i++) {
      var t = found[i], ids = t.ids, tf = t.f, ts = t.s, opt = optional && optional.indexOf(terms[i]) !== -1;
      for (j = 0; j < ids.length; j++) {
        id = ids[j];
        if (!seen[id]) { seen[id] = 1; candidates[count++] = id; }
        if (opt) { if (t.m[id] & 2) asked[id] += 1; continue; }
        var f = tf[id];
        matched[id] += 1;
        score[id] += f & 1 ? 10 : f & 6 ? 2 : 1;
        where[id] |= f;
        if (!section[id] && ts[id]) section[id] = ts[id];
      }
    }
    // the kinds are ranges of ids (the manifest's `kinds`, in order)
    var starts = index.m.kinds.map(function (k) { return k[1]; });
    var weights = index.m.kinds.map(function (k) { return KIND_WEIGHT[k[0]] || 0; });
    // best first by one number each, sorted as numbers: final rank * n + (n - 1 - id)
    var keys = new Float64Array(count), kept = 0, first = found[0].f;
    for (j = 0; j < count; j++) {
      id = candidates[j];
      if (matched[id] < needed) continue;
      var weight = KIND_WEIGHT.page;
      for (var k = 0; k < starts.length; k++) if (id >= starts[k]) weight = weights[k];
      var r = (matched[id] + asked[id]) * 1000 + score[id] * 10 + weight;
      var final = r * 10 + (first[id] & 16 ? titled(found, terms, id) * 10 : 0);
      keys[kept++] = final * n + (n - 1 - id);
    }
    return { length: kept, keys: keys.subarray(0, kept).sort(), n: n, where: where, section: section };
  }

  function hit(hits, i) {
    var key = hits.keys[hits.length - 1 - i], n = hits.n, id = n - 1 - (key % n);
    return { id: id, f: hits.where[id], s: hits.section[id], final: (key - (n - 1 - id)) / n };
  }

  // 50 when a record's title is the query itself, 20 when it begins with it, else 0: told from
  // the words' postings (the title's first word, its number of words), before any record is fetched.
  function titled(found, terms, id) {
    var whole = 0, size = 0, first = 0, lead = false;
    for (var i = 0; i < terms.length; i++) {
      var t = found[i], m = t.m[id];
      if (!m) continue;
      var f = t.f[id];
      if (m & 2) whole += 1;
      if (f & 1) size = (f >> 5) & 7;
      if (i === 0) { first = f; lead = (m & 4) !== 0; }
    }
    if (!(first & 16)) return 0;
    if (lead && whole === terms.length && (size === terms.length || (size === 7 && terms.length > 7))) return 50;
    return terms.length === 1 || whole >= terms.length - 1 ? 20 : 0;
  }

  // Words a question is made of that say nothing about what is looked for (site/search/text.py's STOP).
  var STOP = ("a about an and are can do does for from get how i in is it me my of on or our should the to use " +
              "using we what when where which who why with you your").split(" ");

  // Words asking whom to reach ("ci pipelines on-call", "contact for the registry"): with another
  // word that is looked for, they are not needed to match (an offering's record says nothing of its
  // support, its page does) but put first the records whose titles have them, and an offering found
  // links its support part; alone ("who is on call") they are looked for as any word.
  var HELP = ("call calling calls contact contacts escalate escalation help oncall page pager paging phone " +
              "reach support").split(" ");
  function asksForHelp(terms) { return terms.some(function (t) { return HELP.indexOf(t) !== -1; }); }

  // Words people search for that the catalog says otherwise (tried only when found nowhere).
  var SYNONYMS = { sla: "slo", slas: "slo", uptime: "availability", oncall: "on call", "on-duty": "on call" };

  // Edits from `a` to `b`, a letter added, dropped, changed or two side by side swapped each one
  // (the commonest slip, "jenknis"), given up past `limit`
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var before = null, prev = [], cur, i, j;
    for (j = 0; j <= b.length; j++) prev.push(j);
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        var d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a.charAt(i - 1) === b.charAt(j - 1) ? 0 : 1));
        if (before && j > 1 && a.charAt(i - 1) === b.charAt(j - 2) && a.charAt(i - 2) === b.charAt(j - 1)) {
          d = Math.min(d, before[j - 2] + 1);
        }
        cur.push(d);
        best = Math.min(best, d);
      }
      if (best > limit) return limit + 1;
      before = prev;
      prev = cur;
    }
    return prev[b.length];
  }

  // The nearest word of the index to a word found nowhere in it, among the words of its fragment
  // (those that begin with the same two letters, and a few more).
  function corrected(vocab, term) {
    if (term.length < 4) return null;
    var limit = term.length < 8 ? 1 : 2, found = null, best = limit + 1;
    vocab.forEach(function (w) {
      if (w.length < 3) return;
      var d = distance(term, w, limit);
      if (d < best || (d === best && found !== null && w < found)) { best = d; found = w; }
    });
    return best <= limit ? found : null;
  }

  function lookupAll(index, terms) { return Promise.all(terms.map(function (t) { return lookup(index, t); })); }

  // Every word must match, except a question's small words, which only put first the records whose
  // titles have them; failing that, misspelt words are replaced by the nearest word of the index,
  // and the records matching most of them come first. Resolves to the ranked hits (ids, not yet
  // records); `instead` says what was searched for when it was not what was typed.
  function search(index, query) {
    var terms = words(query);
    if (!terms.length) return Promise.resolve({ length: 0, terms: [] });
    var meaningful = terms.filter(function (t) { return STOP.indexOf(t) === -1; });
    var optional = STOP;
    var sought = meaningful.filter(function (t) { return HELP.indexOf(t) === -1; });
    if (sought.length && sought.length < meaningful.length) { meaningful = sought; optional = STOP.concat(HELP); }
    return lookupAll(index, terms).then(function (found) {
      if (!meaningful.length) return Object.assign(rank(index, found, terms, terms.length), { terms: terms });
      var missing = meaningful.filter(function (t) { return !found[terms.indexOf(t)].any; });
      if (!missing.length) return Object.assign(rank(index, found, terms, meaningful.length, optional), { terms: terms });
      var changed = false;
      var fixed = [];
      meaningful.forEach(function (t) {
        var at = found[terms.indexOf(t)];
        if (at.any) { fixed.push(t); return; }
        if (SYNONYMS.hasOwnProperty(t)) { changed = true; fixed.push.apply(fixed, SYNONYMS[t].split(" ")); return; }
        var near = corrected(at.vocab, t);
        if (near) changed = true;
        fixed.push(near || t);
      });
      return lookupAll(index, fixed).then(function (again) {
        var hits = rank(index, again, fixed, fixed.length > 2 ? 2 : 1);
        hits.terms = fixed;
        hits.instead = fixed.join(" ");
        return hits;
      });
    });
  }

  // The records of hits `from` to `to`, fetched (only those: a query's first results wait for
  // nothing else), equal ones in the order of their titles.
  function records(index, hits, from, to) {
    var wanted = [];
    for (var i = from; i < Math.min(to, hits.length); i++) wanted.push(hit(hits, i));
    return Promise.all(wanted.map(function (e) { return index.record(e.id); })).then(function (found) {
      wanted.forEach(function (e, i) { e.r = found[i]; });
      wanted.sort(function (a, b) { return b.final - a.final || (a.r.t < b.r.t ? -1 : a.r.t > b.r.t ? 1 : a.id - b.id); });
      return wanted;
    });
  }

  /* ---------- matched words, marked ---------- */

  // Where in `text` the words of `terms` begin a word: [start, end) ranges of `text`, whole words.
  var PLAIN = /^[\x00-\x7f]*$/;  // ASCII: lower-cased letter for letter, so no folding to map back
  function matches(text, terms) {
    var flat = "", from = [];
    if (PLAIN.test(text)) {
      flat = text.toLowerCase();
      for (var k = 0; k <= text.length; k++) from.push(k);
    } else {
      for (var i = 0; i < text.length; i++) {
        var n = norm(text.charAt(i));
        for (var j = 0; j < n.length; j++) { flat += n.charAt(j); from.push(i); }
      }
      from.push(text.length);
    }
    var ranges = [];
    for (var p = 0; p < flat.length; p++) {
      if (p > 0 && LETTER.test(flat.charAt(p - 1))) continue;
      for (var t = 0; t < terms.length; t++) {
        if (flat.lastIndexOf(terms[t], p) !== p) continue;
        var end = p + terms[t].length;
        while (end < flat.length && LETTER.test(flat.charAt(end))) end++;
        ranges.push([from[p], from[end]]);
        p = end - 1;
        break;
      }
    }
    return ranges;
  }

  function marked(text, terms) {  // text nodes and <mark>s, never markup from the text
    var out = [], at = 0;
    matches(text, terms).forEach(function (m) {
      if (m[0] > at) out.push(text.slice(at, m[0]));
      out.push(el("mark", {}, [text.slice(m[0], m[1])]));
      at = m[1];
    });
    if (at < text.length) out.push(text.slice(at));
    return out;
  }

  // The lines of `text` around the first matched word, marked.
  function around(text, terms, before, length) {
    var first = matches(text, terms)[0];
    if (!first) return null;
    var start = Math.max(0, first[0] - before);
    if (start > 0) { var space = text.indexOf(" ", start); start = space !== -1 && space < first[0] ? space + 1 : start; }
    var end = Math.min(text.length, start + length);
    if (end < text.length) { var cut = text.lastIndexOf(" ", end); end = cut > first[1] ? cut : end; }
    var out = marked(text.slice(start, end), terms);
    if (start > 0) out.unshift("…");
    if (end < text.length) out.push("…");
    return out;
  }

  /* ---------- one result ---------- */

  function badgeClass(r) {
    if (r.k === "tool") return "badge status-" + r.st;
    if (r.k === "offering") return "badge lifecycle-" + r.st;
    return "badge";
  }

  // A result as soon as its record is there; the lines of a page's text where a word was found
  // follow when that page's text fragment arrives.
  function renderResult(index, e, terms, compact) {
    var r = e.r;
    var head = el("p", { "class": "result-title" }, [
      el("a", { href: root + r.u }, marked(r.t, terms)), " ", el("span", { "class": "kind" }, [KINDS[r.k] || r.k]),
      r.sl ? " " : null, r.sl ? el("span", { "class": badgeClass(r) }, [r.sl]) : null
    ]);
    var item = el("li", { "class": "result result-" + r.k }, [head]);
    if (r.k === "tool" && (r.st === "unsupported" || r.st === "deprecated")) {
      var answer = el("p", { "class": "result-answer" }, [
        r.st === "unsupported" ? "We do not support " + r.t + "." : r.t + " is deprecated."
      ]);
      if (r.a) { answer.appendChild(document.createTextNode(" Use instead: ")); instead(answer, r.a); }
      if (r.m) { answer.appendChild(document.createTextNode(" · ")); answer.appendChild(link(r.m.u, "Migration guide")); }
      item.appendChild(answer);
    }
    if (r.k === "offering" && r.a && (r.st === "deprecated" || r.st === "retired")) {
      var move = el("p", { "class": "result-answer" }, [r.t + " is " + r.st + ". Move to: "]);
      instead(move, r.a);
      item.appendChild(move);
    }
    if (r.k === "offering" && asksForHelp(terms)) {
      item.appendChild(el("p", { "class": "result-answer result-help" }, [
        "Who to contact: ", link(r.u + "#support", "support and on-call for " + r.t)
      ]));
    }
    var inSummary = r.s && matches(r.s, terms).length > 0;
    var body = (e.f & 8) && !inSummary;  // found only further in: show where
    if (r.s && !(body && compact)) {
      if (!compact) item.appendChild(el("p", { "class": "muted small result-text" }, marked(r.s, terms)));
      else if (r.k !== "tool") item.appendChild(el("p", { "class": "muted small result-text clamp" }, marked(r.s, terms)));
    }
    if (body && r.d) {
      var lines = around(r.d, terms, 60, compact ? 120 : 220);
      if (lines) item.appendChild(el("p", { "class": "small result-found" }, lines));
    } else if (body && r.k === "policy") {
      var where = el("p", { "class": "small result-found" }, []);
      item.appendChild(where);
      index.text(e.id).then(function (doc) {
        var sections = doc.sections, at = sections[e.s] ? e.s : 0;
        var order = [at].concat(sections.map(function (_, i) { return i; }).filter(function (i) { return i !== at; }));
        for (var i = 0; i < order.length; i++) {
          var section = sections[order[i]], lines = around(section[2], terms, 60, compact ? 120 : 220);
          if (!lines) continue;
          if (section[1]) {
            where.appendChild(el("a", { href: root + r.u + "#" + section[1], "class": "result-section" }, [section[0]]));
            where.appendChild(document.createTextNode(": "));
          }
          lines.forEach(function (n) { where.appendChild(typeof n === "string" ? document.createTextNode(n) : n); });
          return;
        }
      }, function () { /* the result stands without its lines */ });
    }
    if (r.h && !compact) {
      var sections = r.h.filter(function (h) { return matches(h[0], terms).length > 0; }).slice(0, 4);
      if (sections.length) {
        item.appendChild(el("ul", { "class": "result-sections" }, sections.map(function (h) {
          return el("li", {}, [el("a", { href: root + r.u + "#" + h[1] }, marked(h[0], terms))]);
        })));
      }
    }
    return item;
  }

  /* ---------- the search page: live results, ?q= in the address ---------- */

  function searchPage(form) {
    var input = form.querySelector("input[name=q]");
    var status = document.getElementById("search-status");
    var results = document.getElementById("search-results");
    var aToZ = document.getElementById("a-z");
    var PAGE = 20;  // results shown at once; each further page is fetched when asked for
    var FIRST = 6;  // of those, painted first
    var ticket = 0;  // the latest keystroke's: what an earlier one left for later is dropped

    // What can wait until a query's results are on screen, done in a task after the frame that
    // follows the one painting them: writing the address (a same-document navigation, a few ms of
    // the keystroke's time on a page this size), hiding the A to Z list (taking its thousands of
    // elements out of the layout took longer than painting the results did) and asking for the
    // records of the results below the first. Run after the very next frame instead, that work
    // (tens of ms with a slow CPU) held up the frame after it, which is the one a script waiting
    // for the results sees them in, and a second keystroke's. The results sit above the list, so
    // nothing moves under the reader's eyes meanwhile.
    function afterFrames(work) {
      window.requestAnimationFrame(function () {
        window.requestAnimationFrame(function () { window.setTimeout(work, 0); });
      });
    }
    function afterPaint(work) {
      var mine = ticket;
      afterFrames(function () { if (mine === ticket) work(); });
    }

    function address(query) {
      var params = new URLSearchParams(window.location.search);
      if (query.trim()) params.set("q", query); else params.delete("q");
      var qs = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
    }

    // The first `count` results: the first FIRST painted as soon as their records are there, the
    // others added in order as theirs arrive (all are asked for at once; each batch is ranked
    // within itself, so a result keeps its place when more are shown).
    function show(index, found, query, count, then) {
      var cut = [0, Math.min(FIRST, count)];
      for (var n = PAGE; n < count; n += PAGE) if (n > cut[cut.length - 1]) cut.push(n);
      if (cut[cut.length - 1] < count) cut.push(count);
      var ask = function (from, upto) {  // the records of batches `from` to `upto`, all asked for at once
        return cut.slice(from + 1, upto + 1).map(function (to, i) {
          var batch = records(index, found, cut[from + i], to);
          batch.catch(function () { /* reported once, by the chain below */ });
          return batch;
        });
      };
      // A query's first results: the others are asked for once the first are painted (afterFrames;
      // each reply is a task of the page's own, which would come before that frame).
      // More results asked for ("Show more") replace the list at once, the first ones already here.
      var batches = ask(0, count > PAGE ? cut.length - 1 : 1);
      var list = el("ol", { "class": "results" }, []);
      var add = function (hits) {
        hits.forEach(function (e) { list.appendChild(renderResult(index, e, found.terms, false)); });
      };
      var shown = batches[0].then(function (hits) {
        if (input.value !== query) return;  // a newer keystroke is on its way
        add(hits);
        results.textContent = "";
        results.appendChild(list);
        if (found.length > count) {
          var more = el("button", { type: "button", "class": "more-results" }, ["Show more results"]);
          more.addEventListener("click", function () {
            show(index, found, query, count + PAGE).then(function () {
              var items = results.querySelectorAll(".result a");
              var next = results.querySelectorAll(".result")[count];
              if (next) next.querySelector("a").focus(); else if (items.length) items[items.length - 1].focus();
            });
          });
          results.appendChild(more);
        }
        results.hidden = false;
        afterPaint(function () { aToZ.hidden = true; if (then) then(); });
        status.textContent = found.length + (found.length === 1 ? " result" : " results") + " for “" + (found.instead || query.trim()) + "”" +
          (found.instead ? " (nothing matched “" + query.trim() + "” exactly)" : "") +
          (found.length > count ? ", the first " + count + " shown." : ".");
      });
      var rest = shown.then(function () {
        if (count > PAGE) return batches.slice(1);
        if (input.value !== query || cut.length < 3) return [];
        return new Promise(function (resolve) {
          afterFrames(function () { resolve(ask(1, cut.length - 1)); });
        });
      });
      return rest.then(function (later) {
        var added = Promise.resolve();
        later.forEach(function (batch) {
          added = added.then(function () { return batch; }).then(function (hits) { if (input.value === query) add(hits); });
        });
        return added;
      });
    }

    function run(push) {
      var query = input.value;
      ticket += 1;
      var written = function () { if (push) address(query); };
      if (!query.trim()) {
        results.hidden = true; results.textContent = ""; status.textContent = ""; aToZ.hidden = false;
        afterPaint(written);
        return;
      }
      var failed = function (err) { if (window.console) console.error(err);
        status.textContent = "Search is not available right now; use the A to Z list below.";
        aToZ.hidden = false;
        afterPaint(written);
      };
      loadIndex(form.getAttribute("data-search-index")).then(function (index) {
        return search(index, query).then(function (found) {
          if (input.value !== query) return;
          if (found.length) return show(index, found, query, PAGE, written);
          results.hidden = true; results.textContent = "";
          status.textContent = "Nothing found for “" + query.trim() + "”. Try a shorter word, or browse the A to Z list." +
            (form.getAttribute("data-not-found") ? " " + form.getAttribute("data-not-found") : "");
          aToZ.hidden = false;
          afterPaint(written);
        });
      }).catch(failed);
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); run(true); });
    input.addEventListener("input", function () { run(true); });
    loadIndex(form.getAttribute("data-search-index"));  // the manifest, before the first keystroke
    var initial = new URLSearchParams(window.location.search).get("q");
    if (input.value.trim()) run(true);  // typed before this script came: searched, not lost
    else if (initial) { input.value = initial; run(false); }
  }

  /* ---------- the header search: a short list of answers under the box ---------- */

  function headerSearch(form) {
    var input = form.querySelector("input[name=q]");
    var popup = form.querySelector(".search-popup");
    var live = form.querySelector("[role=status]");  // stays in the page, so screen readers announce changes
    var LIMIT = 6;
    var escaped = false;  // focus comes back to the box after Escape: the popup stays closed

    function close() { popup.hidden = true; }
    function links() { return Array.prototype.slice.call(popup.querySelectorAll("a")); }

    function update() {
      var query = input.value;
      if (!query.trim()) { close(); popup.textContent = ""; if (live) live.textContent = ""; return; }
      loadIndex(form.getAttribute("data-search-index")).then(function (index) {
        return search(index, query).then(function (found) {
          return records(index, found, 0, LIMIT).then(function (hits) {
            if (input.value !== query) return;
            popup.textContent = "";
            var summary = found.length
              ? found.length + (found.length === 1 ? " result" : " results") + (found.instead ? " for “" + found.instead + "”" : "")
              : "Nothing found for “" + query.trim() + "”";
            popup.appendChild(el("p", { "class": "popup-status" }, [summary]));
            if (live) live.textContent = summary + (found.length ? ". Press the down arrow to move through them." : ".");
            if (hits.length) {
              popup.appendChild(el("ol", { "class": "results" }, hits.map(function (e) { return renderResult(index, e, found.terms, true); })));
            }
            var all = el("a", { href: form.getAttribute("action") + "?q=" + encodeURIComponent(query.trim()), "class": "popup-all" },
              [found.length > LIMIT ? "All " + found.length + " results" : "Open the search page"]);
            popup.appendChild(el("p", {}, [all]));
            popup.hidden = false;
          });
        });
      }).catch(function () {
        if (input.value !== query) return;
        popup.textContent = "";
        popup.appendChild(el("p", { "class": "popup-status" }, ["Search is not available right now."]));
        popup.hidden = false;
      });
    }

    input.setAttribute("aria-controls", popup.id);
    input.addEventListener("input", update);
    input.addEventListener("focus", function () {
      loadIndex(form.getAttribute("data-search-index"));
      if (escaped) { escaped = false; return; }
      if (input.value.trim() && popup.hidden) update();
    });
    form.addEventListener("keydown", function (event) {
      var items = links();
      var at = items.indexOf(document.activeElement);
      if (event.key === "Escape") {
        if (popup.hidden) return;
        close();
        if (document.activeElement !== input) { escaped = true; input.focus(); }
        event.preventDefault();
      } else if (event.key === "ArrowDown" && items.length && !popup.hidden) {
        items[Math.min(at + 1, items.length - 1)].focus(); event.preventDefault();
      } else if (event.key === "ArrowUp" && at !== -1) {
        (at === 0 ? input : items[at - 1]).focus(); event.preventDefault();
      }
    });
    form.addEventListener("focusout", function (event) {
      if (!event.relatedTarget || !form.contains(event.relatedTarget)) close();
    });
    if (document.activeElement === input) {  // this script came because the reader went to the box
      loadIndex(form.getAttribute("data-search-index"));
      if (input.value.trim()) update();
    }
  }

  var page = document.querySelector("form.search-page-form");
  if (page) searchPage(page);
  var header = document.querySelector("form.site-search");
  if (header) headerSearch(header);
})();
