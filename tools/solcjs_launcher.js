#!/usr/bin/env node
// A native-solc-compatible front end to solcjs (the `solc` npm package).
//
// Why: machines without internet access cannot download native solc binaries,
// so py-solc-x (used by brownie) gets this launcher registered as its solc.
// It speaks the subset of the native CLI that py-solc-x and brownie use:
//   --version, --standard-json (input on stdin), --allow-paths, --base-path.
// The JSON result is written to the file named by SOLCJS_OUT (set by the
// shell wrapper) because solcjs output to a pipe is truncated at 64 KiB.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(process.env.SOLCJS_MODULE || 'solc');

const args = process.argv.slice(2);

function optionValue(name) {
  const i = args.indexOf(name);
  if (i >= 0 && i + 1 < args.length) return args[i + 1];
  const eq = args.find((a) => a.startsWith(name + '='));
  return eq ? eq.slice(name.length + 1) : undefined;
}

function emit(text) {
  const out = process.env.SOLCJS_OUT;
  if (out) fs.writeFileSync(out, text);
  else fs.writeSync(1, text);
}

if (args.includes('--version')) {
  emit('solc, the solidity compiler commandline interface\nVersion: ' + solc.version() + '\n');
  process.exit(0);
}

if (!args.includes('--standard-json')) {
  process.stderr.write('solcjs launcher: only --version and --standard-json are supported\n');
  process.exit(1);
}

const roots = [process.cwd()];
const basePath = optionValue('--base-path');
if (basePath) roots.unshift(path.resolve(basePath));
const allow = optionValue('--allow-paths');
if (allow) for (const p of allow.split(',')) if (p) roots.push(path.resolve(p));

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath)
    ? [importPath]
    : roots.map((r) => path.join(r, importPath));
  for (const c of candidates) {
    if (fs.existsSync(c)) return { contents: fs.readFileSync(c, 'utf8') };
  }
  return { error: 'File not found: ' + importPath };
}

const input = fs.readFileSync(0, 'utf8');
emit(solc.compile(input, { import: findImports }));
