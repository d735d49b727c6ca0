// Reads a JSON list of entity references on stdin and prints, as JSON, each one as
// @backstage/catalog-model parses it (parseEntityRef, which spec.dependsOn is read with) and
// whether its kind, namespace and name pass the catalog's own validators (makeValidator), or the
// error parsing it raised. The tests check servicebook's Backstage references with it.
'use strict';
const { parseEntityRef, makeValidator } = require('@backstage/catalog-model');
const validator = makeValidator();
const refs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = refs.map((ref) => {
  try {
    const parsed = parseEntityRef(ref);
    return {
      ref,
      ...parsed,
      valid:
        validator.isValidKind(parsed.kind) &&
        validator.isValidNamespace(parsed.namespace) &&
        validator.isValidEntityName(parsed.name),
    };
  } catch (error) {
    return { ref, error: String(error.message || error) };
  }
});
process.stdout.write(JSON.stringify(out));
