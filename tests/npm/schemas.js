// Prints, as one JSON object keyed by $id, every JSON Schema that @backstage/catalog-model ships
// for its entity kinds (compiled into dist/schema/**/*.schema.json.cjs.js). The tests validate
// servicebook's Backstage export against them with Python's jsonschema.
'use strict';
const fs = require('fs');
const path = require('path');
const root = path.join(path.dirname(require.resolve('@backstage/catalog-model/package.json')), 'dist', 'schema');
const schemas = {};
function walk(dir) {
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (fs.statSync(full).isDirectory()) walk(full);
    else if (name.endsWith('.schema.json.cjs.js')) {
      const schema = require(full).default;
      schemas[schema.$id] = schema;
    }
  }
}
walk(root);
process.stdout.write(JSON.stringify(schemas));
