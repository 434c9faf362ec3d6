/** Prints docs/keywords.md to stdout: `node dist/signatures/keywords/gen-doc.js > docs/keywords.md`. */
import { keywordsMarkdown } from './registry';
process.stdout.write(keywordsMarkdown());
