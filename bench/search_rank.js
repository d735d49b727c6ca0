// What the search script's ranking costs, in CPU ms, apart from the browser and the machine's load:
//
//     node bench/search_rank.js SEARCH_JS PUBLIC [--runs 5] QUERY...
//
// SEARCH_JS is a copy of src/servicebook/static/search.js (e.g. `git show REV:src/servicebook/
// static/search.js > /tmp/old.js`), PUBLIC a built site (bench/out/search-large/public after
// bench/search_bench.py). For each query, in a fresh Node process each run (so that the script's
// code is as cold as on a page's first query): the words fragments the query needs are read and
// parsed first (the first round of requests), then one search() is timed (looking the words up
// and ranking every record that has them: what the page does between that round and asking for
// the first records), then 20 more (warm). Prints the medians and the first 6 hits (id:rank), so
// two versions of the script can be checked to rank alike.
"use strict";
const fs = require("fs"), path = require("path"), { execFileSync } = require("child_process");

function one(src, pub, query) {
  global.window = global;
  global.document = { body: { getAttribute: () => "./" }, querySelector: () => null };
  global.fetch = (url) => Promise.resolve({
    ok: true,
    json: () => Promise.resolve(JSON.parse(fs.readFileSync(path.join(pub, url.replace(/^\.\//, "")), "utf8"))),
  });
  const exported = "window.__searchBench = {search: search, loadIndex: loadIndex, " +
    "hit: typeof hit === \"function\" ? hit : null};})();";
  (0, eval)(fs.readFileSync(src, "utf8").replace(/\}\)\(\);\s*$/, exported));
  const api = window.__searchBench;
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  return api.loadIndex("search/index.json").then(async (index) => {
    await Promise.all(query.toLowerCase().split(" ").map((w) => index.words(w)));
    let t = cpu();
    const hits = await api.search(index, query);
    const first = cpu() - t;
    t = cpu();
    for (let i = 0; i < 20; i++) await api.search(index, query);
    const warm = (cpu() - t) / 20;
    const top = Array.from({ length: Math.min(6, hits.length) }, (_, i) => (api.hit ? api.hit(hits, i) : hits[i]));
    return { first, warm, count: hits.length, top: top.map((h) => h.id + ":" + h.final).join(" ") };
  });
}

const args = process.argv.slice(2);
if (args[0] === "--one") {
  one(args[1], args[2], args[3]).then((r) => process.stdout.write(JSON.stringify(r)));
} else {
  const [src, pub, ...rest] = args;
  let runs = 5;
  if (rest[0] === "--runs") { runs = +rest[1]; rest.splice(0, 2); }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const query of rest) {
    const results = [];
    for (let i = 0; i < runs; i++) {
      results.push(JSON.parse(execFileSync(process.execPath, [__filename, "--one", src, pub, query], { encoding: "utf8" })));
    }
    const first = median(results.map((r) => r.first)), warm = median(results.map((r) => r.warm));
    console.log(`${query.padEnd(14)} ${String(results[0].count).padStart(6)} hits  first ${first.toFixed(1).padStart(5)} ms  warm ${warm.toFixed(2).padStart(5)} ms  top ${results[0].top}`);
  }
}
