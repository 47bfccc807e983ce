import { readFileSync } from 'node:fs';
import { parse } from './compiler/parse.js';
import { compile } from './compiler/index.js';
const time = (text: string, f = parse) => { let best = 1e9; for (let i=0;i<3;i++){ const t0=performance.now(); f(text,'x'); best=Math.min(best, performance.now()-t0);} return best.toFixed(1); };
const base = readFileSync('recipes/simclr.ssl','utf8');
compile(base,'x');
for (const k of [1, 4, 16, 64]) {
  console.log(k, 'ok', time(base.repeat(k), compile), 'unclosed first', time('loss = f(\n' + base.repeat(k), compile), ' 90 unclosed', time('loss = ' + '('.repeat(90) + base.repeat(k), compile), ' jp', time('日本' + base.repeat(k), compile));
}
for (const n of [1000, 4000, 16000]) console.log(n, 'unclosed + sum', time('loss = ' + '('.repeat(60) + Array(n).fill('1').join(' + '), compile), 'many errors =', time('= '.repeat(n), compile), '@', time('@ '.repeat(n), compile), ') ', time(') '.repeat(n), compile), 'kw ', time('view '.repeat(n), compile), 'let a = (', time('let a = ( '.repeat(n), compile));
