/* servicebook: filters, the "/" shortcut, help that fits the hour, and loading search.js when a
   reader goes to a search box. Progressive enhancement only: every page works without this file.
   No framework, no requests to other hosts, no inline HTML. */
(function () {
  "use strict";

  var root = document.body.getAttribute("data-root") || "./";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* ---------- search: its script when a reader goes to a search box ---------- */

  // The script and the index's manifest (which fragment holds which words) are fetched at once,
  // side by side, as soon as a reader comes near a box: both are there before the first keystroke.
  // search.js takes the manifest from window.servicebookSearchIndex rather than asking again.
  var searching = null;
  function loadSearch() {
    if (searching) return;
    searching = el("script", { src: root + "assets/search.js" });
    var manifests = window.servicebookSearchIndex = window.servicebookSearchIndex || {};
    document.querySelectorAll("form[data-search-index]").forEach(function (form) {
      var url = form.getAttribute("data-search-index");
      if (!manifests[url]) manifests[url] = fetch(url, { credentials: "same-origin" });
    });
    document.head.appendChild(searching);
  }

  /* ---------- filters, reflected in the query string ---------- */

  function filters(box) {
    var selects = Array.prototype.slice.call(box.querySelectorAll("select[data-key]"));
    var status = box.querySelector(".filter-status");
    var countSelector = box.getAttribute("data-count");
    var noun = box.getAttribute("data-noun") || "items";
    var emptySelector = box.getAttribute("data-hide-empty");

    // A list cut into parts: a value chosen that nothing on this part has (a category of the tools
    // matrix that is on another page) leads to the part where it begins, the choice kept.
    function elsewhere() {
      for (var i = 0; i < selects.length; i++) {
        var s = selects[i], option = s.options[s.selectedIndex];
        var part = s.value && option ? option.getAttribute("data-part") : null;
        if (!part) continue;
        var key = s.getAttribute("data-key");
        var here = Array.prototype.some.call(document.querySelectorAll(s.getAttribute("data-items")), function (item) {
          return (item.getAttribute("data-" + key) || "").split(" ").indexOf(s.value) !== -1;
        });
        if (!here) return part;
      }
      return null;
    }

    function chosenQuery() {
      var query = new URLSearchParams(window.location.search);
      selects.forEach(function (s) {
        if (s.value) query.set(s.getAttribute("data-key"), s.value); else query.delete(s.getAttribute("data-key"));
      });
      var qs = query.toString();
      return qs ? "?" + qs : "";
    }

    function apply(push) {
      var away = elsewhere();
      if (away) {
        if (push) window.location.assign(away + chosenQuery()); else window.location.replace(away + chosenQuery());
        return;
      }
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
      if (push) window.history.replaceState(null, "", window.location.pathname + chosenQuery() + window.location.hash);
    }

    // The address says what is chosen: on load, and again whenever the page is shown (after Back,
    // from the back/forward cache or after the browser has put back the form's last values).
    function fromAddress() {
      var params = new URLSearchParams(window.location.search);
      selects.forEach(function (s) {
        var wanted = params.get(s.getAttribute("data-key")) || "";
        s.value = Array.prototype.some.call(s.options, function (o) { return o.value === wanted; }) ? wanted : "";
      });
      apply(false);
    }
    selects.forEach(function (s) {
      s.setAttribute("autocomplete", "off");
      s.addEventListener("change", function () { apply(true); });
    });
    window.addEventListener("pageshow", fromAddress);
    var reset = box.querySelector(".filter-reset");
    if (reset) reset.addEventListener("click", function () { selects.forEach(function (s) { s.value = ""; }); apply(true); });
    box.hidden = false;
    fromAddress();
  }

  /* ---------- help that fits the hour: which way to get help is open now ---------- */

  // "It's 03:12 in Zurich: the help desk is closed. For a sev1 incident, page on-call." (the
  // severity whose response clock runs 24x7, data-urgent) from the business
  // hours (their days, times and time zone) and now, in the reader's own clock.
  function helpNow(box) {
    var zone = box.getAttribute("data-timezone"), now = new Date(), parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", { timeZone: zone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
        .formatToParts(now).forEach(function (p) { parts[p.type] = p.value; });
    } catch (e) { return; }  // a time zone this browser does not know: the text names both ways
    var time = parts.hour + ":" + parts.minute;
    var days = (box.getAttribute("data-days") || "").split(" ");
    var open = days.indexOf(String(parts.weekday).slice(0, 3).toLowerCase()) !== -1 &&
      time >= box.getAttribute("data-start") && time < box.getAttribute("data-end");
    // a city's zone reads "in Zurich"; a zone that is no place (UTC, Etc/GMT) reads "14:05 UTC",
    // and Etc/GMT+5, five hours behind UTC (POSIX's sign), "09:05 UTC-5"
    var name = zone.split("/").pop();
    var offset = zone.indexOf("Etc/") === 0 && /^GMT([+-])(\d+)$/.exec(name);
    if (offset) name = "UTC" + (offset[1] === "+" ? "-" : "+") + offset[2];
    var where = zone.indexOf("/") === -1 || zone.indexOf("Etc/") === 0 ? " " + name : " in " + name.replace(/_/g, " ");
    var local = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(now);
    var line = box.querySelector(".help-now");
    line.textContent = "It's " + time + where + (local !== time ? " (" + local + " where you are)" : "") + ": ";
    if (open) {
      line.appendChild(el("strong", {}, [box.getAttribute("data-channel") + " is open now."]));
    } else {
      line.appendChild(el("strong", {}, ["the help desk is closed."]));
      var oncall = box.getAttribute("data-oncall");
      if (oncall) {
        var urgent = box.getAttribute("data-urgent");
        line.appendChild(document.createTextNode(urgent ? " For a " + urgent + " incident, " : " Out of hours, "));
        line.appendChild(el("a", { href: oncall }, ["page on-call"]));
        line.appendChild(document.createTextNode("."));
        // the line below names the same route: on screen, one "page on-call" link, not two in a row
        box.classList.add("oncall-said");
      } else {
        line.appendChild(document.createTextNode(" Ask in " + box.getAttribute("data-channel") + "; we answer when we open."));
      }
    }
    line.hidden = false;
  }

  /* ---------- the 404 page: what the address was about ---------- */

  // "/v/2025.1/tools/selenium/" → "selenium", "/offerings/ci_pipelines/index.html" → "ci pipelines":
  // the last part of the address that names something, as words to search for
  function addressWords(path) {
    var parts = path.split("/").filter(function (p) { return p && p !== "index.html"; });
    var last = parts.length ? parts[parts.length - 1] : "";
    try { last = decodeURIComponent(last); } catch (e) { /* a malformed escape: the text as it is */ }
    return last.replace(/\.html?$/i, "").replace(/[-_+.]+/g, " ").trim();
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


  if (document.querySelector("form.search-page-form")) loadSearch();
  document.querySelectorAll("input.search-input").forEach(function (input) {
    input.addEventListener("focus", loadSearch);
    input.addEventListener("input", loadSearch);
    if (input.form) input.form.addEventListener("pointerenter", loadSearch);  // a pointer on its way to the box
  });
  document.querySelectorAll(".filters[data-count]").forEach(filters);
  // tools/#cat-ID of a category on a later part of the matrix: its entry in the list of categories
  // is the anchor (so the link works without this script); go on to where the category is
  var target = window.location.hash && document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
  var onward = target && target.closest(".category-parts") ? target.querySelector("a[href]") : null;
  if (onward) window.location.replace(onward.href);
  var help = document.getElementById("help-now");
  if (help) helpNow(help);
  var lost = document.getElementById("not-found-q");
  if (lost && !lost.value) lost.value = addressWords(window.location.pathname);
})();
