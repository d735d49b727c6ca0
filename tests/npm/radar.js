// Parses a tech-radar JSON file with the Backstage tech-radar plugin's own zod parser
// (TechRadarLoaderResponseParser from @backstage-community/plugin-tech-radar-common); prints the
// issues and exits 1 when the plugin would refuse it.
'use strict';
const fs = require('fs');
const { TechRadarLoaderResponseParser } = require('@backstage-community/plugin-tech-radar-common');
const result = TechRadarLoaderResponseParser.safeParse(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
if (!result.success) {
  process.stdout.write(JSON.stringify(result.error.issues, null, 2) + '\n');
  process.exit(1);
}
process.stdout.write('ok\n');
