// Times @marcbachmann/cel-js on the expressions and inputs of
// bench/bench_cel.c (keep the two lists in step), printing
// "name<TAB>eval_ns<TAB>compile_ns" lines like `bench_cel --tsv`:
// medians over trials of about 20 ms each. Run by scripts/bench-cel.sh.
import {parse} from '@marcbachmann/cel-js'

const cases = [
  ['rule5', "user.teams.exists(t, t == 'payments') && params.replicas <= 10 && " +
            "run.environment in ['staging', 'prod'] && !('x' in user.teams) && " +
            'size(user.teams) < 50'],
  ['simple', 'params.replicas <= 10'],
  ['arith', 'double(params.replicas) * 35.0 < 500.0 && params.replicas + 1 == 4'],
  ['strings', "run.environment.startsWith('pro') && user.name.contains('an') && " +
              "run.template + '/' + run.environment == 'deploy/prod'"],
  ['regex', "user.name.matches('^[a-z]+$')"],
  ['macros', "user.teams.map(t, t + '!').filter(t, t.startsWith('p')).size() == 1"],
  ['map', "{'prod': 3, 'staging': 1}[run.environment] == params.replicas && " +
          'has(params.replicas)'],
  ['time', "timestamp('2024-03-15T10:00:00Z') + duration('1h') > timestamp('2024-03-15T10:30:00Z')"],
]

// JSON integers are CEL ints: BigInt in cel-js.
const input = {
  user: {name: 'ana', teams: ['payments', 'sre', 'web']},
  params: {replicas: 3n, environment: 'prod', service: 'api'},
  run: {template: 'deploy', environment: 'prod', requester: 'ana'},
}

const trials = Number(process.argv[2] || 21)
const median = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]
const now = () => process.hrtime.bigint()

for (const [name, src] of cases) {
  let fn
  try {
    fn = parse(src)
    const r = fn(input)
    if (r !== true) throw new Error(`result ${r}`)
  } catch (e) {
    console.log(`${name}\tNA\tNA\t${String(e.message).split('\n')[0]}`)
    continue
  }
  let iters = 0
  const t0 = now()
  while (now() - t0 < 20000000n) { fn(input); iters++ }
  const ev = []
  for (let t = 0; t < trials; t++) {
    const s = now()
    for (let i = 0; i < iters; i++) fn(input)
    ev.push(Number(now() - s) / iters)
  }
  const co = []
  for (let t = 0; t < trials; t++) {
    const s = now()
    for (let i = 0; i < 200; i++) parse(src)
    co.push(Number(now() - s) / 200)
  }
  console.log(`${name}\t${median(ev).toFixed(1)}\t${median(co).toFixed(1)}`)
}
