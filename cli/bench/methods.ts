/**
 * `npm run methods`: trains every recipe in recipes/ for the same short budget and writes the
 * methods table (docs/methods.md): recipe lines, parameters, linear and kNN accuracy on the MNIST
 * test set after the budget, against the same encoder at random initialisation (same seed, zero
 * steps). Each run is a real `ssl run` in its own process, with the budget given as `--set`
 * overrides, so what the table measures is exactly what a user gets.
 *
 *   node dist/cli/bench/methods.js [--steps 200] [--batch 128] [--only byol,dino] [--out docs/methods.md]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, basename } from 'node:path';
import { parseArgs } from 'node:util';
import { compile } from '../../compiler/index.js';
import { explain } from '../../compiler/explain.js';

/** Everything from this line on in the output file is kept when the table is regenerated. */
const NOTES_MARKER = '<!-- notes: kept when npm run methods rewrites the table above -->';

interface Row {
  recipe: string;
  method: string;
  lines: number;
  params: number;
  encoder: string;
  trained: Record<string, number>;
  init: Record<string, number>;
  seconds: number;
  msPerStep: number;
  finalLoss: number | null;
}

const METHOD_NAMES: Record<string, string> = {
  simclr: 'SimCLR',
  moco_v2: 'MoCo v2',
  moco_v3: 'MoCo v3',
  byol: 'BYOL',
  simsiam: 'SimSiam',
  barlow_twins: 'Barlow Twins',
  vicreg: 'VICReg',
  dino: 'DINO',
  data2vec: 'data2vec',
  mae: 'MAE-style',
};

function recipeLines(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length;
}

function run(file: string, sets: string[], maxSteps: number | null, out: string): { probes: Record<string, number>; seconds: number; msPerStep: number; finalLoss: number | null } {
  const args = ['bin/ssl.js', 'run', file, '--reporter', 'json', '--out', out, ...sets.flatMap((s) => ['--set', s])];
  if (maxSteps !== null) args.push('--max-steps', String(maxSteps));
  const started = Date.now();
  const stdout = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] });
  const events = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; ms?: number; probes?: Record<string, number>; status?: string; message?: string; finalLoss?: number | null });
  const end = events.find((e) => e.type === 'run-end');
  if (!end || end.status !== 'completed') throw new Error(`${file}: run ${end?.status ?? 'did not end'}: ${end?.message ?? ''}`);
  const steps = events.filter((e) => e.type === 'step').map((e) => e.ms!);
  steps.sort((a, b) => a - b);
  return {
    probes: end.probes ?? {},
    seconds: (Date.now() - started) / 1000,
    msPerStep: steps.length > 0 ? steps[Math.floor(steps.length / 2)]! : 0,
    finalLoss: end.finalLoss ?? null,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '200' },
      batch: { type: 'string', default: '128' },
      only: { type: 'string' },
      out: { type: 'string', default: 'docs/methods.md' },
    },
  });
  const steps = Number(values.steps);
  const batch = Number(values.batch);
  const only = values.only ? new Set(values.only.split(',')) : null;
  const files = readdirSync('recipes')
    .filter((f) => f.endsWith('.ssl'))
    .map((f) => join('recipes', f))
    .filter((f) => !only || only.has(basename(f, '.ssl')));
  // One epoch of exactly `steps` batches: every schedule and ramp spans the budget.
  const sets = [`data.train.batch=${batch}`, `data.train.limit=${steps * batch}`, 'train.epochs=1', `schedule.warmup=${Math.round(steps / 10)} steps`];
  const scratch = mkdtempSync(join(tmpdir(), 'ssl-methods-'));
  const rows: Row[] = [];
  try {
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const { ir } = compile(text, file);
      if (!ir) throw new Error(`${file} does not compile`);
      const e = explain(ir);
      const name = basename(file, '.ssl');
      const encoderNet = ir.probes[0]?.features.network ?? '';
      const encoderStage = ir.networks[encoderNet]?.stages[ir.probes[0]?.features.stage ?? 0];
      process.stderr.write(`${name}: training ${steps} steps at batch ${batch}...\n`);
      const trained = run(file, sets, null, join(scratch, `${name}-trained`));
      process.stderr.write(`${name}: probing the encoder at initialisation...\n`);
      const init = run(file, sets, 0, join(scratch, `${name}-init`));
      rows.push({
        recipe: file,
        method: METHOD_NAMES[name] ?? name,
        lines: recipeLines(text),
        params: e.parameters.trainable,
        encoder: encoderStage ? `${encoderStage.kind}` : '?',
        trained: trained.probes,
        init: init.probes,
        seconds: trained.seconds,
        msPerStep: trained.msPerStep,
        finalLoss: trained.finalLoss,
      });
      process.stderr.write(`${name}: linear ${pct(trained.probes['linear'])} (init ${pct(init.probes['linear'])}), knn ${pct(trained.probes['knn'])} (init ${pct(init.probes['knn'])})\n`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  let table = render(rows, steps, batch, sets);
  if (existsSync(values.out!) && only) {
    process.stdout.write(table);
    return;
  }
  // Hand-written notes below the marker survive regeneration.
  const previous = existsSync(values.out!) ? readFileSync(values.out!, 'utf8') : '';
  const marker = previous.indexOf(NOTES_MARKER);
  if (marker >= 0) table += '\n' + previous.slice(marker);
  writeFileSync(values.out!, table);
  process.stderr.write(`wrote ${values.out}\n`);
}

function pct(x: number | undefined): string {
  return x === undefined ? '–' : `${(x * 100).toFixed(2)}`;
}

function render(rows: Row[], steps: number, batch: number, sets: string[]): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Methods: every recipe, one short budget',
    '',
    `Each recipe in \`recipes/\` trained for **${steps} steps at batch ${batch}** (${steps * batch} MNIST training digits, one pass), then probed on the`,
    '10,000 MNIST test digits: a linear probe (logistic regression on frozen, standardised features) and a kNN probe',
    "(k = 20, cosine), both fitted on the digits trained on. \"init\" is the same recipe with `--max-steps 0`: the same",
    'encoder, same seed, untrained. Written by `npm run methods`; every number below comes from that run.',
    '',
    `Budget, as overrides of each recipe: \`${sets.map((s) => `--set ${JSON.stringify(s)}`).join(' ')}\`; everything else is the recipe's`,
    "own (optimizer, lr scaled by the recipe's formula for this batch, teacher momentum and temperature ramps, views).",
    `Machine: ${cpu}, ${cpus().length} cores, Node ${process.version}, backend wasm. The budget is a small fraction of the recipes' nominal`,
    '100 epochs: it shows how each method starts to learn on a CPU, not where it ends.',
    '',
    '| method | recipe | lines | trained params | encoder | linear % | linear % at init | kNN % | kNN % at init | ms/step | final loss |',
    '|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.method} | \`${r.recipe}\` | ${r.lines} | ${r.params.toLocaleString('en-US')} | ${r.encoder} | ${pct(r.trained['linear'])} | ${pct(r.init['linear'])} | ${pct(r.trained['knn'])} | ${pct(r.init['knn'])} | ${Math.round(r.msPerStep)} | ${r.finalLoss === null ? '–' : r.finalLoss.toPrecision(4)} |`,
    ),
    '',
    '"lines" counts non-blank, non-comment lines of the recipe; "trained params" counts every network the optimizer trains',
    '(teachers hold a copy but are not trained). ms/step is the median step time of the trained run.',
    '',
  ];
  return lines.join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`methods: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
