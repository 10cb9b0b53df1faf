// The CommonJS packages clusternet uses (ipaddr.js, ini), loaded with require(). Imported
// from an ES module, Node would first scan each for its exports with its CommonJS lexer,
// a WebAssembly module it compiles on first use: 40 to 100 ms of CPU at every hook's cold
// start, for nothing. Import them from here.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const ipaddr = require('ipaddr.js') as typeof import('ipaddr.js');
export const ini = require('ini') as typeof import('ini');
