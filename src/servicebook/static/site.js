/* servicebook: search, filters and the "/" shortcut. Progressive enhancement only: every page
   works without this file. No framework, no requests to other hosts, no inline HTML (results are
   built with textContent, so catalog text can never become markup). */
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

  function link(path, text) { return el("a", { href: root + path }, [text]); }

  /* ---------- the index ---------- */

  var loading = null;
  function loadIndex(url) {
    if (!loading) {
      loading = fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("search index: HTTP " + response.status);
          return response.json();
        })
        .then(function (doc) {
          doc.records.forEach(function (r) {
            var extra = [r.s, r.x, r.sl, r.a ? r.a.t : "", (r.h || []).map(function (h) { return h[0]; }).join(" ")];
            r._t = norm(r.t);
            r._h = r._t + " " + norm(extra.join(" "));
          });
          return doc;
        });
    }
    return loading;
  }

  function startsWord(hay, term) {
    var at = hay.indexOf(term);
    while (at !== -1) {
      if (at === 0 || /[^a-z0-9]/.test(hay.charAt(at - 1))) return true;
      at = hay.indexOf(term, at + 1);
    }
    return false;
  }

  function hasWord(hay, term) {
    var at = hay.indexOf(term);
    while (at !== -1) {
      if ((at === 0 || /[^a-z0-9]/.test(hay.charAt(at - 1))) &&
          (at + term.length === hay.length || /[^a-z0-9]/.test(hay.charAt(at + term.length)))) return true;
      at = hay.indexOf(term, at + 1);
    }
    return false;
  }

  // `optional` words (a question's "how", "get" …) are not needed to match, but a record whose
  // title has them as words comes first: "how do i get help" finds "Support: how to get help".
  function rank(doc, terms, q, needed, optional) {
    var hits = [];
    doc.records.forEach(function (r) {
      var score = 0, matched = 0, asked = 0;
      for (var i = 0; i < terms.length; i++) {
        var term = terms[i];
        if (optional && optional.indexOf(term) !== -1) {
          if (hasWord(r._t, term)) asked += 1;
          continue;
        }
        if (r._h.indexOf(term) === -1) continue;
        matched += 1;
        if (startsWord(r._t, term)) score += 10;
        else if (r._t.indexOf(term) !== -1) score += 5;
        else if (startsWord(r._h, term)) score += 2;
        else score += 1;
      }
      if (matched < needed) return;
      if (r._t === q) score += 50;
      else if (r._t.indexOf(q) === 0) score += 20;
      hits.push({ r: r, score: (matched + asked) * 1000 + score * 10 + (KIND_WEIGHT[r.k] || 0) });
    });
    hits.sort(function (a, b) { return b.score - a.score || (a.r.t < b.r.t ? -1 : a.r.t > b.r.t ? 1 : 0); });
    return hits.map(function (h) { return h.r; });
  }

  // Words a question is made of that say nothing about what is looked for.
  var STOP = ("a an and are can do does for from get how i in is it me my of on or our should the to use " +
              "using we what when where which who why with you your").split(" ");

  // Words people search for that the catalog says otherwise (tried only when found nowhere).
  var SYNONYMS = { sla: "slo", slas: "slo", uptime: "availability", oncall: "on-call", "on-duty": "on-call" };

  function vocabulary(doc) {
    if (!doc._words) {
      var words = {};
      doc.records.forEach(function (r) { r._h.split(/[^a-z0-9]+/).forEach(function (w) { if (w.length > 2) words[w] = true; }); });
      doc._words = Object.keys(words);
    }
    return doc._words;
  }

  function distance(a, b, limit) {  // Levenshtein, given up past `limit`
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var prev = [], cur, i, j;
    for (j = 0; j <= b.length; j++) prev.push(j);
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a.charAt(i - 1) === b.charAt(j - 1) ? 0 : 1)));
        best = Math.min(best, cur[j]);
      }
      if (best > limit) return limit + 1;
      prev = cur;
    }
    return prev[b.length];
  }

  function corrected(doc, term) {  // the nearest word of the index to a word found nowhere in it
    if (term.length < 4) return null;
    var limit = term.length < 8 ? 1 : 2, found = null, best = limit + 1;
    vocabulary(doc).forEach(function (w) {
      var d = distance(term, w, limit);
      if (d < best || (d === best && found !== null && w < found)) { best = d; found = w; }
    });
    return best <= limit ? found : null;
  }

  // Every word must match; failing that, the question's meaningful words, with misspelt ones
  // replaced by the nearest word of the index, and the records matching most of them first.
  // The result says what was searched for instead (`instead`).
  function search(doc, query) {
    var q = norm(query).trim();
    var terms = q.split(/\s+/).filter(Boolean);
    if (!terms.length) return [];
    var words = terms.filter(function (t) { return STOP.indexOf(t) === -1; });
    var exact = rank(doc, terms, q, terms.length);
    // a question's small words matched by chance ("do", "i" inside other words) must not hide
    // the records that answer it: they are needed only when the question has no other words
    if (exact.length && words.length && words.length < terms.length) return rank(doc, terms, q, words.length, STOP);
    if (exact.length) return exact;
    if (!words.length) return [];
    var changed = false;
    var fixed = words.map(function (t) {
      if (doc.records.some(function (r) { return r._h.indexOf(t) !== -1; })) return t;
      if (SYNONYMS.hasOwnProperty(t)) { changed = true; return SYNONYMS[t]; }
      var near = corrected(doc, t);
      if (near) changed = true;
      return near || t;
    });
    var found = rank(doc, fixed, fixed.join(" "), fixed.length > 2 ? 2 : 1);
    found.instead = changed || fixed.length < terms.length ? fixed.join(" ") : null;
    return found;
  }

  /* ---------- one result ---------- */

  function badgeClass(r) {
    if (r.k === "tool") return "badge status-" + r.st;
    if (r.k === "offering") return "badge lifecycle-" + r.st;
    return "badge";
  }

  function renderResult(r, terms, compact) {
    var head = el("p", { "class": "result-title" }, [
      link(r.u, r.t), " ", el("span", { "class": "kind" }, [KINDS[r.k] || r.k]),
      r.sl ? " " : null, r.sl ? el("span", { "class": badgeClass(r) }, [r.sl]) : null
    ]);
    var item = el("li", { "class": "result result-" + r.k }, [head]);
    if (r.k === "tool" && (r.st === "unsupported" || r.st === "deprecated")) {
      var answer = el("p", { "class": "result-answer" }, [
        r.st === "unsupported" ? "We do not support " + r.t + "." : r.t + " is deprecated."
      ]);
      if (r.a) { answer.appendChild(document.createTextNode(" Use instead: ")); answer.appendChild(link(r.a.u, r.a.t)); }
      if (r.m) { answer.appendChild(document.createTextNode(" · ")); answer.appendChild(link(r.m.u, "Migration guide")); }
      item.appendChild(answer);
    }
    if (r.k === "offering" && r.a && (r.st === "deprecated" || r.st === "retired")) {
      var move = el("p", { "class": "result-answer" }, [r.t + " is " + r.st + ". Move to: "]);
      move.appendChild(link(r.a.u, r.a.t));
      item.appendChild(move);
    }
    if (r.s && !compact) item.appendChild(el("p", { "class": "muted small result-text" }, [r.s]));
    else if (r.s && r.k !== "tool") item.appendChild(el("p", { "class": "muted small result-text clamp" }, [r.s]));
    if (r.h && !compact) {
      var sections = r.h.filter(function (h) {
        var text = norm(h[0]);
        return terms.some(function (t) { return text.indexOf(t) !== -1; });
      }).slice(0, 4);
      if (sections.length) {
        item.appendChild(el("ul", { "class": "result-sections" }, sections.map(function (h) {
          return el("li", {}, [link(r.u + "#" + h[1], h[0])]);
        })));
      }
    }
    return item;
  }

  function terms(query) { return norm(query).trim().split(/\s+/).filter(Boolean); }

  /* ---------- the search page: live results, ?q= in the address ---------- */

  function searchPage(form) {
    var input = form.querySelector("input[name=q]");
    var status = document.getElementById("search-status");
    var results = document.getElementById("search-results");
    var aToZ = document.getElementById("a-z");
    var LIMIT = 50;

    function run(push) {
      var query = input.value;
      var params = new URLSearchParams(window.location.search);
      if (query.trim()) params.set("q", query); else params.delete("q");
      if (push) {
        var qs = params.toString();
        window.history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
      }
      if (!query.trim()) {
        results.hidden = true; results.textContent = ""; status.textContent = ""; aToZ.hidden = false;
        return;
      }
      loadIndex(form.getAttribute("data-search-index")).then(function (doc) {
        if (input.value !== query) return;  // a newer keystroke is on its way
        var found = search(doc, query);
        var list = el("ol", { "class": "results" }, found.slice(0, LIMIT).map(function (r) { return renderResult(r, terms(found.instead || query), false); }));
        results.textContent = "";
        results.appendChild(list);
        results.hidden = false;
        aToZ.hidden = true;
        status.textContent = found.length === 0
          ? "Nothing found for “" + query.trim() + "”. Try a shorter word, or browse the A to Z list." +
            (form.getAttribute("data-not-found") ? " " + form.getAttribute("data-not-found") : "")
          : found.length + (found.length === 1 ? " result" : " results") + " for “" + (found.instead || query.trim()) + "”" +
            (found.instead ? " (nothing matched “" + query.trim() + "” exactly)" : "") +
            (found.length > LIMIT ? ", the first " + LIMIT + " shown." : ".");
        if (!found.length) aToZ.hidden = false;
      }, function () {
        status.textContent = "Search is not available right now; use the A to Z list below.";
        aToZ.hidden = false;
      });
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); run(true); });
    input.addEventListener("input", function () { run(true); });
    var initial = new URLSearchParams(window.location.search).get("q");
    if (initial) { input.value = initial; run(false); }
  }

  /* ---------- the header search: a short list of answers under the box ---------- */

  function headerSearch(form) {
    var input = form.querySelector("input[name=q]");
    var popup = form.querySelector(".search-popup");
    var live = form.querySelector("[role=status]");  // stays in the page, so screen readers announce changes
    var LIMIT = 6;

    function close() { popup.hidden = true; }
    function links() { return Array.prototype.slice.call(popup.querySelectorAll("a")); }

    function update() {
      var query = input.value;
      if (!query.trim()) { close(); popup.textContent = ""; if (live) live.textContent = ""; return; }
      loadIndex(form.getAttribute("data-search-index")).then(function (doc) {
        if (input.value !== query) return;
        var found = search(doc, query);
        popup.textContent = "";
        var summary = found.length
          ? found.length + (found.length === 1 ? " result" : " results") + (found.instead ? " for “" + found.instead + "”" : "")
          : "Nothing found for “" + query.trim() + "”";
        popup.appendChild(el("p", { "class": "popup-status" }, [summary]));
        if (live) live.textContent = summary + (found.length ? ". Press the down arrow to move through them." : ".");
        if (found.length) {
          popup.appendChild(el("ol", { "class": "results" }, found.slice(0, LIMIT).map(function (r) { return renderResult(r, terms(found.instead || query), true); })));
        }
        var all = el("a", { href: form.getAttribute("action") + "?q=" + encodeURIComponent(query.trim()), "class": "popup-all" },
          [found.length > LIMIT ? "All " + found.length + " results" : "Open the search page"]);
        popup.appendChild(el("p", {}, [all]));
        popup.hidden = false;
      });
    }

    input.setAttribute("aria-controls", popup.id);
    input.addEventListener("input", update);
    input.addEventListener("focus", function () { loadIndex(form.getAttribute("data-search-index")); if (input.value.trim()) update(); });
    form.addEventListener("keydown", function (event) {
      var items = links();
      var at = items.indexOf(document.activeElement);
      if (event.key === "Escape") { close(); input.focus(); event.preventDefault(); }
      else if (event.key === "ArrowDown" && items.length && !popup.hidden) {
        items[Math.min(at + 1, items.length - 1)].focus(); event.preventDefault();
      } else if (event.key === "ArrowUp" && at !== -1) {
        (at === 0 ? input : items[at - 1]).focus(); event.preventDefault();
      }
    });
    form.addEventListener("focusout", function (event) {
      if (!event.relatedTarget || !form.contains(event.relatedTarget)) close();
    });
  }

  /* ---------- filters, reflected in the query string ---------- */

  function filters(box) {
    var selects = Array.prototype.slice.call(box.querySelectorAll("select[data-key]"));
    var status = box.querySelector(".filter-status");
    var countSelector = box.getAttribute("data-count");
    var noun = box.getAttribute("data-noun") || "items";
    var emptySelector = box.getAttribute("data-hide-empty");
    var params = new URLSearchParams(window.location.search);

    function apply(push) {
      var active = selects.filter(function (s) { return s.value; });
      var hide = new Map();  // every filtered element → whether some chosen value rules it out
      selects.forEach(function (s) {
        var key = s.getAttribute("data-key");
        document.querySelectorAll(s.getAttribute("data-items")).forEach(function (item) {
          var values = (item.getAttribute("data-" + key) || "").split(" ");
          hide.set(item, hide.get(item) || (s.value !== "" && values.indexOf(s.value) === -1));
        });
      });
      hide.forEach(function (hidden, item) { item.hidden = hidden; });
      if (emptySelector) {  // a group left with nothing to show goes too
        document.querySelectorAll(emptySelector).forEach(function (group) {
          if (hide.get(group)) return;
          group.hidden = active.length > 0 && !Array.prototype.some.call(group.querySelectorAll(countSelector), function (n) { return !n.closest("[hidden]"); });
        });
      }
      var chosen = active;
      var all = document.querySelectorAll(countSelector);
      var shown = Array.prototype.filter.call(all, function (n) { return !n.closest("[hidden]"); }).length;
      status.textContent = chosen.length ? "Showing " + shown + " of " + all.length + " " + noun + "." : "Showing all " + all.length + " " + noun + ".";
      if (push) {
        var query = new URLSearchParams(window.location.search);
        selects.forEach(function (s) {
          if (s.value) query.set(s.getAttribute("data-key"), s.value); else query.delete(s.getAttribute("data-key"));
        });
        var qs = query.toString();
        window.history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : "") + window.location.hash);
      }
    }

    selects.forEach(function (s) {
      var wanted = params.get(s.getAttribute("data-key"));
      if (wanted && Array.prototype.some.call(s.options, function (o) { return o.value === wanted; })) s.value = wanted;
      s.addEventListener("change", function () { apply(true); });
    });
    var reset = box.querySelector(".filter-reset");
    if (reset) reset.addEventListener("click", function () { selects.forEach(function (s) { s.value = ""; }); apply(true); });
    box.hidden = false;
    apply(false);
  }

  /* ---------- "/" focuses search ---------- */

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var input = document.querySelector("input.search-input");
    if (!input) return;
    event.preventDefault();
    input.focus();
    input.select();
  });

  var page = document.querySelector("form.search-page-form");
  if (page) searchPage(page);
  var header = document.querySelector("form.site-search");
  if (header) headerSearch(header);
  document.querySelectorAll(".filters[data-count]").forEach(filters);
})();
