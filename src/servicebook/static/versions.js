// Version switcher: keeps the reader on the same page in the version they pick, and explains
// when that page does not exist there. Without JavaScript, the "all versions" link does the job.
(function () {
  "use strict";
  var nav = document.querySelector(".version-switcher");
  if (!nav || !window.fetch) return;
  var root = nav.getAttribute("data-root");
  var current = nav.getAttribute("data-version") || "";
  var path = nav.getAttribute("data-path");

  function pretty(p) { return p.replace(/(^|\/)index\.html$/, "$1"); }
  function home(v) { return v ? root + "v/" + v + "/" : root; }
  function json(url) { return fetch(url).then(function (r) { if (!r.ok) throw new Error(url); return r.json(); }); }

  json(root + "versions.json").then(function (versions) {
    var label = document.createElement("label");
    label.textContent = "Version ";
    var select = document.createElement("select");
    select.className = "version-select";
    var latest = document.createElement("option");
    latest.value = "";
    latest.textContent = "current catalog";
    select.appendChild(latest);
    versions.forEach(function (v) {
      var o = document.createElement("option");
      o.value = v.version;
      // the date answers "what was promised then" without opening the versions page
      var notes = (v.date ? [v.date] : []).concat(v.aliases.indexOf("latest") >= 0 ? ["latest release"] : []);
      o.textContent = v.title + (notes.length ? " (" + notes.join(", ") + ")" : "");
      select.appendChild(o);
    });
    select.value = current;
    label.appendChild(select);
    nav.appendChild(label);
    select.addEventListener("change", function () {
      var target = select.value;
      json(root + "versions/pages.json").then(function (pages) {
        var list = pages[target] || [];
        if (list.indexOf(path) >= 0) {
          window.location.href = home(target) + pretty(path);
        } else {
          window.location.href = root + "versions/?missing=" + encodeURIComponent(path) +
            "&to=" + encodeURIComponent(target) + "&from=" + encodeURIComponent(current);
        }
      }).catch(function () { window.location.href = home(target); });
    });
  }).catch(function () { /* not published with versions: keep the plain link */ });

  // On an archived version, point "read the current catalog" at the same page when it exists.
  var toCurrent = document.querySelector(".to-current");
  if (toCurrent && current) {
    json(root + "versions/pages.json").then(function (pages) {
      if ((pages[""] || []).indexOf(path) >= 0) toCurrent.href = root + pretty(path);
    }).catch(function () {});
  }

  // On the versions page, explain a page that does not exist in the version asked for.
  var explain = document.getElementById("missing-explanation");
  var params = new URLSearchParams(window.location.search);
  if (explain && params.get("missing")) {
    var missing = params.get("missing"), to = params.get("to") || "";
    json(root + "versions/pages.json").then(function (pages) {
      // Only what the switcher itself asks: a version the site has, and a page one of them has.
      // Any other address was made up elsewhere, and its words would read as the site's own.
      var listed = Object.keys(pages);
      if (listed.indexOf(to) < 0) return;
      if (!listed.some(function (v) { return (pages[v] || []).indexOf(missing) >= 0; })) return;
      var order = Array.prototype.map.call(document.querySelectorAll("table.versions tbody tr"), function (tr) {
        return tr.id.slice(2);
      }).reverse(); // oldest first
      var having = order.filter(function (v) { return (pages[v] || []).indexOf(missing) >= 0; });
      var name = to ? "version " + to : "the current catalog";
      var kinds = { offerings: "This offering", tools: "This tool decision", policies: "This policy" };
      var subject = kinds[missing.split("/")[0]] || "This page";
      var text = subject + " (" + pretty(missing) + ") is not in " + name + ".";
      if (having.length) {
        var first = having[0], last = having[having.length - 1];
        if (to && order.indexOf(to) < order.indexOf(first)) text += " It was added in version " + first + ".";
        else text += " It was removed after version " + last + ".";
      }
      explain.textContent = text + " ";
      var link = document.createElement("a");
      link.href = home(to);
      link.textContent = "Go to the home page of " + name + ".";
      explain.appendChild(link);
      explain.hidden = false;
    }).catch(function () {});
  }
})();
