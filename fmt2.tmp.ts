import { format } from './compiler/format.js';
const cases = [
`recipe   x # hi
data train=mnist( split : "train" ,batch:256 )
data test=mnist(split:"test")
view aug=random_resized_crop(28,scale:0.2 .. 1.0)|color_jitter(brightness:0.4)
  |gaussian_noise(std:0.1)
let a = - 1 + 2*-3 - -x
let b = [ 1 , 2 ]
loss=nt_xent(a,b)+
 0.1*l2(a)
optimizer adam(lr:1e-3*batch/256) schedule warmup_cosine(warmup:10   epochs)
train epochs:1,seed:0
probe knn(k: 20,
   on: test)
network n = mlp(
 [1, 2],   # widths
    # own comment
      norm: batch
    )
teacher t = ema(online, momentum: 0.996->1.0 cosine)
schedule 0.04 -> 0.07 linear(over: 30 epochs)
data f = mnist(labels:10 %)
`,
"recipe x\r\n\r\n\r\n\r\ndata a = m()\r\n# end",
"  # only a comment   ",
"",
"\n\n",
"recipe x\ndata = ",
];
for (const c of cases) { const r = format(c); console.log('-----'); console.log(r.text === undefined ? r.diagnostics.map(d=>d.message) : JSON.stringify(r.text)); if (r.text) { console.log(r.text); console.log('idem', format(r.text).text === r.text); } }
